"""Django system checks that explain a missing or malformed djstripe setting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .settings import REFETCH_POLICIES, djstripe_settings, key_kind


def _key_problem(name: str, value: str, live: bool) -> str | None:
    if not value:
        return None
    try:
        kind, livemode = key_kind(value)
    except ValueError:
        kind, livemode = "", live
    if kind == "publishable":
        return f"{name} is a publishable key; djstripe needs a secret key (sk_...)."
    if not kind:
        return f"{name} does not look like a Stripe secret key (sk_... or rk_...)."
    if livemode != live:
        expected = "live" if live else "test"
        return f"{name} holds a key of the other mode; expected a {expected} key."
    return None


@checks.register("djstripe")
def check_stripe_keys(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A missing key is a warning (the mirror can still be read); a malformed
    one is an error, because every Stripe call with it would fail."""
    messages: list[checks.CheckMessage] = []
    keys = (
        ("STRIPE_LIVE_SECRET_KEY", djstripe_settings.STRIPE_LIVE_SECRET_KEY, True),
        ("STRIPE_TEST_SECRET_KEY", djstripe_settings.STRIPE_TEST_SECRET_KEY, False),
    )
    for name, value, live in keys:
        problem = _key_problem(name, value, live)
        if problem:
            messages.append(checks.Error(problem, id="djstripe.E001", obj=name))
    current = (
        "STRIPE_LIVE_SECRET_KEY"
        if djstripe_settings.STRIPE_LIVE_MODE
        else "STRIPE_TEST_SECRET_KEY"
    )
    if not djstripe_settings.STRIPE_SECRET_KEY:
        messages.append(
            checks.Warning(
                f"{current} is not set, so djstripe cannot call Stripe.",
                hint=(
                    f"Set {current} in your settings (STRIPE_LIVE_MODE="
                    f"{djstripe_settings.STRIPE_LIVE_MODE}), or store an APIKey "
                    "in the database."
                ),
                id="djstripe.W001",
            )
        )
    return messages


@checks.register("djstripe")
def check_webhook_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for secret in djstripe_settings.WEBHOOK_SECRETS:
        if not secret.startswith("whsec_"):
            messages.append(
                checks.Error(
                    "DJSTRIPE_WEBHOOK_SECRET must start with 'whsec_'.",
                    hint="Copy the endpoint's signing secret from Stripe.",
                    id="djstripe.E002",
                )
            )
    if djstripe_settings.WEBHOOK_PROCESSING not in ("inline", "task", "store"):
        messages.append(
            checks.Error(
                "DJSTRIPE_WEBHOOK_PROCESSING must be 'inline', 'task' or 'store'.",
                id="djstripe.E003",
            )
        )
    messages += _check_webhook_storage()
    refetch = djstripe_settings.WEBHOOK_REFETCH
    policies = refetch.values() if isinstance(refetch, dict) else [refetch]
    if any(policy not in REFETCH_POLICIES for policy in policies):
        messages.append(
            checks.Error(
                f"DJSTRIPE_WEBHOOK_REFETCH values must be one of {REFETCH_POLICIES}.",
                id="djstripe.E004",
            )
        )
    try:
        batch_size_valid = djstripe_settings.WEBHOOK_BATCH_SIZE > 0
    except (TypeError, ValueError):
        batch_size_valid = False
    if not batch_size_valid:
        messages.append(
            checks.Error(
                "DJSTRIPE_WEBHOOK_BATCH_SIZE must be a whole number of requests, 1 or more.",
                id="djstripe.E008",
            )
        )
    return messages


def _check_webhook_storage() -> list[checks.CheckMessage]:
    """What is kept of webhook requests, and for how long, must be bounded numbers."""
    messages: list[checks.CheckMessage] = []
    size = djstripe_settings.WEBHOOK_REJECTED_BODY_SIZE
    if size < 0:
        messages.append(
            checks.Error(
                "DJSTRIPE_WEBHOOK_REJECTED_BODY_SIZE must be 0 or more bytes.",
                id="djstripe.E005",
            )
        )
    for name in ("REJECTED", "PROCESSED"):
        value = getattr(djstripe_settings, f"WEBHOOK_{name}_RETENTION_DAYS")
        if value is not None and (not isinstance(value, float) or value <= 0):
            messages.append(
                checks.Error(
                    f"DJSTRIPE_WEBHOOK_{name}_RETENTION_DAYS must be a positive "
                    "number of days, or None to keep requests forever.",
                    id="djstripe.E006",
                )
            )
    return messages


@checks.register("djstripe")
def check_transport_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """A malformed timeout would only surface at the first Stripe call."""
    try:
        timeouts = djstripe_settings.HTTP_TIMEOUT
        valid = all(t > 0 for t in timeouts)
    except (TypeError, ValueError):
        valid = False
    if valid:
        return []
    return [
        checks.Error(
            "DJSTRIPE_HTTP_TIMEOUT must be a positive number of seconds, or a "
            "(connect, read) pair of them.",
            hint="For example DJSTRIPE_HTTP_TIMEOUT = (10, 30).",
            id="djstripe.E007",
        )
    ]


# -- dj-stripe 2.11 settings ---------------------------------------------------------


@checks.register("djstripe")
def check_dj_stripe_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """dj-stripe settings whose other values djstripe does not follow."""
    messages: list[checks.CheckMessage] = []
    if djstripe_settings.WEBHOOK_VALIDATION != "verify_signature":
        messages.append(
            checks.Error(
                "DJSTRIPE_WEBHOOK_VALIDATION must be 'verify_signature': djstripe "
                "verifies every webhook's signature and never trusts an unsigned one.",
                hint="Remove the setting, or set it to 'verify_signature'.",
                id="djstripe.E101",
            )
        )
    if djstripe_settings.WEBHOOK_EVENT_CALLBACK is not None:
        messages.append(
            checks.Warning(
                "DJSTRIPE_WEBHOOK_EVENT_CALLBACK is not called: djstripe processes "
                "each verified event itself.",
                hint="To process events in a task queue, set "
                "DJSTRIPE_WEBHOOK_PROCESSING = 'task' and remove the callback.",
                id="djstripe.W102",
            )
        )
    if getattr(settings, "DJSTRIPE_SUBSCRIBER_MODEL", None):
        try:
            djstripe_settings.get_subscriber_model()
        except ImproperlyConfigured as exc:
            messages.append(checks.Error(str(exc), id="djstripe.E102"))
    to_field = getattr(settings, "DJSTRIPE_FOREIGN_KEY_TO_FIELD", "id")
    if to_field != "id":
        messages.append(
            checks.Warning(
                f"DJSTRIPE_FOREIGN_KEY_TO_FIELD is {to_field!r}; djstripe's relations "
                "always point at the Stripe id.",
                hint="Remove the setting (djstripe's migration converts the columns).",
                id="djstripe.W101",
            )
        )
    return messages
