"""Stripe Billing: subscriptions, invoices and what discounts and taxes them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import stripe
from django.db.models import Count, Q, Sum

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
    StripeJSONField,
    stripe_id_of,
    timestamp_to_datetime,
)
from ..money import friendly_minor_amount, get_friendly_currency_amount
from ..properties import StripeProperty
from ..settings import djstripe_settings
from ..sync.parents import ParentList
from .base import (
    StripeManager,
    StripeModel,
    StripeQuerySet,
    id_of,
    month_range,
    stripe_now,
)

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
        return self.name or self.human_readable

    @property
    def human_readable_amount(self) -> str:
        """``"25% off"``, ``"$4.50 USD off"``."""
        if self.percent_off:
            amount = f"{self.percent_off}%"
        elif self.currency:
            amount = get_friendly_currency_amount(self.amount_off or 0, self.currency)
        else:
            amount = "(invalid amount)"
        return f"{amount} off"

    @property
    def human_readable(self) -> str:
        """``"$4.50 USD off once"``, ``"25% off for 3 months"``, as dj-stripe."""
        duration = self.duration
        if duration == "repeating":
            months = self.duration_in_months
            duration = "for 1 month" if months == 1 else f"for {months} months"
        return f"{self.human_readable_amount} {duration}"


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
        return f"{self.display_name} at {self.percentage}%"


class TaxCode(StripeModel):
    """A product tax code (what kind of good or service is sold).

    Stripe documentation: https://stripe.com/docs/api/tax_codes?lang=python
    """

    stripe_class = stripe.TaxCode

    name = StripeCharField(max_length=500)

    def __str__(self) -> str:
        return f"{self.name}: {self.id}"


class TaxId(StripeModel):
    """A customer's tax id (VAT number...).

    Stripe documentation: https://stripe.com/docs/api/tax_ids?lang=python
    """

    stripe_class = stripe.TaxId
    stripe_parent_lists = (
        ParentList("customer", "/v1/customers/{id}/tax_ids", embedded="tax_ids"),
    )

    customer = StripeForeignKey("djstripe.Customer", related_name="tax_ids")
    country = StripeCharField(max_length=2)
    type = StripeEnumField(help_text="eu_vat, us_ein, gb_vat...")
    value = StripeCharField(max_length=255, db_index=True)

    verification = StripeProperty("Verification status of the id.")

    def __str__(self) -> str:
        kind = (
            "Unknown" if self.type == "unknown" else self.type.replace("_", " ").upper()
        )
        return f"{kind} {self.value}"


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

    def __str__(self) -> str:
        fixed = self.fixed_amount or {}
        amount = "N/A"
        if fixed.get("amount") is not None and fixed.get("currency"):
            amount = friendly_minor_amount(fixed["amount"], fixed["currency"])
        state = "Active" if self.active else "Archived"
        return f"{self.display_name} - {amount} ({state})"


# -- Subscriptions ----------------------------------------------------------------------

#: Statuses dj-stripe calls current: the customer has access.
CURRENT_STATUSES = ("active", "trialing")
#: Statuses that are not a subscription the customer is paying for.
INVALID_STATUSES = ("canceled", "incomplete", "incomplete_expired")


class SubscriptionQuerySet(StripeQuerySet):
    """dj-stripe's subscription queries, with its meaning of each name."""

    def active(self) -> SubscriptionQuerySet:
        """Subscriptions whose status is ``active`` (dj-stripe's meaning:
        trialing ones are not counted)."""
        return self.filter(status="active")

    def canceled(self) -> SubscriptionQuerySet:
        return self.filter(status="canceled")

    def valid(self) -> SubscriptionQuerySet:
        """Subscriptions that aren't canceled, incomplete or incomplete_expired."""
        return self.exclude(status__in=INVALID_STATUSES)

    def period_current(
        self, at: datetime.datetime | None = None
    ) -> SubscriptionQuerySet:
        """Subscriptions whose billing period or trial runs past ``at`` (now)."""
        at = at or stripe_now()
        return self.filter(Q(current_period_end__gt=at) | Q(trial_end__gt=at))

    def started_during(self, year: int, month: int) -> SubscriptionQuerySet:
        """Subscriptions (not trialing) that started in the month, UTC."""
        start, end = month_range(year, month)
        return self.exclude(status="trialing").filter(
            start_date__gte=start, start_date__lt=end
        )

    def canceled_during(self, year: int, month: int) -> SubscriptionQuerySet:
        """Canceled subscriptions whose cancellation fell in the month, UTC."""
        start, end = month_range(year, month)
        return self.canceled().filter(canceled_at__gte=start, canceled_at__lt=end)

    def _plan_summary(self) -> SubscriptionQuerySet:
        return self.values("plan").order_by().annotate(count=Count("plan"))  # type: ignore[no-any-return]

    def started_plan_summary_for(self, year: int, month: int) -> SubscriptionQuerySet:
        """``[{"plan": "price_...", "count": 3}, ...]`` for those started in the month."""
        return self.started_during(year, month)._plan_summary()

    def active_plan_summary(self) -> SubscriptionQuerySet:
        """``[{"plan": "price_...", "count": 12}, ...]`` for active subscriptions."""
        return self.active()._plan_summary()

    def canceled_plan_summary_for(self, year: int, month: int) -> SubscriptionQuerySet:
        return self.canceled_during(year, month)._plan_summary()

    def churn(self) -> Decimal:
        """Canceled subscriptions divided by active ones (0 when none is active)."""
        active = self.active().count()
        if not active:
            return Decimal(0)
        return Decimal(self.canceled().count()) / Decimal(active)

    def count_by_status(self) -> dict[str, int]:
        """``{"active": 12, "past_due": 2, ...}``."""
        rows = self.order_by().values("status").annotate(n=Count("djstripe_id"))
        return {row["status"]: row["n"] for row in rows}


