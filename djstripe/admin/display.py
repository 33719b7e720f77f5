"""How mirrored values look in the admin: money, secrets, JSON and links.

Pure functions of their arguments (no queries), so changelist columns built on
them cost nothing per row.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.contrib.admin.utils import quote
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..fields import currency_exponent, to_major_units

#: Field and JSON key names whose values are credentials: never shown in full.
SECRET_NAMES = frozenset({"secret", "secret_key", "client_secret"})

#: Currency symbols shown before the amount; the ISO code always follows.
_SYMBOLS = {
    "usd": "$",
    "cad": "$",
    "aud": "$",
    "nzd": "$",
    "mxn": "$",
    "hkd": "$",
    "sgd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "cny": "¥",
    "krw": "₩",
    "inr": "₹",
    "brl": "R$",
    "ils": "₪",
    "php": "₱",
    "thb": "฿",
    "vnd": "₫",
}


def format_amount(
    amount: int | Decimal | None, currency: str | None, *, minor_units: bool = False
) -> str:
    """``Decimal("10.5"), "usd"`` → ``"$10.50 USD"``; ``500, "jpy"`` → ``"¥500 JPY"``.

    ``minor_units`` says ``amount`` is in the currency's smallest unit (cents),
    as Stripe sends it; otherwise it is already in major units.
    """
    if amount is None or amount == "":
        return ""
    code = (currency or "").lower()
    if minor_units:
        value = to_major_units(amount, code)
    else:
        exponent = currency_exponent(code)
        value = Decimal(str(amount)).quantize(Decimal(1).scaleb(-exponent))
    sign = "-" if value < 0 else ""
    number = f"{abs(value):,}"
    symbol = _SYMBOLS.get(code, "")
    return f"{sign}{symbol}{number} {code.upper()}".strip()


def mask_secret(value: Any) -> str:
    """``"sk_test_51Habcdefwxyz"`` → ``"sk_test_…wxyz"``: enough to tell keys
    apart, too little to use one."""
    if not value:
        return ""
    text = str(value)
    prefix, _, rest = text.rpartition("_")
    if not prefix or len(prefix) > 12:
        prefix, rest = "", text
    else:
        prefix += "_"
    tail = rest[-4:] if len(rest) >= 12 else ""
    return f"{prefix}…{tail}"


def mask_secrets(data: Any) -> Any:
    """A copy of ``data`` with the value of every secret-named key masked."""
    if isinstance(data, dict):
        return {
            key: mask_secret(value)
            if key in SECRET_NAMES and isinstance(value, str)
            else mask_secrets(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [mask_secrets(item) for item in data]
    return data


def pretty_json(data: Any, *, summary: str = "", open: bool = False) -> SafeString:
    """Collapsible, escaped, pretty-printed JSON (secrets masked)."""
    text = json.dumps(mask_secrets(data), indent=2, sort_keys=True, ensure_ascii=False, default=str)
    if not summary:
        size = len(data) if isinstance(data, dict | list) else 1
        summary = f"JSON ({size} {'key' if size == 1 else 'keys'})"
    return format_html(
        '<details class="djstripe-json"{}><summary>{}</summary>'
        '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}</pre></details>',
        SafeString(" open") if open else "",
        summary,
        text,
    )


def admin_change_url(obj: models.Model, site_name: str = "admin") -> str:
    """The admin change page of ``obj``, or ``""`` if it has none."""
    opts = obj._meta
    try:
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[quote(obj.pk)],
            current_app=site_name,
        )
    except NoReverseMatch:
        return ""


def admin_changelist_url(model: type[models.Model], site_name: str = "admin") -> str:
    """The admin changelist of ``model``, or ``""`` if it has none."""
    opts = model._meta
    try:
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_changelist", current_app=site_name
        )
    except NoReverseMatch:
        return ""


def object_label(obj: models.Model) -> str:
    """A short human label: the model's own ``__str__`` when it has one, else
    the first of email / name / nickname that is set, else the Stripe id."""
    text = str(obj)
    stripe_id = getattr(obj, "id", None)
    if text != stripe_id:
        return text
    for name in ("email", "name", "nickname"):
        value = obj.__dict__.get(name)
        if value:
            return f"{value} ({stripe_id})"
    return text


def link(url: str, text: Any) -> SafeString | str:
    """An escaped ``<a>``, or the plain text when there is no URL."""
    if not url:
        return str(text)
    return format_html('<a href="{}">{}</a>', url, text)
