"""Registries through which behaviour modules extend the generic REST fake.

The generic machinery in ``fake.py`` knows how to create, update, list and
delete any resource in the table.  What a Charge or a Subscription *does*
(creating balance transactions, invoices, events) is registered here by the
modules ``payments``, ``billing`` and ``checkout``, keyed by object name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Hook = Callable[..., object]

PREPARE: dict[str, Hook] = {}
"""``(fake, obj, params)`` before a new object is stored: fill in and validate."""
AFTER_CREATE: dict[str, list[Hook]] = {}
"""``(fake, obj, params)`` after the ``.created`` event: create related objects."""
UPDATE: dict[str, list[Hook]] = {}
"""``(fake, obj, params, old)`` after generic params were applied (in order)."""
DELETE: dict[str, Hook] = {}
"""``(fake, obj, params) -> response | None``; None means the generic stub."""
ACTIONS: dict[tuple[str, str], Hook] = {}
"""``(fake, obj, params) -> obj`` for ``POST /v1/<path>/{id}/<action>``."""
SUBLISTS: dict[tuple[str, str], Hook] = {}
"""``(fake, obj) -> (items, url)``: an embedded list rebuilt at render time."""
RESOLVE: dict[str, Hook] = {}
"""``(fake, object_id) -> obj | None``: ids Stripe accepts without storing them."""
ROUTES: list[tuple[str, re.Pattern, Hook]] = []
"""``(fake, match, params) -> (status, body)`` special endpoints."""
EVENT_LISTENERS: list[tuple[str, Hook]] = []
"""``(fake, event)`` after an event whose type starts with the prefix is recorded."""
FILTERS: dict[tuple[str, str], Callable[[object, dict, object], bool]] = {}
"""``(fake, obj, value) -> bool`` list filters that are not a field comparison."""


def _register(table: dict, key) -> Callable[[Hook], Hook]:
    def decorator(func: Hook) -> Hook:
        table[key] = func
        return func

    return decorator


def prepare(object_name: str):
    return _register(PREPARE, object_name)


def after_create(object_name: str):
    def decorator(func: Hook) -> Hook:
        AFTER_CREATE.setdefault(object_name, []).append(func)
        return func

    return decorator


def on_update(object_name: str):
    def decorator(func: Hook) -> Hook:
        UPDATE.setdefault(object_name, []).append(func)
        return func

    return decorator


def on_delete(object_name: str):
    return _register(DELETE, object_name)


def action(object_name: str, name: str):
    return _register(ACTIONS, (object_name, name))


def sublist(object_name: str, field: str):
    return _register(SUBLISTS, (object_name, field))


def list_filter(object_name: str, name: str):
    return _register(FILTERS, (object_name, name))


def on_event(type_prefix: str):
    def decorator(func: Hook) -> Hook:
        EVENT_LISTENERS.append((type_prefix, func))
        return func

    return decorator


def resolve(object_name: str):
    return _register(RESOLVE, object_name)


def route(method: str, pattern: str, operation_key: str):
    """Register a special endpoint; ``pattern`` is a regex on the path and
    ``operation_key`` its path in Stripe's contract (``/v1/invoices/{id}/lines``),
    against which every request is checked before ``func`` runs."""

    def decorator(func: Hook) -> Hook:
        func.operation_key = operation_key  # type: ignore[attr-defined]
        ROUTES.append((method, re.compile(f"^{pattern}$"), func))
        return func

    return decorator
