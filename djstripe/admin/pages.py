"""What each model's changelist and page show: the columns an operator scans
and the facts Stripe's dashboard puts on the object's page.

Each entry names fields or ``StripeProperty`` names; ``columns.column_for``
turns every name into a formatted column (money with its currency, statuses
as badges, dates relative and exact, relations as links). A model not listed
gets columns and facts derived from its fields (see ``base``).

Rows related to an object (a customer's subscriptions, an invoice's lines)
are shown as bounded tables (:func:`related_table`): the first
:data:`TABLE_LIMIT` rows and a link to all of them, so that a customer with
10,000 invoices loads as fast as one with 3.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from .. import sync
from . import columns, display

#: Most related rows shown on an object's page.
TABLE_LIMIT = 10

#: Changelist columns, by model name (first: the link to the row).
LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer": ("id", "name", "email", "balance", "delinquent", "created"),
    "charge": ("id", "amount", "amount_refunded", "status", "customer", "created"),
    "paymentintent": ("id", "amount", "status", "customer", "created"),
    "setupintent": ("id", "status", "customer", "payment_method", "created"),
    "refund": ("id", "amount", "charge", "reason", "status", "created"),
    "dispute": ("id", "amount", "charge", "reason", "status", "created"),
    "balancetransaction": ("id", "type", "amount", "fee", "net", "status", "created"),
    "payout": ("id", "amount", "status", "arrival_date", "created"),
    "subscription": ("id", "customer", "status", "cancel_at_period_end", "created"),
    "subscriptionitem": ("id", "subscription", "price", "quantity", "created"),
    "invoice": ("id", "number", "customer", "total", "status", "created"),
    "invoiceitem": ("id", "amount", "customer", "invoice", "created"),
    "lineitem": ("id", "amount", "invoice", "subscription", "created"),
    "product": ("id", "name", "active", "created"),
    "price": ("id", "nickname", "product", "unit_amount", "active", "created"),
    "coupon": (
        "id",
        "name",
        "percent_off",
        "amount_off",
        "duration",
        "times_redeemed",
        "valid",
    ),
    "promotioncode": ("id", "code", "coupon", "customer", "active", "created"),
    "session": ("id", "customer", "mode", "status", "amount_total", "created"),
    "paymentmethod": ("id", "type", "customer", "created"),
    "event": ("id", "type", "event_object", "created"),
    "webhookendpoint": ("id", "url", "status", "secret", "created"),
}

#: Facts on an object's page, by model name, in the dashboard's order.
FACTS: dict[str, tuple[str, ...]] = {
    "customer": (
        "name",
        "email",
        "phone",
        "balance",
        "currency",
        "delinquent",
        "address",
        "default_payment_method",
        "tax_exempt",
        "subscriber",
        "date_purged",
    ),
    "subscription": (
        "customer",
        "status",
        "price",
        "quantity",
        "current_period",
        "collection_method",
        "cancel_at_period_end",
        "cancel_at",
        "canceled_at",
        "ended_at",
        "trial_start",
        "trial_end",
        "start_date",
        "default_payment_method",
        "latest_invoice",
        "schedule",
    ),
    "invoice": (
        "number",
        "customer",
        "subscription",
        "status",
        "total",
        "subtotal",
        "amount_due",
        "amount_paid",
        "amount_remaining",
        "billing_reason",
        "collection_method",
        "attempt_count",
        "due_date",
        "period_start",
        "period_end",
        "paid_at",
        "hosted_invoice_url",
        "invoice_pdf",
        "default_payment_method",
    ),
    "charge": (
        "customer",
        "amount",
        "amount_captured",
        "amount_refunded",
        "status",
        "payment_method",
        "payment_intent",
        "invoice",
        "balance_transaction",
        "receipt_email",
        "receipt_number",
        "receipt_url",
        "statement_descriptor",
        "captured",
        "refunded",
        "disputed",
    ),
    "paymentintent": (
        "customer",
        "amount",
        "amount_received",
        "status",
        "capture_method",
        "payment_method",
        "latest_charge",
    ),
    "event": (
        "type",
        "event_object",
        "webhook_requests",
        "api_version",
        "request_id",
        "idempotency_key",
    ),
}

#: Values searched exactly (by an index), by model name, besides ids.
EXACT_SEARCH: dict[str, tuple[str, ...]] = {
    "event": ("data__object__id",),
    "invoice": ("number",),
    "charge": ("stripe_data__receipt_number",),
    "refund": ("stripe_data__receipt_number",),
    "promotioncode": ("code",),
    "price": ("lookup_key",),
}

#: Bounded tables of related rows, by model name: (relation, columns).
TABLES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "customer": (
        ("subscriptions", ("id", "status", "created")),
        ("charges", ("id", "amount", "status", "created")),
        ("invoices", ("id", "number", "total", "status", "created")),
        ("tax_ids", ("id", "created")),
    ),
    "subscription": (
        ("items", ("id", "price", "quantity", "current_period_end")),
        ("invoices", ("id", "number", "total", "status", "created")),
    ),
    "invoice": (("lines", ("id", "amount", "subscription", "created")),),
}


def related_table(
    model: type[models.Model], relation: str, names: tuple[str, ...], site: str
) -> Callable[[Any], Any]:
    """A read-only table of the first :data:`TABLE_LIMIT` rows of ``relation``
    (a reverse relation of ``model``), newest first, with a link to all."""
    rel = next(
        r for r in model._meta.related_objects if r.get_accessor_name() == relation
    )
    related = rel.related_model
    shown = [columns.column_for(related, name, site) for name in names]
    select = [
        name for name in names if isinstance(_field(related, name), models.ForeignKey)
    ]
    headers = [_header(related, name) for name in names]

    @admin.display(description=str(related._meta.verbose_name_plural).capitalize())
    def table(obj: models.Model) -> Any:
        key = getattr(obj, rel.field.target_field.attname)
        rows = list(
            related._base_manager.filter(**{rel.field.name: key})
            .select_related(*select)
            .order_by("-pk")[: TABLE_LIMIT + 1]
        )
        if not rows:
            return "—"
        more = ""
        if len(rows) > TABLE_LIMIT:
            rows = rows[:TABLE_LIMIT]
            count = related._base_manager.filter(**{rel.field.name: key}).count()
            url = display.admin_changelist_url(related, site)
            query = urlencode({f"{rel.field.name}__exact": key})
            more = format_html(
                '<p><a href="{}?{}">See all {} {}</a></p>',
                url,
                query,
                count,
                related._meta.verbose_name_plural,
            )
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (
                    format_html_join(
                        "",
                        "<td>{}</td>",
                        ((_cell(row, column, related, site),) for column in shown),
                    ),
                )
                for row in rows
            ),
        )
        return format_html(
            '<table class="djstripe-related"><thead><tr>{}</tr></thead>'
            "<tbody>{}</tbody></table>{}",
            format_html_join("", "<th>{}</th>", ((h,) for h in headers)),
            body,
            more,
        )

    table.__name__ = f"table_{relation}"
    return table


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _header(model: type[models.Model], name: str) -> str:
    field = _field(model, name)
    text = field.verbose_name if field is not None else name.replace("_", " ")
    return str(text).capitalize()


def _cell(row: Any, column: Any, model: type[models.Model], site: str) -> Any:
    if column == "id":
        return display.link(display.admin_change_url(row, site), row.id)
    if callable(column):
        return column(row)
    return display.plain(getattr(row, column))


# -- Facts computed from more than one field ------------------------------------------


class SubscriptionFacts:
    """Price, quantity and current period: Stripe keeps them on the items."""

    admin_site: admin.AdminSite  # set by the ModelAdmin this is mixed into

    @admin.display(description="Price")
    def price(self, obj: Any) -> Any:
        items = _items(obj)
        links = [
            display.link(
                display.admin_change_url(item.price, self.admin_site.name),
                display.object_label(item.price),
            )
            for item in items
            if item.price_id and item.price is not None
        ]
        if not links:
            return "—"
        return format_html_join(", ", "{}", ((link,) for link in links))

    @admin.display(description="Quantity")
    def quantity(self, obj: Any) -> Any:
        return sum(item.quantity or 0 for item in _items(obj)) or "—"

    @admin.display(description="Current period")
    def current_period(self, obj: Any) -> Any:
        items = [i for i in _items(obj) if i.current_period_start]
        if not items:
            return "—"
        start = min(i.current_period_start for i in items)
        end = max(i.current_period_end for i in items if i.current_period_end)
        return format_html(
            "{} – {}", start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")
        )


def _items(subscription: Any) -> list[Any]:
    cache = subscription.__dict__
    if "_djstripe_items" not in cache:
        cache["_djstripe_items"] = list(
            subscription.items.select_related("price").order_by("pk")[:20]
        )
    return cast(list[Any], cache["_djstripe_items"])


class EventFacts:
    """An event links to the object it is about and the requests that
    delivered it."""

    admin_site: admin.AdminSite  # set by the ModelAdmin this is mixed into

    @admin.display(description="Object")
    def event_object(self, obj: Any) -> Any:
        """The object's page is found by a search for its id: no query per row."""
        data = obj.data_object
        object_id, kind = data.get("id"), data.get("object")
        if not object_id:
            return "—"
        model = sync.model_for(kind) if kind else None
        url = display.admin_changelist_url(model, self.admin_site.name) if model else ""
        text = f"{kind} {object_id}"
        return display.link(f"{url}?{urlencode({'q': object_id})}" if url else "", text)

    @admin.display(description="Webhook requests")
    def webhook_requests(self, obj: Any) -> Any:
        Trigger = apps.get_model("djstripe", "WebhookEventTrigger")
        triggers = list(
            Trigger._base_manager.filter(event_id=obj.id).order_by("-pk")[:5]
        )
        if not triggers:
            return "None received (back-filled, or not delivered yet)"
        return format_html_join(
            format_html("<br>"),
            '<a href="{}">{}</a>',
            (
                (display.admin_change_url(t, self.admin_site.name), str(t))
                for t in triggers
            ),
        )


#: Page behaviour by model name.
FACT_MIXINS: dict[str, type] = {
    "subscription": SubscriptionFacts,
    "event": EventFacts,
}
