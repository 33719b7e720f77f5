"""One typed view over the ``STRIPE_*`` and ``DJSTRIPE_*`` Django settings.

Every other module reads configuration through :data:`djstripe_settings`, never
through ``django.conf.settings`` directly, so that defaults, validation and the
names of the settings live in one place. Attributes are read on each access, so
``override_settings`` in tests works without any cache to clear.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

#: What a Stripe key's prefix says: ``(type, livemode)``. The one table of
#: key prefixes; :func:`key_kind` and :func:`key_is_live` read it.
KEY_PREFIXES: dict[str, tuple[str, bool]] = {
    "sk_live_": ("secret", True),
    "sk_test_": ("secret", False),
    "rk_live_": ("restricted", True),
    "rk_test_": ("restricted", False),
    "pk_live_": ("publishable", True),
    "pk_test_": ("publishable", False),
}
#: Prefixes of the keys that can call the API on the server's behalf.
SECRET_KEY_PREFIXES = tuple(
    prefix for prefix, (kind, _) in KEY_PREFIXES.items() if kind != "publishable"
)

#: ``(connect, read)`` seconds: a dead host fails fast, a slow list page (a
#: large expanded page can take several seconds) still completes.
DEFAULT_HTTP_TIMEOUT = (10.0, 30.0)

#: How webhook processing re-reads an object from Stripe: never, on an exact
#: timestamp tie with the stored row, or for every event.
REFETCH_POLICIES = ("never", "on_tie", "always")


def _get(name: str, default: Any = None) -> Any:
    return getattr(django_settings, name, default)


def _days(value: Any) -> Any:
    """A number of days as a float; anything else as is, for the checks."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def key_kind(key: str) -> tuple[str, bool]:
    """``(type, livemode)`` of a Stripe key, from its prefix.

    :raises ValueError: when ``key`` does not start like a Stripe key.
    """
    for prefix, kind in KEY_PREFIXES.items():
        if key.startswith(prefix):
            return kind
    raise ValueError(
        "Not a Stripe API key (expected sk_, rk_ or pk_ with live_ or test_)."
    )


def key_is_live(key: str) -> bool:
    """Whether ``key`` is a live-mode key. Anything that is not recognisably
    live (a test key, a malformed one) counts as test mode: the safe side."""
    try:
        return key_kind(key)[1]
    except ValueError:
        return False


def key_mode(key: str) -> str:
    """``"live"`` or ``"test"``: the mode of ``key``, for messages and scopes."""
    return "live" if key_is_live(key) else "test"


