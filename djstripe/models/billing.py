"""Stripe Billing: subscriptions, invoices and what discounts and taxes them."""

from __future__ import annotations

import datetime
from typing import Any

import stripe
from django.db.models import Count, Q, Sum
from django.utils import timezone

from .. import stripe_api
from ..fields import (
    StripeBooleanField,
    StripeCharField,
    StripeCurrencyCodeField,
    StripeDateTimeField,
    StripeDecimalCurrencyAmountField,
    StripeEnumField,
    StripeForeignKey,
    StripeIntegerField,
)
from ..properties import StripeProperty
from ..settings import djstripe_settings
from .base import StripeManager, StripeModel, StripeQuerySet

# -- Discounts ----------------------------------------------------------------


class Coupon(StripeModel):
    """A discount recipe: a percentage or an amount off, for some duration.

    Stripe documentation: https://stripe.com/docs/api/coupons?lang=python
    """

    stripe_class = stripe.Coupon
    stripe_dashboard_item_name = "coupons"

    amount_off = StripeDecimalCurrencyAmountField(
        help_text="Amount off, in major units."
    )
    currency = StripeCurrencyCodeField()
    duration = StripeEnumField(enum=("forever", "once", "repeating"))
    name = StripeCharField(max_length=5000)
    valid = StripeBooleanField(
        default=True, help_text="Whether it can still be redeemed."
    )

    percent_off = StripeProperty("Percentage taken off the subtotal (0-100).")
    duration_in_months = StripeProperty("Months the discount lasts, for repeating.")
    redeem_by = StripeProperty(
        "Last time the coupon can be redeemed.", kind="timestamp"
    )
    times_redeemed = StripeProperty("How many times it was applied.", default=0)

    def __str__(self) -> str:
        if self.percent_off is not None:
            off = f"{self.percent_off:g}% off"
        else:
            off = f"{self.amount_off} {self.currency.upper()} off"
        return f"{self.name or self.id} ({off})"


class PromotionCode(StripeModel):
    """A customer-facing code that redeems a coupon.

    Stripe documentation: https://stripe.com/docs/api/promotion_codes?lang=python
    """

    stripe_class = stripe.PromotionCode
    stripe_dashboard_item_name = "promotion_codes"

    active = StripeBooleanField(default=True)
    code = StripeCharField(max_length=500, db_index=True)
    coupon = StripeForeignKey(
        Coupon, stripe_path="promotion.coupon", related_name="promotion_codes"
    )
    customer = StripeForeignKey("djstripe.Customer", related_name="promotion_codes")


class Discount(StripeModel):
    """A coupon applied to a customer, a subscription, an invoice or an item.

    Stripe documentation: https://stripe.com/docs/api/discounts?lang=python
    """

    stripe_class = stripe.Discount

    coupon = StripeForeignKey(
        Coupon, stripe_path="source.coupon", related_name="discounts"
    )
    customer = StripeForeignKey("djstripe.Customer", related_name="discounts")
    invoice = StripeForeignKey("djstripe.Invoice", related_name="+")
    promotion_code = StripeForeignKey(PromotionCode, related_name="discounts")
    subscription = StripeForeignKey("djstripe.Subscription", related_name="+")

    start = StripeProperty("When the discount began.", kind="timestamp")
    end = StripeProperty("When the discount ends, if it does.", kind="timestamp")


# -- Taxes and shipping -------------------------------------------------------------


class TaxRate(StripeModel):
    """A tax percentage applied to invoices, subscriptions and Checkout.

    Stripe documentation: https://stripe.com/docs/api/tax_rates?lang=python
    """

    stripe_class = stripe.TaxRate
    stripe_dashboard_item_name = "tax-rates"

    active = StripeBooleanField(default=True)
    display_name = StripeCharField(max_length=50)
    inclusive = StripeBooleanField()
    jurisdiction = StripeCharField(max_length=50)

    percentage = StripeProperty("The tax rate, in percent.")
    country = StripeProperty("Two-letter country code of the jurisdiction.")

    def __str__(self) -> str:
        kind = "incl." if self.inclusive else "excl."
        return f"{self.display_name} {self.percentage}% ({kind})"