def _single_item(data: dict[str, Any]) -> dict[str, Any]:
    """The subscription's item when it has exactly one (else ``{}``): what
    Stripe's older API versions mirrored at the top (``plan``, ``quantity``)."""
    items = (data.get("items") or {}).get("data") or []
    return items[0] if len(items) == 1 and isinstance(items[0], dict) else {}


def _first_item(data: dict[str, Any]) -> dict[str, Any]:
    items = (data.get("items") or {}).get("data") or []
    return items[0] if items and isinstance(items[0], dict) else {}


class Subscription(StripeModel):
    """Subscriptions allow you to charge a customer on a recurring basis.

    ``plan``, ``quantity``, ``discount`` and the current period are what
    dj-stripe offers on the subscription; Stripe's newer API versions moved
    them to the items, so they are taken from there when the subscription
    does not carry them (the plan and quantity of its single item, the period
    of its first).

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
    current_period_start = StripeDateTimeField(
        help_text="Start of the period the subscription was last invoiced for."
    )
    current_period_end = StripeDateTimeField(
        help_text="End of the period the subscription was last invoiced for."
    )
    plan = StripeForeignKey(
        "djstripe.Price",
        # The plan is embedded whole: read its id, keep the object in stripe_data.
        stripe_path="plan.id",
        related_name="+",
        help_text="The plan (price) of a single-item subscription.",
    )
    quantity = StripeIntegerField(
        help_text="The quantity of a single-item subscription."
    )
    discount = StripeJSONField(help_text="The discount applied, if any.")
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

    objects = StripeManager.from_queryset(SubscriptionQuerySet)()  # type: ignore[misc]

    class Meta(StripeModel.Meta):
        permissions = [("cancel_subscription", "Can cancel subscriptions in Stripe")]

    @classmethod
    def stripe_extra_values(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Where the subscription does not carry them, the plan, quantity and
        period of its items."""
        values: dict[str, Any] = {}
        single, first = _single_item(data), _first_item(data)
        if data.get("plan") is None:
            price = single.get("price") or single.get("plan")
            values["plan_id"] = stripe_id_of(price)
        if data.get("quantity") is None:
            values["quantity"] = single.get("quantity")
        for name in ("current_period_start", "current_period_end"):
            if data.get(name) is None:
                values[name] = timestamp_to_datetime(first.get(name))
        return values

    # -- Status ------------------------------------------------------------------

    def is_status_current(self) -> bool:
        """Whether the status is active or trialing."""
        return self.status in CURRENT_STATUSES

    def is_period_current(self) -> bool:
        """Whether the current period, or the trial, has not ended."""
        now = stripe_now()
        return _after(self.current_period_end, now) or _after(self.trial_end, now)

    def is_status_temporarily_current(self) -> bool:
        """Canceled at period end, and the period still runs: the customer
        keeps access until it ends."""
        return bool(
            self.canceled_at
            and self.cancel_at_period_end
            and _after(self.current_period_end, stripe_now())
        )

    def is_valid(self) -> bool:
        """Whether both the status and the period are current."""
        return self.is_status_current() and self.is_period_current()

    def is_active(self) -> bool:
        """Whether the subscription gives access now (status and period current)."""
        return self.is_valid()

    # -- Write-through -------------------------------------------------------------

    def update(
        self, plan: Any = None, api_key: str | None = None, **kwargs: Any
    ) -> Subscription:
        """Change the subscription in Stripe and mirror the result (``plan``:
        a Price or Plan, or its id, for API versions that accept it)."""
        if plan is not None:
            kwargs["plan"] = id_of(plan)
        return self._mirror(self._api_update(api_key=api_key, **kwargs), api_key)

    def extend(self, delta: datetime.timedelta) -> Subscription:
        """Extend the subscription by ``delta`` without charging for it: the
        trial (or a new one, from the period's end) ends ``delta`` later."""
        if delta.total_seconds() < 0:
            raise ValueError("delta must be a positive timedelta.")
        if self.trial_end is not None and self.trial_end > stripe_now():
            period_end = self.trial_end
        else:
            period_end = self.current_period_end
        trial_end = int((period_end + delta).timestamp())
        return self.update(proration_behavior="none", trial_end=trial_end)

    def cancel(self, at_period_end: bool = False, **kwargs: Any) -> Subscription:
        """Cancel now (``DELETE``), or at the end of the period.

        During a trial the subscription is always canceled now, so the card is
        not charged. Canceling one Stripe already canceled mirrors it as is.
        Other keyword arguments (``invoice_now``, ``prorate``...) go to Stripe.
        """
        if self.trial_end is not None and self.trial_end > stripe_now():
            at_period_end = False
        if at_period_end:
            data = self._api_update(cancel_at_period_end=True, **kwargs)
        else:
            try:
                data = self._api_delete(**kwargs)
            except stripe.InvalidRequestError as error:
                if error.code != "resource_missing":
                    raise
                data = self.api_retrieve()  # canceled already: mirror what it is
        return self._mirror(data)

    def reactivate(self) -> Subscription | None:
        """Undo a cancellation at period end, while the period runs. Returns
        None for a subscription without a plan, as dj-stripe."""
        if not self.plan_id:
            return None
        return self.update(cancel_at_period_end=False)