class DjstripeSettings:
    """Lazy accessors for djstripe's settings, with their defaults.

    The names mirror the Django settings they read, so
    ``djstripe_settings.STRIPE_LIVE_MODE`` is ``settings.STRIPE_LIVE_MODE``.
    """

    # -- Stripe keys ---------------------------------------------------------

    @property
    def STRIPE_LIVE_MODE(self) -> bool:
        return bool(_get("STRIPE_LIVE_MODE", False))

    @property
    def STRIPE_LIVE_SECRET_KEY(self) -> str:
        return _get("STRIPE_LIVE_SECRET_KEY", "") or ""

    @property
    def STRIPE_TEST_SECRET_KEY(self) -> str:
        return _get("STRIPE_TEST_SECRET_KEY", "") or ""

    @property
    def STRIPE_SECRET_KEY(self) -> str:
        """The key of the mode selected by ``STRIPE_LIVE_MODE``."""
        return self.get_default_api_key(self.STRIPE_LIVE_MODE)

    def get_default_api_key(self, livemode: bool | None = None) -> str:
        """Return the configured secret key for ``livemode`` (default: current)."""
        if livemode is None:
            livemode = self.STRIPE_LIVE_MODE
        return self.STRIPE_LIVE_SECRET_KEY if livemode else self.STRIPE_TEST_SECRET_KEY

    # -- Transport -----------------------------------------------------------

    @property
    def STRIPE_API_VERSION(self) -> str | None:
        """Pinned API version; ``None`` means stripe-python's own pin."""
        return _get("DJSTRIPE_STRIPE_API_VERSION") or _get("STRIPE_API_VERSION")

    @property
    def API_BASE(self) -> str | None:
        """Base URL of a Stripe-compatible API (the testing kit, localstripe)."""
        return _get("DJSTRIPE_API_BASE")

    @property
    def MAX_RETRIES(self) -> int:
        return int(_get("DJSTRIPE_MAX_RETRIES", 5))

    @property
    def RETRY_MAX_DELAY(self) -> float:
        """Upper bound, in seconds, of one backoff sleep (``Retry-After`` included)."""
        return float(_get("DJSTRIPE_RETRY_MAX_DELAY", 30.0))

    @property
    def HTTP_TIMEOUT(self) -> tuple[float, float]:
        """``(connect, read)`` timeouts of one HTTP request to Stripe, in
        seconds. The setting is one number for both, or a pair."""
        value = _get("DJSTRIPE_HTTP_TIMEOUT", DEFAULT_HTTP_TIMEOUT)
        if isinstance(value, (int, float)):
            return (float(value), float(value))
        connect, read = value
        return (float(connect), float(read))

    @property
    def RATE_LIMIT(self) -> float | None:
        """Requests per second per client; ``None`` picks Stripe's limit by mode."""
        value = _get("DJSTRIPE_RATE_LIMIT")
        return None if value is None else float(value)

    # -- Models --------------------------------------------------------------

    @property
    def SUBSCRIBER_MODEL(self) -> str:
        return _get("DJSTRIPE_SUBSCRIBER_MODEL") or django_settings.AUTH_USER_MODEL

    @property
    def SUBSCRIBER_CUSTOMER_KEY(self) -> str:
        """Metadata key on the Stripe customer that holds the subscriber's pk."""
        return _get("DJSTRIPE_SUBSCRIBER_CUSTOMER_KEY", "djstripe_subscriber")

    # -- Webhooks ------------------------------------------------------------

    @property
    def WEBHOOK_SECRETS(self) -> list[str]:
        """Secrets for the settings-based ``webhook/`` URL (a list allows rotation)."""
        value = _get("DJSTRIPE_WEBHOOK_SECRET", "")
        if not value:
            return []
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value]

    @property
    def WEBHOOK_TOLERANCE(self) -> int:
        return int(_get("DJSTRIPE_WEBHOOK_TOLERANCE", 300))

    @property
    def WEBHOOK_PROCESSING(self) -> str:
        return _get("DJSTRIPE_WEBHOOK_PROCESSING", "inline")

    @property
    def WEBHOOK_MAX_BODY_SIZE(self) -> int:
        return int(_get("DJSTRIPE_WEBHOOK_MAX_BODY_SIZE", 1024 * 1024))

    @property
    def WEBHOOK_REJECTED_BODY_SIZE(self) -> int:
        """Bytes of body kept for a request that failed verification."""
        return int(_get("DJSTRIPE_WEBHOOK_REJECTED_BODY_SIZE", 4 * 1024))

    @property
    def WEBHOOK_REJECTED_RETENTION_DAYS(self) -> float | None:
        """Days a rejected request is kept (``None``: forever)."""
        return _days(_get("DJSTRIPE_WEBHOOK_REJECTED_RETENTION_DAYS", 7))

    @property
    def WEBHOOK_PROCESSED_RETENTION_DAYS(self) -> float | None:
        """Days a processed request is kept (``None``: forever). Verified
        requests not yet processed are kept until they are."""
        return _days(_get("DJSTRIPE_WEBHOOK_PROCESSED_RETENTION_DAYS", 90))

    @property
    def WEBHOOK_TASK_MAX_ATTEMPTS(self) -> int:
        """Attempts at processing an event in task mode, on backends that can
        schedule a retry for later (``supports_defer``)."""
        return int(_get("DJSTRIPE_WEBHOOK_TASK_MAX_ATTEMPTS", 5))

    @property
    def WEBHOOK_REFETCH(self) -> str | dict[str, str]:
        """``never``, ``on_tie`` or ``always``; or a dict by Stripe object type
        with an optional ``"*"`` default."""
        return _get("DJSTRIPE_WEBHOOK_REFETCH", "on_tie")

    def refetch_policy(self, object_type: str) -> str:
        value = self.WEBHOOK_REFETCH
        if isinstance(value, dict):
            return value.get(object_type, value.get("*", "on_tie"))
        return value


djstripe_settings = DjstripeSettings()