class TaxCode(StripeModel):
    """A product tax code (what kind of good or service is sold).

    Stripe documentation: https://stripe.com/docs/api/tax_codes?lang=python
    """

    stripe_class = stripe.TaxCode

    name = StripeCharField(max_length=500)

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class TaxId(StripeModel):
    """A customer's tax id (VAT number...).

    Stripe documentation: https://stripe.com/docs/api/tax_ids?lang=python
    """

    stripe_class = stripe.TaxId

    customer = StripeForeignKey("djstripe.Customer", related_name="tax_ids")
    country = StripeCharField(max_length=2)
    type = StripeEnumField(help_text="eu_vat, us_ein, gb_vat...")
    value = StripeCharField(max_length=255, db_index=True)

    verification = StripeProperty("Verification status of the id.")

    def __str__(self) -> str:
        return f"{self.type} {self.value}"


class ShippingRate(StripeModel):
    """A shipping option offered in Checkout or on invoices.

    Stripe documentation: https://stripe.com/docs/api/shipping_rates?lang=python
    """

    stripe_class = stripe.ShippingRate
    stripe_dashboard_item_name = "shipping-rates"

    active = StripeBooleanField(default=True)
    display_name = StripeCharField(max_length=100)
    tax_code = StripeForeignKey(TaxCode, related_name="+")

    fixed_amount = StripeProperty("The amount and currency of a fixed_amount rate.")
    delivery_estimate = StripeProperty("The estimated delivery range.")


# -- Subscriptions ----------------------------------------------------------------------

#: Statuses in which the customer has (or will have, after a trial) access.
ACTIVE_STATUSES = ("active", "trialing")
#: Statuses that are not a subscription the customer is paying for.
INVALID_STATUSES = ("canceled", "incomplete", "incomplete_expired")


class SubscriptionQuerySet(StripeQuerySet):
    def active(self) -> SubscriptionQuerySet:
        """Subscriptions giving access now: active or trialing, and not ended."""
        now = timezone.now()
        return self.filter(status__in=ACTIVE_STATUSES).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=now)
        )

    def valid(self) -> SubscriptionQuerySet:
        """Subscriptions that aren't canceled, incomplete or incomplete_expired."""
        return self.exclude(status__in=INVALID_STATUSES)

    def count_by_status(self) -> dict[str, int]:
        """``{"active": 12, "past_due": 2, ...}``."""
        rows = self.order_by().values("status").annotate(n=Count("djstripe_id"))
        return {row["status"]: row["n"] for row in rows}


class Subscription(StripeModel):
    """A customer's recurring payment for one or more prices.

    Stripe documentation: https://stripe.com/docs/api/subscriptions?lang=python
    """

    stripe_class = stripe.Subscription
    stripe_dashboard_item_name = "subscriptions"
    expand_fields = ["default_payment_method", "discounts"]
    stripe_list_params = {"status": "all"}  # the default list leaves canceled out

    customer = StripeForeignKey("djstripe.Customer", related_name="subscriptions")
    status = StripeEnumField(
        enum=(
            "incomplete",
            "incomplete_expired",
            "trialing",
            "active",
            "past_due",
            "canceled",
            "unpaid",
            "paused",
        ),
        db_index=True,
    )
    currency = StripeCurrencyCodeField()
    cancel_at_period_end = StripeBooleanField()
    cancel_at = StripeDateTimeField()
    canceled_at = StripeDateTimeField()
    ended_at = StripeDateTimeField()
    start_date = StripeDateTimeField()
    trial_end = StripeDateTimeField()
    default_payment_method = StripeForeignKey(
        "djstripe.PaymentMethod", related_name="+"
    )
    latest_invoice = StripeForeignKey("djstripe.Invoice", related_name="+")
    schedule = StripeForeignKey("djstripe.SubscriptionSchedule", related_name="+")

    billing_cycle_anchor = StripeProperty(
        "Reference point of the billing periods.", kind="timestamp"
    )
    collection_method = StripeProperty("charge_automatically or send_invoice.")
    trial_start = StripeProperty("When the trial began.", kind="timestamp")

    objects = StripeManager.from_queryset(SubscriptionQuerySet)()

    class Meta(StripeModel.Meta):
        permissions = [("cancel_subscription", "Can cancel subscriptions in Stripe")]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def is_valid(self) -> bool:
        return self.status not in INVALID_STATUSES

    def is_active(self) -> bool:
        """Whether the subscription gives access now."""
        ended = self.ended_at is not None and self.ended_at <= timezone.now()
        return self.status in ACTIVE_STATUSES and not ended

    def update(self, api_key: str | None = None, **kwargs: Any) -> Subscription:
        """Change the subscription in Stripe and mirror the result."""
        return self.sync_from_stripe_data(self._api_update(api_key=api_key, **kwargs))

    def cancel(
        self, *, at_period_end: bool = False, api_key: str | None = None
    ) -> Subscription:
        """Cancel now, or at the end of the current period."""
        if at_period_end:
            return self.update(api_key=api_key, cancel_at_period_end=True)
        data = stripe_api.delete(
            self.stripe_class_url(),
            self.id,
            api_key=api_key or self.default_api_key,
            stripe_account=self._stripe_account,
        )
        return self.sync_from_stripe_data(data)


