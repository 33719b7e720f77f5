"""Stripe's core resources: customers, products and prices, charges, balance."""

from __future__ import annotations

from typing import Any

import stripe
from django.db import models

from .. import sync
from ..fields import (
    StripeBooleanField,
    StripeCharField,
    StripeCurrencyCodeField,
    StripeDecimalCurrencyAmountField,
    StripeEnumField,
    StripeForeignKey,
    StripeIdField,
    StripeIntegerField,
    StripeJSONField,
)
from ..properties import StripeProperty
from ..settings import djstripe_settings
from .base import StripeModel


class BalanceTransaction(StripeModel):
    """A single transaction that updates the Stripe balance.

    Stripe documentation: https://stripe.com/docs/api?lang=python#balance_transaction_object
    """

    stripe_class = stripe.BalanceTransaction
    stripe_dashboard_item_name = "balance/history"

    amount = StripeIntegerField(help_text="Gross amount, in the currency's minor unit.")
    currency = StripeCurrencyCodeField()
    source = StripeIdField(
        blank=True,
        default="",
        help_text="The id of the object that caused the transaction.",
    )
    type = StripeEnumField(help_text="Transaction type: charge, refund, payout...")

    available_on = StripeProperty("When the funds become available.", kind="timestamp")
    exchange_rate = StripeProperty("The exchange rate used, if any.")
    fee = StripeProperty("Fees paid, in the currency's minor unit.")
    fee_details = StripeProperty("Breakdown of the fees.")
    net = StripeProperty("Net amount, in the currency's minor unit.")
    reporting_category = StripeProperty("Reporting category (charge, refund...).")
    status = StripeProperty("pending or available.")

    def get_source_class(self) -> type[StripeModel]:
        """The model that mirrors this transaction's source object."""
        model = sync.model_for(_SOURCE_OBJECT_BY_TYPE.get(self.type, self.type))
        if model is None:
            raise LookupError(
                f"No mirrored model for balance transaction type {self.type!r}"
            )
        return model

    def get_source_instance(self) -> StripeModel:
        """The mirrored source object (a Charge, a Refund, a Payout...)."""
        return self.get_source_class()._base_manager.get(id=self.source)

    def get_stripe_dashboard_url(self) -> str:
        return super().get_stripe_dashboard_url()


#: Balance transaction types whose source object has another ``object`` name.
_SOURCE_OBJECT_BY_TYPE = {
    "payment": "charge",
    "payment_refund": "refund",
    "payment_failure_refund": "refund",
    "adjustment": "dispute",
    "application_fee_refund": "fee_refund",
    "payout_cancel": "payout",
    "payout_failure": "payout",
    "transfer_cancel": "transfer",
    "transfer_failure": "transfer",
    "transfer_refund": "transfer_reversal",
    "stripe_fee": "application_fee",
}


class Customer(StripeModel):
    """Customer objects allow you to perform recurring charges and track
    multiple charges that are associated with the same customer.

    Stripe documentation: https://stripe.com/docs/api?lang=python#customers
    """

    stripe_class = stripe.Customer
    stripe_dashboard_item_name = "customers"
    expand_fields = ["default_source"]
    stripe_local_fields = ("date_purged",)
    stripe_soft_delete_field = "date_purged"

    email = StripeCharField(max_length=5000, db_index=True)
    default_payment_method = StripeIdField(
        blank=True,
        default="",
        stripe_path="invoice_settings.default_payment_method",
        help_text="The id of the customer's default payment method for invoices.",
    )
    subscriber = models.ForeignKey(
        djstripe_settings.SUBSCRIBER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="djstripe_customers",
        help_text="The subscriber (by default a user) this customer belongs to.",
    )
    date_purged = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the customer was deleted.",
    )

    address = StripeProperty("The customer's address.")
    balance = StripeProperty(
        "Current balance, in the currency's minor unit.", default=0
    )
    currency = StripeProperty("The currency the customer is billed in.")
    default_source = StripeProperty("The id of the default payment source.")
    deleted = StripeProperty(
        "Whether the customer was deleted in Stripe.", default=False
    )
    delinquent = StripeProperty(
        "Whether the latest invoice is past due.", default=False
    )
    discount = StripeProperty("The discount applied to the customer.")
    invoice_prefix = StripeProperty("Prefix of the customer's invoice numbers.")
    name = StripeProperty("The customer's full name or business name.")
    phone = StripeProperty("The customer's phone number.")
    preferred_locales = StripeProperty("Preferred languages, in order.", default=())
    shipping = StripeProperty("Shipping information.")
    tax_exempt = StripeProperty("none, exempt or reverse.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "livemode", "djstripe_owner_account"],
                condition=models.Q(date_purged__isnull=True),
                name="djstripe_customer_one_per_subscriber",
            )
        ]

    @classmethod
    def stripe_extra_values(cls, data: dict) -> dict[str, Any]:
        """Link the subscriber stored in the customer's metadata."""
        key = djstripe_settings.SUBSCRIBER_CUSTOMER_KEY
        value = (data.get("metadata") or {}).get(key)
        return {"subscriber_id": _int_or_none(value)}

    @property
    def credits(self) -> int:
        """The customer is considered to have credits if their balance is below 0."""
        return abs(min(self.balance, 0))

    @property
    def pending_charges(self) -> int:
        """The customer is considered to have pending charges if their balance is above 0."""
        return max(self.balance, 0)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Product(StripeModel):
    """Products describe the specific goods or services you offer to your customers.

    Stripe documentation: https://stripe.com/docs/api?lang=python#products
    """

    stripe_class = stripe.Product
    stripe_dashboard_item_name = "products"

    active = StripeBooleanField(
        default=True, help_text="Whether the product is for sale."
    )
    name = StripeCharField(help_text="The product's name, shown to customers.")

    type = StripeProperty("good or service.")
    unit_label = StripeProperty("A label for one unit, shown on receipts and invoices.")
    url = StripeProperty("A publicly accessible web page for the product.")

    @property
    def default_price(self) -> Price | None:
        """The product's default Price, if it has one and it is mirrored."""
        price_id = self.stripe_data.get("default_price")
        if isinstance(price_id, dict):
            price_id = price_id.get("id")
        if not price_id:
            return None
        return Price.objects.filter(id=price_id).first()


