"""Model fields that know how to read their value out of a Stripe object.

Every djstripe field has a ``stripe_path`` (default: the field's name; dotted
paths such as ``"invoice_settings.default_payment_method"`` reach into nested
dicts) and a :meth:`StripeFieldMixin.stripe_value` that turns the raw Stripe
value into what the column stores. The mirror engine calls ``stripe_value`` for
every concrete field, so conversion rules live here, once, and never in the
models or the sync code.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, overload

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .settings import ZERO_DECIMAL_CURRENCIES

#: Currencies whose amounts Stripe gives in thousandths.
THREE_DECIMAL_CURRENCIES = frozenset("bhd jod kwd omr tnd".split())

_MISSING = object()


def get_path(data: Any, path: str, default: Any = None) -> Any:
    """Read ``"a.b.c"`` out of nested dicts, returning ``default`` on any gap."""
    value = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return default
        value = value.get(part, _MISSING)
        if value is _MISSING:
            return default
    return value


def currency_exponent(currency: str | None) -> int:
    """How many decimal places the minor unit of ``currency`` has."""
    code = (currency or "").lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


@overload
def to_major_units(amount: None, currency: str | None) -> None: ...
@overload
def to_major_units(amount: int | str | Decimal, currency: str | None) -> Decimal: ...
@overload
def to_major_units(
    amount: int | str | Decimal | None, currency: str | None
) -> Decimal | None: ...
def to_major_units(
    amount: int | str | Decimal | None, currency: str | None
) -> Decimal | None:
    """``1050, "usd"`` → ``Decimal("10.50")``; ``500, "jpy"`` → ``Decimal("500")``."""
    if amount is None:
        return None
    exponent = currency_exponent(currency)
    scale: int = 10**exponent
    return (Decimal(str(amount)) / scale).quantize(Decimal(1).scaleb(-exponent))


def to_minor_units(amount: Decimal | int | float | str, currency: str | None) -> int:
    """The inverse of :func:`to_major_units`: what Stripe's API expects."""
    exponent = currency_exponent(currency)
    return int((Decimal(str(amount)) * (10**exponent)).to_integral_value())


def timestamp_to_datetime(value: Any) -> datetime.datetime | None:
    """Stripe timestamps are whole seconds since the epoch, in UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromtimestamp(int(value), tz=datetime.UTC)


def stripe_id_of(value: Any) -> str | None:
    """The Stripe id of a relation value: an id string or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


class StripeFieldMixin:
    """Gives a field a ``stripe_path`` and a conversion from Stripe's value."""

    name: str  # set by the Field it is mixed into

    def __init__(self, *args: Any, stripe_path: str | None = None, **kwargs: Any):
        self.stripe_path = stripe_path
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        if self.stripe_path is not None:
            kwargs["stripe_path"] = self.stripe_path
        return name, path, args, kwargs

    def stripe_raw(self, data: dict[str, Any]) -> Any:
        return get_path(data, self.stripe_path or self.name)

    def stripe_value(self, data: dict[str, Any]) -> Any:
        return self.stripe_raw(data)


class StripeIdField(StripeFieldMixin, models.CharField):  # type: ignore[type-arg]
    """A Stripe object id (``cus_...``): the mirror's natural key."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)


class StripeCharField(StripeFieldMixin, models.CharField):  # type: ignore[type-arg]
    """Text from the Stripe object; ``None`` is stored as an empty string."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("max_length", 5000)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def stripe_value(self, data: dict[str, Any]) -> str:
        value = self.stripe_raw(data)
        return "" if value is None else str(value)


class StripeEnumField(StripeCharField):
    """One of a documented set of Stripe strings (``status``, ``type``...).

    ``enum`` is a tuple of values, or (as in dj-stripe) a
    :mod:`djstripe.enums` class, whose ``choices`` the field then offers.
    The set is not enforced on writes from Stripe: Stripe adds values without
    notice and the mirror must still store them.
    """

    def __init__(self, *args: Any, enum: Any = (), **kwargs: Any):
        choices = getattr(enum, "choices", None)
        if choices is not None:
            self.enum = tuple(value for value, _label in choices)
            kwargs.setdefault("choices", choices)
        else:
            self.enum = tuple(enum)
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)