class SubscriptionItem(StripeModel):
    """One price (and quantity) of a subscription.

    Stripe documentation: https://stripe.com/docs/api/subscription_items?lang=python
    """

    stripe_class = stripe.SubscriptionItem
    stripe_parent_field = "subscription"
    stripe_listable = False  # listed per subscription: arrives with its subscription

    subscription = StripeForeignKey(Subscription, related_name="items")
    price = StripeForeignKey("djstripe.Price", related_name="subscription_items")
    quantity = StripeIntegerField()
    current_period_start = StripeDateTimeField()
    current_period_end = StripeDateTimeField()


class SubscriptionSchedule(StripeModel):
    """Planned changes to a subscription over time (phases).

    Stripe documentation: https://stripe.com/docs/api/subscription_schedules?lang=python
    """

    stripe_class = stripe.SubscriptionSchedule
    stripe_dashboard_item_name = "subscription_schedules"

    customer = StripeForeignKey(
        "djstripe.Customer", related_name="subscription_schedules"
    )
    subscription = StripeForeignKey(Subscription, related_name="+")
    status = StripeEnumField(
        enum=("not_started", "active", "completed", "released", "canceled"),
        db_index=True,
    )

    phases = StripeProperty("The schedule's phases.", default=())
    end_behavior = StripeProperty("release or cancel, once the last phase ends.")


# -- Invoices ----------------------------------------------------------------------------


class InvoiceQuerySet(StripeQuerySet):
    def paid(self) -> InvoiceQuerySet:
        return self.filter(status="paid")

    def paid_between(
        self, start: datetime.datetime, end: datetime.datetime
    ) -> InvoiceQuerySet:
        """Invoices paid in ``[start, end)``."""
        return self.paid().filter(paid_at__gte=start, paid_at__lt=end)

    def revenue_by_currency(self) -> dict[str, Any]:
        """Amount paid per currency, in major units: ``{"usd": Decimal("120.00")}``."""
        rows = self.order_by().values("currency").annotate(total=Sum("amount_paid"))
        return {row["currency"]: row["total"] for row in rows}


class Invoice(StripeModel):
    """A statement of amounts owed by a customer, paid or pending.

    Its ``lines`` become :class:`LineItem` rows (``invoice.lines``).

    Stripe documentation: https://stripe.com/docs/api/invoices?lang=python
    """

    stripe_class = stripe.Invoice
    stripe_dashboard_item_name = "invoices"
    expand_fields = ["default_payment_method", "discounts"]

    customer = StripeForeignKey("djstripe.Customer", related_name="invoices")
    subscription = StripeForeignKey(Subscription, related_name="invoices")
    default_payment_method = StripeForeignKey(
        "djstripe.PaymentMethod", related_name="+"
    )
    status = StripeEnumField(
        enum=("draft", "open", "paid", "uncollectible", "void"), db_index=True
    )
    currency = StripeCurrencyCodeField()
    amount_due = StripeDecimalCurrencyAmountField()
    amount_paid = StripeDecimalCurrencyAmountField()
    amount_remaining = StripeDecimalCurrencyAmountField()
    subtotal = StripeDecimalCurrencyAmountField()
    total = StripeDecimalCurrencyAmountField()
    attempt_count = StripeIntegerField(default=0)
    billing_reason = StripeEnumField()
    collection_method = StripeEnumField(enum=("charge_automatically", "send_invoice"))
    number = StripeCharField(max_length=64, db_index=True)
    due_date = StripeDateTimeField()
    period_start = StripeDateTimeField()
    period_end = StripeDateTimeField()
    paid_at = StripeDateTimeField(
        stripe_path="status_transitions.paid_at",
        db_index=True,
        help_text="When it was paid.",
    )

    hosted_invoice_url = StripeProperty("The page where the customer can pay.")
    invoice_pdf = StripeProperty("The invoice's PDF.")
    status_transitions = StripeProperty("When the invoice changed status.")

    objects = StripeManager.from_queryset(InvoiceQuerySet)()

    def __str__(self) -> str:
        return f"Invoice {self.number or self.id} ({self.status})"

    @property
    def paid(self) -> bool:
        """Whether the invoice is paid (``status == "paid"``)."""
        return self.status == "paid"

    @classmethod
    def upcoming(
        cls, customer: Any = None, api_key: str | None = None, **kwargs: Any
    ) -> UpcomingInvoice | None:
        """The preview of the customer's next invoice (never saved), or None
        when there is nothing to invoice."""
        from .core import Customer

        if isinstance(customer, Customer):
            api_key = api_key or customer.default_api_key
            kwargs.setdefault("customer", customer.id)
        elif customer:
            kwargs.setdefault("customer", customer)
        try:
            data = stripe_api.request(
                "post",
                f"{cls.stripe_class_url()}/create_preview",
                kwargs,
                api_key=api_key or djstripe_settings.STRIPE_SECRET_KEY,
            )
        except stripe.InvalidRequestError as error:
            if error.code == "invoice_upcoming_none":
                return None
            raise
        return UpcomingInvoice(data)

    def pay(self, api_key: str | None = None, **kwargs: Any) -> Invoice:
        """Attempt payment now, and mirror the result."""
        return self.sync_from_stripe_data(
            self._api_action("pay", api_key=api_key, **kwargs)
        )

    def finalize(self, api_key: str | None = None, **kwargs: Any) -> Invoice:
        return self.sync_from_stripe_data(
            self._api_action("finalize", api_key=api_key, **kwargs)
        )

    def void(self, api_key: str | None = None) -> Invoice:
        return self.sync_from_stripe_data(self._api_action("void", api_key=api_key))