class Price(StripeModel):
    """Prices define the unit cost, currency, and (optional) billing cycle for
    both recurring and one-time purchases of products.

    Stripe documentation: https://stripe.com/docs/api?lang=python#prices
    """

    stripe_class = stripe.Price
    stripe_dashboard_item_name = "prices"
    expand_fields = ["product", "tiers"]

    active = StripeBooleanField(
        default=True, help_text="Whether the price can be used."
    )
    currency = StripeCurrencyCodeField()
    lookup_key = StripeCharField(max_length=200, db_index=True)
    nickname = StripeCharField(max_length=250)
    product = StripeForeignKey(Product, related_name="prices")

    billing_scheme = StripeProperty("per_unit or tiered.")
    recurring = StripeProperty("The recurring components of the price, if any.")
    tiers = StripeProperty("Pricing tiers, for tiered prices (expand=['tiers']).")
    tiers_mode = StripeProperty("graduated or volume.")
    transform_quantity = StripeProperty("Quantity transformation before billing.")
    type = StripeProperty("one_time or recurring.")
    unit_amount = StripeProperty("Unit amount in the currency's minor unit.")
    unit_amount_decimal = StripeProperty("Unit amount as a decimal string.")


class Charge(StripeModel):
    """To charge a credit or a debit card, you create a charge object.

    Stripe documentation: https://stripe.com/docs/api?lang=python#charges
    """

    stripe_class = stripe.Charge
    stripe_dashboard_item_name = "payments"
    expand_fields = ["balance_transaction"]

    amount = StripeDecimalCurrencyAmountField(
        help_text="Amount charged, in major units."
    )
    balance_transaction = StripeForeignKey(BalanceTransaction, related_name="charges")
    currency = StripeCurrencyCodeField()
    customer = StripeForeignKey(Customer, related_name="charges")
    status = StripeEnumField(enum=("succeeded", "pending", "failed"), db_index=True)

    amount_captured = StripeProperty("Amount captured, in major units.", kind="amount")
    amount_refunded = StripeProperty("Amount refunded, in major units.", kind="amount")
    application = StripeProperty("The Connect application that created the charge.")
    application_fee = StripeProperty("The application fee (Connect), if any.")
    application_fee_amount = StripeProperty(
        "The application fee amount, in major units.", kind="amount"
    )
    billing_details = StripeProperty("Billing information of the payment method.")
    captured = StripeProperty("Whether the charge was captured.", default=False)
    dispute = StripeProperty("The dispute on this charge, if any.")
    disputed = StripeProperty("Whether the charge has been disputed.", default=False)
    on_behalf_of = StripeProperty("The account the funds were collected for (Connect).")
    outcome = StripeProperty("Details of whether the payment was accepted, and why.")
    paid = StripeProperty(
        "Whether the charge succeeded or was authorized.", default=False
    )
    payment_method_details = StripeProperty("Details of the payment method used.")
    receipt_email = StripeProperty("Where the receipt was sent.")
    receipt_number = StripeProperty("The receipt's number.")
    receipt_url = StripeProperty("The URL of the charge's receipt.")
    refunded = StripeProperty("Whether the charge was fully refunded.", default=False)
    shipping = StripeProperty("Shipping information.")
    statement_descriptor = StripeProperty("Text on the customer's statement.")
    statement_descriptor_suffix = StripeProperty("Suffix of the statement descriptor.")
    transfer = StripeProperty("The transfer to the destination account (Connect).")
    transfer_data = StripeProperty("Destination account details (Connect).")
    transfer_group = StripeProperty("The transfer group of the charge (Connect).")

    @property
    def fee(self) -> int | None:
        """Stripe's fee, from the expanded balance transaction (minor units)."""
        if self.balance_transaction_id is None:
            return None
        transaction = BalanceTransaction.objects.filter(
            id=self.balance_transaction_id
        ).first()
        return transaction.fee if transaction else None

    @property
    def fraudulent(self) -> bool:
        """Whether Stripe or you reported the charge as fraudulent."""
        details = self.stripe_data.get("fraud_details") or {}
        return "fraudulent" in (
            details.get("stripe_report"),
            details.get("user_report"),
        )

    @property
    def human_readable_status(self) -> str:
        """The status as a person would say it: Paid, Refunded, Pending..."""
        if not self.captured and self.status == "succeeded":
            return "Uncaptured"
        if self.refunded:
            return "Refunded"
        if self.amount_refunded:
            return "Partially refunded"
        if self.disputed:
            return "Disputed"
        return {"succeeded": "Paid", "failed": "Failed", "pending": "Pending"}.get(
            self.status, self.status.capitalize()
        )


