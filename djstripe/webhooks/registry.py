"""Webhook handlers: functions run for the events whose type they match.

Handlers are registered by event type pattern (``fnmatch`` style):
``"customer.subscription.updated"``, ``"invoice.*"``, ``"*.deleted"`` or ``"*"``.
A pattern without wildcards also matches the types it is a dotted prefix of,
as in dj-stripe: ``"customer"`` matches ``"customer.created"`` and
``"customer.subscription.updated"``, ``"customer.subscription"`` the latter.
They run after the event's object was mirrored, inside the same database
transaction, so a handler that raises rolls the mirror write back and the
event can be processed again later. They are called as ``func(event=event)``
with the :class:`~djstripe.models.Event` row.

This module imports no model, so handlers can be registered at import time
of any module, before Django's app registry is ready.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from djstripe.models import Event

Handler = Callable[..., Any]

#: ``(pattern, handler)`` in registration order.
_registrations: list[tuple[str, Handler]] = []


def handler(*event_types: str) -> Callable[[Handler], Handler]:
    """Decorator: run the function for events matching any of ``event_types``.

    >>> @handler("customer.subscription.updated", "invoice.*")
    ... def on_billing_change(event, **kwargs): ...
    """
    if not event_types or not all(isinstance(t, str) and t for t in event_types):
        raise TypeError(
            "handler() needs one or more event type patterns, e.g. 'invoice.*'."
        )

    def decorator(func: Handler) -> Handler:
        for pattern in event_types:
            register(pattern, func)
        return func

    return decorator


def handler_all(func: Handler) -> Handler:
    """Decorator: run the function for every event."""
    return register("*", func)


def register(pattern: str, func: Handler) -> Handler:
    """Register ``func`` for event types matching ``pattern`` (idempotent)."""
    if (pattern, func) not in _registrations:
        _registrations.append((pattern, func))
    return func


def unregister(func: Handler, pattern: str | None = None) -> None:
    """Remove ``func`` (for ``pattern`` only, if given)."""
    _registrations[:] = [
        (p, f) for p, f in _registrations if not (f is func and pattern in (None, p))
    ]


def handlers_for(event_type: str) -> list[Handler]:
    """The handlers ``event_type`` runs, each once, in registration order."""
    found: list[Handler] = []
    for pattern, func in _registrations:
        if func not in found and _matches(event_type, pattern):
            found.append(func)
    return found


def _matches(event_type: str, pattern: str) -> bool:
    if any(char in pattern for char in "*?["):
        return fnmatchcase(event_type, pattern)
    return event_type == pattern or event_type.startswith(pattern + ".")


def call_handlers(event: Event) -> None:
    """Run the handlers registered for ``event.type``; exceptions propagate."""
    for func in handlers_for(event.type):
        func(event=event)


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """Restore the registrations on exit (for tests that register handlers)."""
    saved = list(_registrations)
    try:
        yield
    finally:
        _registrations[:] = saved