def _after(moment: datetime.datetime | None, now: datetime.datetime) -> bool:
    return moment is not None and moment > now


class SubscriptionItem(StripeModel):
    """One price (and quantity) of a subscription.

    Stripe documentation: https://stripe.com/docs/api/subscription_items?lang=python
    """

    stripe_class = stripe.SubscriptionItem
    stripe_parent_lists = (
        ParentList("subscription", "/v1/subscription_items?subscription={id}", "items"),
    )
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

    def release(
        self,
        api_key: str | None = None,
        stripe_account: str | None = None,
        **kwargs: Any,
    ) -> SubscriptionSchedule:
        """Stop the schedule and leave its subscription in place (``POST
        .../release``); returns the released schedule."""
        return self._mirror(
            self._api_action(
                "release", api_key=api_key, stripe_account=stripe_account, **kwargs
            )
        )

    def cancel(
        self,
        api_key: str | None = None,
        stripe_account: str | None = None,
        **kwargs: Any,
    ) -> SubscriptionSchedule:
        """Cancel the schedule and its subscription now (``POST .../cancel``)."""
        return self._mirror(
            self._api_action(
                "cancel", api_key=api_key, stripe_account=stripe_account, **kwargs
            )
        )

    def update(
        self,
        api_key: str | None = None,
        stripe_account: str | None = None,
        **kwargs: Any,
    ) -> SubscriptionSchedule:
        """Change the schedule (its phases, end behavior...) in Stripe."""
        return self._mirror(
            self._api_update(api_key=api_key, stripe_account=stripe_account, **kwargs)
        )


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

    objects = StripeManager.from_queryset(InvoiceQuerySet)()  # type: ignore[misc]

    def __str__(self) -> str:
        number = self.number or self.stripe_data.get("receipt_number") or self.id
        amount = get_friendly_currency_amount(self.amount_paid or 0, self.currency)
        return f"Invoice #{number} for {amount} ({self.status})"

    @property
    def paid(self) -> bool:
        """Whether the invoice is paid (``status == "paid"``)."""
        return bool(self.status == "paid")

    @classmethod
    def upcoming(
        cls, customer: Any = None, api_key: str | None = None, **kwargs: Any
    ) -> UpcomingInvoice | None:
        """The preview of the customer's next invoice (never saved), or None
        when there is nothing to invoice."""
        if isinstance(customer, StripeModel):
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
        return self._mirror(self._api_action("pay", api_key=api_key, **kwargs))

    def retry(self, **kwargs: Any) -> bool:
        """Attempt payment again unless the invoice is paid. Returns whether
        an attempt was made; a declined payment raises Stripe's error."""
        if self.status == "paid":
            return False
        self.pay(**kwargs)
        return True

    def finalize(self, api_key: str | None = None, **kwargs: Any) -> Invoice:
        return self._mirror(self._api_action("finalize", api_key=api_key, **kwargs))

    def void(self, api_key: str | None = None) -> Invoice:
        return self._mirror(self._api_action("void", api_key=api_key))


