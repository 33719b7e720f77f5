"""Amounts as people read them, the way dj-stripe prints them.

dj-stripe shows money as ``"$4.50 USD"``: a sigil for the four currencies it
knows one for, two decimals, thousands separated by commas, the upper-case
code. Models' ``__str__`` and ``human_readable_*`` use these two helpers so
that the format is written once (``djstripe.utils.get_friendly_currency_amount``
is the public name of the first).
"""

from __future__ import annotations

from decimal import Decimal

from .fields import currency_exponent, to_major_units

#: The sigils dj-stripe prints; other currencies show their code only.
CURRENCY_SIGILS = {"CAD": "$", "EUR": "€", "GBP": "£", "USD": "$"}


def get_friendly_currency_amount(
    amount: Decimal | int | float | str, currency: str
) -> str:
    """``Decimal("1234.5"), "usd"`` → ``"$1,234.50 USD"`` (``amount`` in major
    units). Two decimals, as dj-stripe; three for the currencies whose minor
    unit is a thousandth, so that no fils or baisa is rounded away."""
    code = (currency or "").upper()
    places = 3 if currency_exponent(currency) == 3 else 2
    return f"{CURRENCY_SIGILS.get(code, '')}{Decimal(str(amount)):,.{places}f} {code}"


def friendly_minor_amount(amount: int | str | Decimal | None, currency: str) -> str:
    """The same for an amount as Stripe sends it (``450, "usd"`` → ``"$4.50 USD"``),
    zero-decimal currencies respected (``500, "jpy"`` → ``"500.00 JPY"``)."""
    return get_friendly_currency_amount(to_major_units(amount or 0, currency), currency)


def humanize(value: str | None) -> str:
    """An enum value as dj-stripe's enums label it: ``"needs_response"`` →
    ``"Needs response"``."""
    return (value or "").replace("_", " ").capitalize()
