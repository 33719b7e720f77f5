"""One typed view over the ``STRIPE_*`` and ``DJSTRIPE_*`` Django settings.

Every other module reads configuration through :data:`djstripe_settings`, never
through ``django.conf.settings`` directly, so that defaults, validation and the
names of the settings live in one place. Attributes are read on each access, so
``override_settings`` in tests works without any cache to clear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.db.models import Model

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

#: Currencies whose amounts Stripe gives in whole units (no minor unit).
ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)

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
        return cast(
            str | None,
            _get("DJSTRIPE_STRIPE_API_VERSION") or _get("STRIPE_API_VERSION"),
        )

    @property
    def API_BASE(self) -> str | None:
        """Base URL of a Stripe-compatible API (the testing kit, localstripe)."""
        return cast(str | None, _get("DJSTRIPE_API_BASE"))

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
        return cast(
            str, _get("DJSTRIPE_SUBSCRIBER_MODEL") or django_settings.AUTH_USER_MODEL
        )

    @property
    def SUBSCRIBER_CUSTOMER_KEY(self) -> str:
        """Metadata key on the Stripe customer that holds the subscriber's pk."""
        return cast(
            str, _get("DJSTRIPE_SUBSCRIBER_CUSTOMER_KEY", "djstripe_subscriber")
        )

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
        return cast(str, _get("DJSTRIPE_WEBHOOK_PROCESSING", "inline"))

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
        return cast(
            float | None, _days(_get("DJSTRIPE_WEBHOOK_REJECTED_RETENTION_DAYS", 7))
        )

    @property
    def WEBHOOK_PROCESSED_RETENTION_DAYS(self) -> float | None:
        """Days a processed request is kept (``None``: forever). Verified
        requests not yet processed are kept until they are."""
        return cast(
            float | None, _days(_get("DJSTRIPE_WEBHOOK_PROCESSED_RETENTION_DAYS", 90))
        )

    @property
    def WEBHOOK_TASK_MAX_ATTEMPTS(self) -> int:
        """Attempts at processing an event in task mode, on backends that can
        schedule a retry for later (``supports_defer``)."""
        return int(_get("DJSTRIPE_WEBHOOK_TASK_MAX_ATTEMPTS", 5))

    @property
    def WEBHOOK_BATCH_SIZE(self) -> int:
        """Stored requests a worker processes together (see
        :mod:`djstripe.webhooks.drain`); 1, in task mode, queues one task per
        request, as before batching."""
        return int(_get("DJSTRIPE_WEBHOOK_BATCH_SIZE", 1))

    @property
    def WEBHOOK_REFETCH(self) -> str | dict[str, str]:
        """``never``, ``on_tie`` or ``always``; or a dict by Stripe object type
        with an optional ``"*"`` default."""
        return cast(str | dict[str, str], _get("DJSTRIPE_WEBHOOK_REFETCH", "on_tie"))

    def refetch_policy(self, object_type: str) -> str:
        value = self.WEBHOOK_REFETCH
        if isinstance(value, dict):
            return value.get(object_type, value.get("*", "on_tie"))
        return value

    # -- dj-stripe 2.11 names --------------------------------------------------
    # The settings and helpers dj-stripe's users call, with its defaults, so a
    # project's code that reads them runs unchanged.

    #: The API version dj-stripe 2.11 pins when no setting says otherwise.
    DEFAULT_STRIPE_API_VERSION = "2024-04-10"

    #: Currencies whose amounts have no minor unit.
    ZERO_DECIMAL_CURRENCIES = ZERO_DECIMAL_CURRENCIES

    @property
    def TEST_API_KEY(self) -> str:
        return self.STRIPE_TEST_SECRET_KEY

    @property
    def LIVE_API_KEY(self) -> str:
        return self.STRIPE_LIVE_SECRET_KEY

    @property
    def STRIPE_PUBLIC_KEY(self) -> str:
        """The publishable key: ``STRIPE_PUBLIC_KEY``, else the one of the
        current mode (``STRIPE_LIVE_PUBLIC_KEY`` / ``STRIPE_TEST_PUBLIC_KEY``)."""
        explicit = _get("STRIPE_PUBLIC_KEY")
        if explicit is not None:
            return cast(str, explicit)
        name = (
            "STRIPE_LIVE_PUBLIC_KEY"
            if self.STRIPE_LIVE_MODE
            else "STRIPE_TEST_PUBLIC_KEY"
        )
        return cast(str, _get(name, "") or "")

    @property
    def SUBSCRIPTION_REDIRECT(self) -> str:
        return cast(str, _get("DJSTRIPE_SUBSCRIPTION_REDIRECT", ""))

    @property
    def SUBSCRIPTION_REQUIRED_EXCEPTION_URLS(self) -> tuple[str, ...]:
        return cast(
            tuple[str, ...], _get("DJSTRIPE_SUBSCRIPTION_REQUIRED_EXCEPTION_URLS", ())
        )

    @property
    def USE_NATIVE_JSONFIELD(self) -> bool:
        """Always Django's own JSONField here; the setting is read for display."""
        return bool(_get("DJSTRIPE_USE_NATIVE_JSONFIELD", True))

    @property
    def PRORATION_POLICY(self) -> str | None:
        return cast(str | None, _get("DJSTRIPE_PRORATION_POLICY"))

    @property
    def DJSTRIPE_WEBHOOK_URL(self) -> str:
        return cast(str, _get("DJSTRIPE_WEBHOOK_URL", r"^webhook/$"))

    @property
    def WEBHOOK_VALIDATION(self) -> str | None:
        """``"verify_signature"`` (the default). djstripe always verifies the
        signature; ``"retrieve_event"`` and ``None`` are refused by a check."""
        return cast(str | None, _get("DJSTRIPE_WEBHOOK_VALIDATION", "verify_signature"))

    @property
    def WEBHOOK_SECRET(self) -> str:
        """The first settings secret (dj-stripe's single-secret name)."""
        return next(iter(self.WEBHOOK_SECRETS), "")

    @property
    def WEBHOOK_EVENT_CALLBACK(self) -> Callable[..., Any] | None:
        """``DJSTRIPE_WEBHOOK_EVENT_CALLBACK``, resolved to a callable."""
        return self.get_callback_function("DJSTRIPE_WEBHOOK_EVENT_CALLBACK")

    @property
    def subscriber_request_callback(self) -> Callable[..., Any]:
        """``request`` → subscriber; ``request.user`` unless configured."""
        return cast(
            Callable[..., Any],
            self.get_callback_function(
                "DJSTRIPE_SUBSCRIBER_MODEL_REQUEST_CALLBACK",
                default=lambda request: request.user,
            ),
        )

    @property
    def get_idempotency_key(self) -> Callable[[str, str, bool], str]:
        """``(object_type, action, livemode)`` → idempotency key; the setting
        ``DJSTRIPE_IDEMPOTENCY_KEY_CALLBACK`` replaces the default."""
        return cast(
            Callable[[str, str, bool], str],
            self.get_callback_function(
                "DJSTRIPE_IDEMPOTENCY_KEY_CALLBACK", self._get_idempotency_key
            ),
        )

    def _get_idempotency_key(
        self, object_type: str, action: str, livemode: bool
    ) -> str:
        """One stored key per (``"type:action"``, mode), reused until cleared:
        :meth:`djstripe.models.IdempotencyKey.key_for`."""
        model = django_apps.get_model("djstripe", "IdempotencyKey")
        return model.key_for(object_type, action, livemode)

    def get_callback_function(
        self, setting_name: str, default: Callable[..., Any] | None = None
    ) -> Callable[..., Any] | None:
        """The callable a setting names: a callable, or its dotted path.

        ``default`` when the setting is unset or empty; ``ImproperlyConfigured``
        when it names something that cannot be called.
        """
        func = _get(setting_name)
        if not func:
            return default
        if isinstance(func, str):
            func = import_string(func)
        if not callable(func):
            raise ImproperlyConfigured(f"{setting_name} must be callable.")
        return cast(Callable[..., Any], func)

    def get_subscriber_model_string(self) -> str:
        """``"app_label.ModelName"`` of the subscriber model."""
        return self.SUBSCRIBER_MODEL

    def get_subscriber_model(self) -> type[Model]:
        """The subscriber model class (``DJSTRIPE_SUBSCRIBER_MODEL``, else the
        user model). It must have an ``email``; a custom model also needs
        ``DJSTRIPE_SUBSCRIBER_MODEL_REQUEST_CALLBACK`` to find it from a request."""
        name = self.get_subscriber_model_string()
        try:
            model = django_apps.get_model(name)
        except ValueError:
            raise ImproperlyConfigured(
                "DJSTRIPE_SUBSCRIBER_MODEL must be of the form 'app_label.model_name'."
            ) from None
        except LookupError:
            raise ImproperlyConfigured(
                f"DJSTRIPE_SUBSCRIBER_MODEL refers to model '{name}' "
                "that has not been installed."
            ) from None
        field_names = {f.name for f in model._meta.get_fields()}
        if "email" not in field_names and not hasattr(model, "email"):
            raise ImproperlyConfigured(
                "DJSTRIPE_SUBSCRIBER_MODEL must have an email attribute."
            )
        if name != django_settings.AUTH_USER_MODEL and not self.get_callback_function(
            "DJSTRIPE_SUBSCRIBER_MODEL_REQUEST_CALLBACK"
        ):
            raise ImproperlyConfigured(
                "DJSTRIPE_SUBSCRIBER_MODEL_REQUEST_CALLBACK must be implemented "
                "if a DJSTRIPE_SUBSCRIBER_MODEL is defined."
            )
        return model

    def set_stripe_api_version(
        self, version: str | None = None, validate: bool = True
    ) -> None:
        """Set stripe-python's global ``stripe.api_version`` (for code that
        calls stripe-python directly; djstripe pins its own calls)."""
        import stripe

        version = version or self.STRIPE_API_VERSION or self.DEFAULT_STRIPE_API_VERSION
        if validate and not _is_api_version(version):
            raise ValueError(f"Bad stripe API version: {version}")
        stripe.api_version = version


def _is_api_version(version: str) -> bool:
    """``YYYY-MM-DD``, optionally followed by a release name (``.acacia``)."""
    import datetime

    try:
        datetime.date.fromisoformat(version.split(".", 1)[0])
    except (AttributeError, ValueError):
        return False
    return True


djstripe_settings = DjstripeSettings()
