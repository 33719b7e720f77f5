"""Read-only properties backed by the stored Stripe object.

Most of a Stripe object's fields are not worth a column: nobody joins or
filters on ``receipt_url``. Those are exposed as properties that read
``stripe_data``, declared in one line each::

    class Charge(StripeModel):
        receipt_url = StripeProperty("The URL of the charge's receipt.")
        amount_refunded = StripeProperty("Refunded so far.", kind="amount")

A :class:`StripeProperty` *is* a :class:`property` (so ``inspect``, the docs and
the admin treat it as one) that knows its Stripe path and how to convert the
raw value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from .fields import get_path, timestamp_to_datetime, to_major_units


def _convert_amount(instance: Any, value: Any, currency_path: str) -> Any:
    return to_major_units(value, get_path(instance.stripe_data or {}, currency_path))


class StripeProperty(property):
    """A property reading ``stripe_data[path]``, optionally converted.

    ``kind`` names a conversion: ``"timestamp"`` (epoch seconds to an aware
    datetime) or ``"amount"`` (minor units to a ``Decimal`` in major units of
    the object's ``currency``). ``convert`` takes any other callable.
    """

    def __init__(
        self,
        doc: str = "",
        *,
        path: str | None = None,
        kind: str | None = None,
        convert: Callable[[Any], Any] | None = None,
        default: Any = None,
        currency_path: str = "currency",
    ):
        self.path = path
        self.kind = kind
        self.convert = convert
        self.default = default
        self.currency_path = currency_path
        super().__init__(self._read, doc=doc)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if self.path is None:
            self.path = name

    def _read(self, instance: Any) -> Any:
        value = get_path(instance.stripe_data or {}, cast(str, self.path), self.default)
        if value is None:
            return self.default
        if self.kind == "timestamp":
            return timestamp_to_datetime(value)
        if self.kind == "amount":
            return _convert_amount(instance, value, self.currency_path)
        if self.convert is not None:
            return self.convert(value)
        return value