class UpcomingInvoice:
    """A preview of a customer's next invoice, as Stripe computes it.

    It is not a row: Stripe has no such invoice yet, so mirroring it would
    only create stale data. It reads like an :class:`Invoice` (an unsaved one
    backs it) and its :attr:`lines` are unsaved :class:`LineItem` objects.
    """

    def __init__(self, data: dict):
        self.stripe_data = data
        self.invoice = Invoice.from_stripe_data(data)

    def __getattr__(self, name: str) -> Any:
        if name == "invoice":  # before __init__ ran (copy, pickle)
            raise AttributeError(name)
        return getattr(self.invoice, name)

    def __repr__(self) -> str:
        return (
            f"<UpcomingInvoice customer={self.invoice.customer_id} total={self.total}>"
        )

    @property
    def lines(self) -> list[LineItem]:
        data = (self.stripe_data.get("lines") or {}).get("data") or []
        return [LineItem.from_stripe_data(line) for line in data]

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "An upcoming invoice is a preview; it cannot be saved."
        )


class InvoiceItem(StripeModel):
    """A charge or credit waiting for (or added to) a customer's invoice.

    Stripe documentation: https://stripe.com/docs/api/invoiceitems?lang=python
    """

    stripe_class = stripe.InvoiceItem
    stripe_dashboard_item_name = "invoiceitems"

    customer = StripeForeignKey("djstripe.Customer", related_name="invoice_items")
    invoice = StripeForeignKey(Invoice, related_name="invoice_items")
    subscription = StripeForeignKey(
        Subscription,
        stripe_path="parent.subscription_details.subscription",
        related_name="invoice_items",
    )
    amount = StripeDecimalCurrencyAmountField()
    currency = StripeCurrencyCodeField()

    date = StripeProperty("When the item was created.", kind="timestamp")
    discountable = StripeProperty("Whether discounts apply to the item.", default=True)
    period = StripeProperty("The period the item covers.")
    proration = StripeProperty("Whether it is a proration.", default=False)
    quantity = StripeProperty("Quantity of units.", default=1)


class LineItem(StripeModel):
    """One line of an invoice (from an invoice item or a subscription item).

    Mirrored from the invoice's embedded ``lines``; the invoice relation is
    inherited from the embedding invoice if the line does not name it.

    Stripe documentation: https://stripe.com/docs/api/invoices/line_item?lang=python
    """

    stripe_class = stripe.InvoiceLineItem
    stripe_parent_field = "invoice"
    stripe_nested_in = ("invoice", "lines")

    invoice = StripeForeignKey(Invoice, related_name="lines")
    subscription = StripeForeignKey(Subscription, related_name="+")
    amount = StripeDecimalCurrencyAmountField()
    currency = StripeCurrencyCodeField()

    period = StripeProperty("The period the line covers.")
    quantity = StripeProperty("Quantity of units.")
    pricing = StripeProperty("How the line was priced (price id, unit amount).")
