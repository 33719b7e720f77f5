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
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil

from ..fields import currency_exponent, to_major_units
from .masking import mask_secret, mask_secrets  # noqa: F401 (mask_secret re-exported)

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


def pretty_json(data: Any, *, summary: str = "", open: bool = False) -> SafeString:
    """Collapsible, escaped, pretty-printed JSON (secrets masked)."""
    text = json.dumps(
        mask_secrets(data), indent=2, sort_keys=True, ensure_ascii=False, default=str
    )
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
            f"admin:{opts.app_label}_{opts.model_name}_changelist",
            current_app=site_name,
        )
    except NoReverseMatch:
        return ""


def _charge_label(charge: Any) -> str:
    """dj-stripe's status words, and, since an operator looks for it, a
    partial refund (which dj-stripe's words leave as "Succeeded")."""
    amount = format_amount(charge.amount, charge.currency)
    status = charge.human_readable_status
    if status == "Succeeded" and charge.amount_refunded:
        status = "Partially refunded"
    return f"{amount} ({status})"


def _coupon_label(coupon: Any) -> str:
    if coupon.percent_off is not None:
        off = f"{coupon.percent_off:g}% off"
    else:
        off = f"{format_amount(coupon.amount_off, coupon.currency)} off"
    return f"{coupon.name or coupon.id} ({off})"


#: Labels the admin writes itself, by model name, where the model's
#: ``__str__`` is not how the admin shows money (``4.500 USD``).
_LABELS = {"charge": _charge_label, "coupon": _coupon_label}


def object_label(obj: models.Model) -> str:
    """A short human label: the admin's own for money-bearing objects, else the
    model's ``__str__`` when it has one, else the first of email / name /
    nickname that is set, else the Stripe id."""
    label = _LABELS.get(obj._meta.model_name or "")
    if label is not None:
        return label(obj)
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


def pretty_text(text: str, *, summary: str) -> SafeString:
    """Collapsible, escaped, preformatted text (already masked by the caller)."""
    return format_html(
        '<details class="djstripe-json" open><summary>{}</summary>'
        '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}</pre></details>',
        summary,
        text,
    )


#: Badge colours by tone.
_TONES = {
    "success": ("#d7f7c2", "#05690d"),
    "warning": ("#fcedb9", "#a82c00"),
    "danger": ("#ffe7f2", "#b3093c"),
    "info": ("#cff5f6", "#0055bc"),
    "neutral": ("#ebeef1", "#545969"),
}

#: The tone of Stripe statuses, as the dashboard colours them.
STATUS_TONES = {
    **dict.fromkeys(
        (
            "active",
            "paid",
            "succeeded",
            "available",
            "complete",
            "enabled",
            "won",
            "verified",
            "valid",
            "processed",
        ),
        "success",
    ),
    **dict.fromkeys(
        (
            "trialing",
            "open",
            "pending",
            "in_transit",
            "processing",
            "draft",
            "not_started",
            "requires_action",
            "requires_capture",
            "requires_confirmation",
            "requires_payment_method",
            "warning_needs_response",
            "needs_response",
            "under_review",
            "warning_under_review",
        ),
        "info",
    ),
    **dict.fromkeys(
        ("past_due", "unpaid", "incomplete", "uncollectible", "paused"), "warning"
    ),
    **dict.fromkeys(
        (
            "failed",
            "canceled",
            "incomplete_expired",
            "lost",
            "disabled",
            "expired",
            "void",
            "rejected",
            "blocked",
            "fraudulent",
        ),
        "danger",
    ),
}


def badge(text: str, tone: str = "neutral") -> SafeString:
    """A small coloured label, as Stripe's dashboard shows statuses."""
    background, colour = _TONES.get(tone, _TONES["neutral"])
    return format_html(
        '<span class="djstripe-badge" style="background: {}; color: {}; '
        "padding: 1px 6px; border-radius: 4px; font-size: 0.75rem; "
        'font-weight: 600; white-space: nowrap">{}</span>',
        background,
        colour,
        text,
    )


def status_badge(value: Any) -> SafeString | str:
    """``"past_due"`` → a yellow "Past due" badge."""
    if value in (None, ""):
        return ""
    text = str(value)
    return badge(text.replace("_", " ").capitalize(), STATUS_TONES.get(text, "neutral"))


def when(value: Any) -> SafeString | str:
    """``"3 days ago"`` over the exact UTC time (shown, and as a tooltip)."""
    if value is None:
        return ""
    now = timezone.now()
    relative = (
        f"{timesince(value, now, depth=1)} ago"
        if value <= now
        else f"in {timeuntil(value, now, depth=1)}"
    )
    exact = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return format_html(
        '<span title="{}" style="white-space: nowrap">{}</span><br>'
        '<small style="color: var(--body-quiet-color); white-space: nowrap">{}</small>',
        value.isoformat(),
        relative,
        exact,
    )


def plain(value: Any) -> Any:
    """A value read from ``stripe_data`` as a person reads it: an address or
    another small object as lines of text, a list as commas, empty as "—"."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, dict):
        if set(value) <= _ADDRESS_KEYS:
            return format_address(value)
        return pretty_json(value)
    if isinstance(value, list | tuple):
        if all(isinstance(item, str | int | float) for item in value):
            return ", ".join(str(item) for item in value)
        return pretty_json(list(value))
    return value


_ADDRESS_KEYS = frozenset({"line1", "line2", "city", "state", "postal_code", "country"})


def format_address(address: dict[str, Any]) -> SafeString | str:
    """A Stripe address on lines, as on an envelope."""
    city = " ".join(
        part for part in (address.get("postal_code"), address.get("city")) if part
    )
    lines = [
        address.get("line1"),
        address.get("line2"),
        ", ".join(part for part in (city, address.get("state")) if part),
        address.get("country"),
    ]
    lines = [line for line in lines if line]
    if not lines:
        return "—"
    return format_html_join(SafeString("<br>"), "{}", ((line,) for line in lines))