class UpcomingInvoice:
    """A preview of a customer's next invoice, as Stripe computes it.

    It is not a row: Stripe has no such invoice yet, so mirroring it would
    only create stale data. It reads like an :class:`Invoice` (an unsaved one
    backs it) and its :attr:`lines` are unsaved :class:`LineItem` objects.
    """

    def __init__(self, data: dict[str, Any]):
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

    def __str__(self) -> str:
        return str(self.invoice)

    @property
    def id(self) -> None:
        """None: an upcoming invoice has no id of its own yet."""
        return None

    @property
    def lines(self) -> PreviewList:
        """The preview's lines, as unsaved :class:`LineItem` objects."""
        data = (self.stripe_data.get("lines") or {}).get("data") or []
        return PreviewList(LineItem.from_stripe_data(line) for line in data)

    #: dj-stripe's name for :attr:`lines`.
    lineitems = lines

    @property
    def invoiceitems(self) -> Any:
        """The mirrored invoice items the preview's lines come from."""
        lines = (self.stripe_data.get("lines") or {}).get("data") or []
        ids = {_invoice_item_of(line) for line in lines} - {None}
        return InvoiceItem.objects.filter(id__in=ids)

    @property
    def default_tax_rates(self) -> Any:
        """The mirrored tax rates the preview applies by default."""
        ids = [
            stripe_id_of(rate)
            for rate in self.stripe_data.get("default_tax_rates") or []
        ]
        return TaxRate.objects.filter(id__in=ids)

    def get_stripe_dashboard_url(self) -> str:
        """No page: the dashboard shows only real invoices."""
        return ""

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to save: Stripe has no such invoice yet (dj-stripe's
        UpcomingInvoice ignores ``save()`` too)."""


class PreviewList(list[Any]):
    """A list that answers the queryset calls templates make (``all``,
    ``count``, ``exists``, ``first``), for objects that are not rows."""

    def all(self) -> PreviewList:
        return self

    def count(self) -> int:  # type: ignore[override]
        return len(self)

    def exists(self) -> bool:
        return bool(self)

    def first(self) -> Any:
        return self[0] if self else None


def _invoice_item_of(line: dict[str, Any]) -> str | None:
    """The invoice item a line comes from (its place moved in API 2025-03-31)."""
    details = (line.get("parent") or {}).get("invoice_item_details") or {}
    return stripe_id_of(details.get("invoice_item") or line.get("invoice_item"))


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

    def __str__(self) -> str:
        return self.description or super().__str__()


class LineItem(StripeModel):
    """One line of an invoice (from an invoice item or a subscription item).

    Mirrored from the invoice's embedded ``lines``; the invoice relation is
    inherited from the embedding invoice if the line does not name it.

    Stripe documentation: https://stripe.com/docs/api/invoices/line_item?lang=python
    """

    stripe_class = stripe.InvoiceLineItem
    stripe_parent_lists = (
        ParentList("invoice", "/v1/invoices/{id}/lines", embedded="lines"),
    )
    stripe_parent_field = "invoice"
    stripe_nested_in = ("invoice", "lines")

    invoice = StripeForeignKey(Invoice, related_name="lines")
    subscription = StripeForeignKey(Subscription, related_name="+")
    amount = StripeDecimalCurrencyAmountField()
    currency = StripeCurrencyCodeField()

    period = StripeProperty("The period the line covers.")
    quantity = StripeProperty("Quantity of units.")
    pricing = StripeProperty("How the line was priced (price id, unit amount).")