class StripeCurrencyCodeField(StripeCharField):
    """A three-letter ISO currency code, lowercase as Stripe sends it."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("max_length", 3)
        super().__init__(*args, **kwargs)


class StripeBooleanField(StripeFieldMixin, models.BooleanField):  # type: ignore[type-arg]
    """A Stripe boolean; missing values become ``default``."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("default", False)
        super().__init__(*args, **kwargs)

    def stripe_value(self, data: dict[str, Any]) -> bool:
        value = self.stripe_raw(data)
        return self.default if value is None else bool(value)


class StripeIntegerField(StripeFieldMixin, models.BigIntegerField):  # type: ignore[type-arg]
    """An integer, such as an amount in the currency's minor unit."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)


class StripeDateTimeField(StripeFieldMixin, models.DateTimeField):  # type: ignore[type-arg]
    """A Stripe timestamp (seconds since the epoch) as an aware datetime."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def stripe_value(self, data: dict[str, Any]) -> datetime.datetime | None:
        return timestamp_to_datetime(self.stripe_raw(data))


class StripeDecimalCurrencyAmountField(StripeFieldMixin, models.DecimalField):  # type: ignore[type-arg]
    """An amount in major units (``Decimal("10.50")`` for 1050 cents).

    Stripe sends integers in the currency's minor unit; the conversion follows
    the object's currency (``currency_path``), so zero-decimal currencies such
    as JPY and three-decimal ones such as KWD come out right.
    """

    def __init__(self, *args: Any, currency_path: str = "currency", **kwargs: Any):
        self.currency_path = currency_path
        kwargs.setdefault("max_digits", 24)
        kwargs.setdefault("decimal_places", 3)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.currency_path != "currency":
            kwargs["currency_path"] = self.currency_path
        return name, path, args, kwargs

    def stripe_value(self, data: dict[str, Any]) -> Decimal | None:
        raw: int | str | Decimal | None = self.stripe_raw(data)
        return to_major_units(raw, get_path(data, self.currency_path))


class StripeJSONField(StripeFieldMixin, models.JSONField):
    """A nested Stripe structure kept as JSON (``metadata``, ``recurring``...)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)


class StripeForeignKey(StripeFieldMixin, models.ForeignKey):  # type: ignore[type-arg]
    """A relation to another mirrored object, by its Stripe id.

    It targets the related model's unique ``id`` column (``to_field="id"``) and
    creates no database constraint, so a row can be written before the row it
    points at exists: the relation resolves as soon as that object arrives.
    Writing a row therefore never needs a lookup query or an API call.
    """

    def __init__(self, to: Any, *args: Any, **kwargs: Any):
        kwargs.setdefault("to_field", "id")
        kwargs.setdefault("db_constraint", False)
        kwargs.setdefault("on_delete", models.DO_NOTHING)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(to, *args, **kwargs)

    def stripe_value(self, data: dict[str, Any]) -> str | None:
        return stripe_id_of(self.stripe_raw(data))


# -- dj-stripe's other public field classes ------------------------------------------


class StripeQuantumCurrencyAmountField(StripeIntegerField):
    """An amount in the currency's minor unit, as Stripe sends it (cents)."""


class StripePercentField(StripeFieldMixin, models.DecimalField):  # type: ignore[type-arg]
    """A percentage such as a coupon's ``percent_off`` (1 to 100, two decimals)."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("validators", [MinValueValidator(1), MaxValueValidator(100)])
        super().__init__(*args, **kwargs)


class JSONField(StripeJSONField):
    """dj-stripe's name for a JSON column (always Django's own JSONField)."""


class PaymentMethodForeignKey(StripeForeignKey):
    """A relation to a ``DjstripePaymentMethod`` (any kind of payment source)."""

    def __init__(self, to: Any = "djstripe.DjstripePaymentMethod", **kwargs: Any):
        super().__init__(to, **kwargs)


class FieldDeconstructMixin:
    """dj-stripe's mixin that keeps display-only attributes out of migrations."""

    IGNORED_ATTRS = ("verbose_name", "help_text", "choices")

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        for attr in self.IGNORED_ATTRS:
            kwargs.pop(attr, None)
        return name, path, args, kwargs