class Event(StripeModel):
    """Events are Stripe's way of letting you know when something interesting
    happens in your account. When an interesting event occurs, a new Event
    object is created and POSTed to the configured webhook URL if the Event
    type matches.

    Mirroring an event mirrors the object it carries (``data.object``) too, as
    it was when the event was created: the engine finds it nested inside.

    Stripe documentation: https://stripe.com/docs/api/events?lang=python
    """

    stripe_class = stripe.Event
    stripe_dashboard_item_name = "events"
    stripe_immutable = True

    api_version = StripeCharField(
        max_length=64, help_text="The API version of the payload."
    )
    data = StripeJSONField(
        help_text="The object the event is about, and its changed fields."
    )
    idempotency_key = StripeCharField(
        max_length=255,
        stripe_path="request.idempotency_key",
        help_text="Idempotency key of the API request that caused the event.",
    )
    request_id = StripeCharField(
        max_length=255,
        stripe_path="request.id",
        help_text="Id of the API request that caused the event (empty if automatic).",
    )
    type = StripeCharField(max_length=250, db_index=True, help_text="e.g. invoice.paid")

    class Meta:
        get_latest_by = "created"

    def __str__(self) -> str:
        return f"{self.type} ({self.id})"

    @property
    def customer(self) -> Customer | None:
        """The customer the event's object belongs to, when it has one."""
        obj = (self.data or {}).get("object") or {}
        customer_id = (
            obj.get("id") if obj.get("object") == "customer" else obj.get("customer")
        )
        if isinstance(customer_id, dict):
            customer_id = customer_id.get("id")
        if not customer_id:
            return None
        return Customer.objects.filter(id=customer_id).first()

    @property
    def data_object(self) -> dict:
        """The Stripe object the event carries (``data.object``)."""
        return (self.data or {}).get("object") or {}

    def parts(self) -> list[str]:
        """Gets the event category/verb as a list of parts."""
        return str(self.type).split(".")

    def category(self) -> str:
        """Gets the event category string (e.g. 'customer')."""
        return ".".join(self.parts()[:-1])

    def verb(self) -> str:
        """Gets the event past-tense verb string (e.g. 'updated')."""
        return self.parts()[-1]

    @classmethod
    def process(cls, data, api_key=None):
        """Mirror the event ``data`` (a Stripe event as a dict) and the object it
        carries, then run the registered handlers; return the Event row.

        Processing is idempotent: an event already processed is not applied twice.
        """
        from djstripe.webhooks.processing import process_event_data

        return process_event_data(data, api_key=api_key)

    def invoke_webhook_handlers(self):
        """Invokes any webhook handlers that have been registered for this event
        based on event type or event sub-type.

        See :func:`djstripe.webhooks.handler` and :func:`djstripe.webhooks.handler_all`.
        """
        from djstripe.webhooks.registry import call_handlers

        call_handlers(self)
