"""Stripe's core resources: customers, products and prices, payments, balance."""

from __future__ import annotations

import builtins
from decimal import Decimal
from typing import Any, cast

import stripe
from django.db import models
from django.db.models.fields.json import KeyTransform

from .. import stripe_api, sync
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
    stripe_id_of,
    to_minor_units,
)
from ..money import friendly_minor_amount, get_friendly_currency_amount, humanize
from ..properties import StripeProperty
from .base import StripeManager, StripeModel, StripeQuerySet, id_of, stripe_int
from .customer import Customer, CustomerQuerySet

__all__ = [
    "BalanceTransaction",
    "Charge",
    "Customer",
    "CustomerQuerySet",
    "Dispute",
    "Event",
    "File",
    "FileLink",
    "FileUpload",
    "Mandate",
    "PaymentIntent",
    "Payout",
    "Price",
    "Product",
    "Refund",
    "SetupIntent",
]


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

    def __str__(self) -> str:
        return f"{friendly_minor_amount(self.amount, self.currency)} ({humanize(self.status)})"

    def get_source_class(self) -> builtins.type[StripeModel]:
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
    "application_fee": "application_fee",
    "application_fee_refund": "fee_refund",
    "payout_cancel": "payout",
    "payout_failure": "payout",
    "transfer_cancel": "transfer",
    "transfer_failure": "transfer",
    "transfer_refund": "transfer_reversal",
}


# -- Products and prices ---------------------------------------------------------------


class Product(StripeModel):
    """Products describe the specific goods or services you offer to your customers.

    For example, you might offer a Standard and Premium version of your goods
    or service; each version would be a separate Product. They can be used in
    conjunction with Prices to configure pricing in Payment Links, Checkout,
    and Subscriptions.

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

    def __str__(self) -> str:
        return cast(str, self.name)

    @property
    def default_price(self) -> Price | None:
        """The product's default Price, if it has one and it is mirrored."""
        price_id = stripe_id_of(self.stripe_data.get("default_price"))
        if not price_id:
            return None
        return Price.objects.filter(id=price_id).first()


class Price(StripeModel):
    """Prices define the unit cost, currency, and (optional) billing cycle for
    both recurring and one-time purchases of products.

    Prices replace the legacy Plans API, which was removed in dj-stripe 2.11.

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

    def __str__(self) -> str:
        product: Any = self._related("product")
        if product is None:
            return str(self.human_readable_price)
        return f"{self.human_readable_price} for {product.name}"

    @classmethod
    def create(cls, **kwargs: Any) -> Price:
        """Create a price in Stripe and mirror it. ``product`` may be a Product."""
        if "product" in kwargs:
            kwargs["product"] = id_of(kwargs["product"])
        data = cls._api_create(**kwargs)
        return cls.sync_from_stripe_data(
            data, stripe_account=kwargs.get("stripe_account")
        )

    @classmethod
    def get_or_create(cls, **kwargs: Any) -> tuple[Price, bool]:
        """Get or create a Price.

        Looks the price up by ``id``, else by ``lookup_key`` (in the mirror,
        then in Stripe), and creates it when neither finds it.

        :returns: ``(price, created)``
        """
        if kwargs.get("id"):
            row = cls.objects.filter(id=kwargs["id"]).first()
            if row is not None:
                return row, False
            return cls.sync_from_stripe_data(cls.api_retrieve_data(kwargs["id"])), False
        lookup_key = kwargs.get("lookup_key")
        if lookup_key:
            row = cls.objects.filter(lookup_key=lookup_key, active=True).first()
            if row is not None:
                return row, False
            found = stripe_api.list_page(
                cls.stripe_class_url(),
                {
                    "lookup_keys": [lookup_key],
                    "expand": [f"data.{f}" for f in cls.expand_fields],
                },
                api_key=kwargs.get("api_key"),
                stripe_account=kwargs.get("stripe_account"),
            )["data"]
            if found:
                return cls.sync_from_stripe_data(found[0]), False
        return cls.create(**kwargs), True

    @property
    def human_readable_price(self) -> str:
        """The price as dj-stripe words it: ``"$10.00 USD/month"``,
        ``"$10.00 USD / every 3 months"``, ``"Starts at $5.00 USD per unit +
        $1.00 USD/month"``, ``"$9.00 USD (one time)"``."""
        amount = self._human_readable_amount()
        recurring = self.recurring
        if not recurring:
            return f"{amount} (one time)"
        count = recurring.get("interval_count") or 1
        interval = recurring.get("interval", "")
        if count == 1:
            return f"{amount}/{interval}"
        return f"{amount} / every {count} {interval}s"

    def _human_readable_amount(self) -> str:
        if self.billing_scheme != "tiered":
            return friendly_minor_amount(self.unit_amount, self.currency)
        if not self.tiers:
            return "0"
        tier = self.tiers[0]
        amount = (
            f"Starts at {friendly_minor_amount(tier.get('unit_amount'), self.currency)}"
            " per unit"
        )
        if tier.get("flat_amount") is not None:  # Stripe shows a flat fee of 0 too
            amount += f" + {friendly_minor_amount(tier['flat_amount'], self.currency)}"
        return amount


# -- Payments -----------------------------------------------------------------------------


class ChargeQuerySet(StripeQuerySet):
    def succeeded(self) -> ChargeQuerySet:
        return self.filter(status="succeeded")

    def failed(self) -> ChargeQuerySet:
        return self.filter(status="failed")

    def paid_totals_for(self, year: int, month: int) -> dict[str, Any]:
        """dj-stripe's month report of paid charges: ``{"total_amount":
        Decimal("30.00"), "total_refunded": 500}``: the amount column (major
        units) and the refunded amount as Stripe sent it (minor units)."""
        return (
            self.during(year, month)
            .filter(stripe_data__paid=True)
            .aggregate(
                total_amount=models.Sum("amount"),
                total_refunded=models.Sum(stripe_int("amount_refunded")),
            )
        )

    def revenue_by_currency(self) -> dict[str, Decimal]:
        """Gross amount of succeeded charges per currency, in major units."""
        rows = (
            self.succeeded()
            .order_by()
            .values("currency")
            .annotate(total=models.Sum("amount"))
        )
        return {row["currency"]: row["total"] for row in rows}


class Charge(StripeModel):
    """To charge a credit or a debit card, you create a charge object. You can
    retrieve and refund individual charges as well as list all charges. Charges
    are identified by a unique random ID.

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
    invoice = StripeForeignKey("djstripe.Invoice", related_name="charges")
    payment_intent = StripeForeignKey("djstripe.PaymentIntent", related_name="charges")
    payment_method = StripeForeignKey("djstripe.PaymentMethod", related_name="charges")
    source = StripeForeignKey("djstripe.DjstripePaymentSource", related_name="charges")
    status = StripeEnumField(enum=("succeeded", "pending", "failed"), db_index=True)

    amount_captured = StripeProperty("Amount captured, in the currency's minor unit.")
    amount_refunded = StripeProperty("Amount refunded, in the currency's minor unit.")
    application = StripeProperty("The Connect application that created the charge.")
    application_fee = StripeProperty("The application fee (Connect), if any.")
    application_fee_amount = StripeProperty(
        "The application fee amount, in the currency's minor unit."
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

    objects = StripeManager.from_queryset(ChargeQuerySet)()  # type: ignore[misc]

    class Meta(StripeModel.Meta):
        indexes = [
            # The admin finds a charge by the receipt number a customer quotes.
            models.Index(
                KeyTransform("receipt_number", "stripe_data"),
                name="djstripe_charge_receipt_number",
            ),
        ]
        permissions = [("refund_charge", "Can refund charges in Stripe")]

    def __str__(self) -> str:
        amount = get_friendly_currency_amount(self.amount or 0, self.currency)
        return f"{amount} ({self.human_readable_status})"

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
        """The status as dj-stripe words it: Uncaptured, Disputed, Refunded,
        else the status (Succeeded, Pending, Failed)."""
        if not self.captured:
            return "Uncaptured"
        if self.disputed:
            return "Disputed"
        if self.refunded:
            return "Refunded"
        return humanize(self.status)

    def capture(self, **kwargs: Any) -> Charge:
        """Capture the payment of an existing, uncaptured, charge. This is the
        second half of the two-step payment flow, where first you created a
        charge with the capture option set to False.

        See https://stripe.com/docs/api#capture_charge
        """
        if "amount" in kwargs and isinstance(kwargs["amount"], Decimal):
            kwargs["amount"] = to_minor_units(kwargs["amount"], self.currency)
        return self.sync_from_stripe_data(
            self._api_action("capture", **kwargs), stripe_account=self._stripe_account
        )

    def refund(
        self,
        amount: Decimal | None = None,
        reason: str | None = None,
        api_key: str | None = None,
        stripe_account: str | None = None,
    ) -> Refund:
        """Initiate a refund. Returns the refund object.

        :param amount: A positive decimal amount representing how much of this charge
            to refund. If amount is not provided, then this will be a full refund.
            Can only refund up to the unrefunded amount remaining of the charge.
        :param reason: String indicating the reason for the refund.
            If set, possible values are duplicate, fraudulent,
            and requested_by_customer. Specifying fraudulent as the reason
            when you believe the charge to be fraudulent will
            help Stripe improve their fraud detection algorithms.
        """
        params: dict[str, Any] = {"charge": self.id, "expand": ["charge"]}
        if amount is not None:
            params["amount"] = to_minor_units(amount, self.currency)
        if reason is not None:
            params["reason"] = reason
        stripe_account = stripe_account or self._stripe_account
        data = Refund._api_create(
            api_key=api_key or self.default_api_key,
            stripe_account=stripe_account,
            **params,
        )
        # The expanded charge (now refunded) is mirrored with the refund.
        return Refund.sync_from_stripe_data(data, stripe_account=stripe_account)


class Refund(StripeModel):
    """Refund objects allow you to refund a charge that has previously been
    created but not yet refunded. Funds will be refunded to the credit or debit
    card that was originally charged.

    Stripe documentation: https://stripe.com/docs/api?lang=python#refund_object
    """

    stripe_class = stripe.Refund
    stripe_dashboard_item_name = "refunds"

    amount = StripeDecimalCurrencyAmountField(
        help_text="Amount refunded, in major units."
    )
    balance_transaction = StripeForeignKey(BalanceTransaction, related_name="+")
    charge = StripeForeignKey(Charge, related_name="refunds")
    currency = StripeCurrencyCodeField()
    failure_balance_transaction = StripeForeignKey(BalanceTransaction, related_name="+")
    payment_intent = StripeForeignKey("djstripe.PaymentIntent", related_name="refunds")

    failure_reason = StripeProperty("Why the refund failed, if it did.")
    reason = StripeProperty("duplicate, fraudulent or requested_by_customer.")
    receipt_number = StripeProperty("The number of the refund's receipt.")
    status = StripeProperty("pending, requires_action, succeeded, failed or canceled.")

    def get_stripe_dashboard_url(self) -> str:
        """Refunds have no page of their own: link to the refunded payment."""
        if not self.charge_id:
            return ""
        mode = "" if self.livemode else "/test"
        return f"https://dashboard.stripe.com{mode}/payments/{self.charge_id}"


class Dispute(StripeModel):
    """A dispute occurs when a customer questions your charge with their card
    issuer. When this happens, you're given the opportunity to respond to the
    dispute with evidence that shows that the charge is legitimate

    Stripe documentation: https://stripe.com/docs/api?lang=python#disputes
    """

    stripe_class = stripe.Dispute
    stripe_dashboard_item_name = "disputes"

    balance_transaction = StripeForeignKey(
        BalanceTransaction,
        related_name="+",
        help_text="The first balance transaction (the funds withdrawn).",
    )
    charge = StripeForeignKey(Charge, related_name="disputes")
    payment_intent = StripeForeignKey("djstripe.PaymentIntent", related_name="disputes")

    amount = StripeProperty("Disputed amount, in the currency's minor unit.")
    balance_transactions = StripeProperty(
        "Balance transactions of the dispute.", default=()
    )
    currency = StripeProperty("The disputed amount's currency.")
    evidence = StripeProperty("The evidence submitted.")
    evidence_details = StripeProperty(
        "When evidence is due, and whether it was submitted."
    )
    is_charge_refundable = StripeProperty("Whether the charge can still be refunded.")
    reason = StripeProperty("fraudulent, duplicate, product_not_received...")
    status = StripeProperty("warning_needs_response, needs_response, won, lost...")

    def __str__(self) -> str:
        # dj-stripe's format, trailing space included.
        amount = friendly_minor_amount(self.amount, self.currency)
        return f"{amount} ({humanize(self.status)}) "

    @classmethod
    def stripe_extra_values(cls, data: dict[str, Any]) -> dict[str, Any]:
        transactions = data.get("balance_transactions") or [None]
        return {"balance_transaction_id": stripe_id_of(transactions[0])}

    def get_stripe_dashboard_url(self) -> str:
        """Get the stripe dashboard url for this object."""
        return super().get_stripe_dashboard_url()


class PaymentIntent(StripeModel):
    """A PaymentIntent guides you through the process of collecting a payment
    from your customer.

    Stripe documentation: https://stripe.com/docs/api?lang=python#payment_intents
    """

    stripe_class = stripe.PaymentIntent
    stripe_dashboard_item_name = "payments"

    amount = StripeDecimalCurrencyAmountField(
        help_text="Amount intended, in major units."
    )
    currency = StripeCurrencyCodeField()
    customer = StripeForeignKey(Customer, related_name="payment_intents")
    on_behalf_of = StripeForeignKey("djstripe.Account", related_name="+")
    payment_method = StripeForeignKey(
        "djstripe.PaymentMethod", related_name="payment_intents"
    )
    status = StripeEnumField(db_index=True)

    amount_received = StripeProperty("Amount received, in the currency's minor unit.")
    capture_method = StripeProperty("automatic, automatic_async or manual.")
    client_secret = StripeProperty("The secret for confirming the intent client-side.")
    latest_charge = StripeProperty("The id of the latest charge.")

    def update(
        self,
        api_key: str | None = None,
        stripe_account: str | None = None,
        **kwargs: Any,
    ) -> PaymentIntent:
        """Call the stripe API's modify operation for this model and sync the result.

        :param api_key: The api key to use for this request.
            Defaults to djstripe_settings.STRIPE_SECRET_KEY.
        :type api_key: string
        :param stripe_account: The optional connected account for which this
            request is being made.
        :type stripe_account: string
        """
        data = self._api_update(
            api_key=api_key, stripe_account=stripe_account, **kwargs
        )
        return self.sync_from_stripe_data(
            data, api_key=api_key, stripe_account=stripe_account or self._stripe_account
        )


class SetupIntent(StripeModel):
    """A SetupIntent guides you through the process of setting up a customer's
    payment credentials for future payments.

    Stripe documentation: https://stripe.com/docs/api?lang=python#setup_intents
    """

    stripe_class = stripe.SetupIntent
    stripe_dashboard_item_name = "setup_intents"

    customer = StripeForeignKey(Customer, related_name="setup_intents")
    on_behalf_of = StripeForeignKey("djstripe.Account", related_name="+")
    payment_method = StripeForeignKey(
        "djstripe.PaymentMethod", related_name="setup_intents"
    )
    status = StripeEnumField(db_index=True)

    usage = StripeProperty("off_session or on_session.")


class Payout(StripeModel):
    """A Payout object is created when you receive funds from Stripe, or when
    you initiate a payout to either a bank account or debit card of a connected
    Stripe account.

    Stripe documentation: https://stripe.com/docs/api?lang=python#payouts
    """

    stripe_class = stripe.Payout
    stripe_dashboard_item_name = "payouts"
    expand_fields = ["destination"]

    balance_transaction = StripeForeignKey(BalanceTransaction, related_name="+")
    currency = StripeCurrencyCodeField()
    destination = StripeForeignKey(
        "djstripe.DjstripePaymentSource",
        related_name="payouts",
        help_text="The bank account or card the payout went to.",
    )
    failure_balance_transaction = StripeForeignKey(BalanceTransaction, related_name="+")
    original_payout = StripeForeignKey("self", related_name="+")
    reversed_by = StripeForeignKey("self", related_name="+")

    amount = StripeProperty("Amount paid out, in the currency's minor unit.")
    arrival_date = StripeProperty(
        "When the payout is expected to arrive.", kind="timestamp"
    )
    automatic = StripeProperty("Whether Stripe created the payout on schedule.")
    failure_code = StripeProperty("Why the payout failed, if it did.")
    failure_message = StripeProperty("A message describing the failure.")
    method = StripeProperty("standard or instant.")
    source_type = StripeProperty(
        "The balance the payout came from (card, fpx, bank_account)."
    )
    statement_descriptor = StripeProperty("Text on the bank statement.")
    status = StripeProperty("paid, pending, in_transit, canceled or failed.")
    type = StripeProperty("bank_account or card.")


# -- Files and mandates --------------------------------------------------------------------


class File(StripeModel):
    """This is an object representing a file hosted on Stripe's servers. The
    file may have been uploaded by yourself using the create file request (for
    example, when uploading dispute evidence) or it may have been created by
    Stripe (for example, the results of a Sigma scheduled query).

    Stripe documentation: https://stripe.com/docs/api/files?lang=python
    """

    stripe_class = stripe.File
    stripe_object_aliases = ("file_upload",)

    filename = StripeProperty("The file's name, as uploaded.")
    purpose = StripeProperty(
        "What the file is for (dispute_evidence, identity_document...)."
    )
    size = StripeProperty("Size in bytes.")
    type = StripeProperty("The file type (pdf, csv, jpg...).")
    url = StripeProperty("Where to download the file (needs the secret key).")

    @classmethod
    def is_valid_object(cls, data: dict[str, Any]) -> bool:
        """Files are ``file`` objects (``file_upload`` in old API versions)."""
        return data.get("object") in ("file", "file_upload")

    def __str__(self) -> str:
        return self.filename or ""


#: dj-stripe's (and stripe-python's) older name for File.
FileUpload = File


class FileLink(StripeModel):
    """To share the contents of a File object with non-Stripe users, you can
    create a FileLink. FileLinks contain a URL that can be used to retrieve the
    contents of the file without authentication.

    Stripe documentation: https://stripe.com/docs/api/file_links?lang=python
    """

    stripe_class = stripe.FileLink

    file = StripeForeignKey(File, related_name="links")

    expires_at = StripeProperty("When the link stops working.", kind="timestamp")
    url = StripeProperty("The public URL of the file.")

    def __str__(self) -> str:
        return self.url or ""


class Mandate(StripeModel):
    """A Mandate is a record of the permission a customer has given you to
    debit their payment method.

    https://stripe.com/docs/api/mandates
    """

    stripe_class = stripe.Mandate

    payment_method = StripeForeignKey("djstripe.PaymentMethod", related_name="mandates")

    customer_acceptance = StripeProperty(
        "How and when the customer accepted the mandate."
    )
    multi_use = StripeProperty("Details for a multi-use mandate.")
    payment_method_details = StripeProperty(
        "Mandate details specific to the payment method."
    )
    single_use = StripeProperty("Details for a single-use mandate.")
    status = StripeProperty("active, inactive or pending.")
    type = StripeProperty("multi_use or single_use.")


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
        indexes = [
            # The admin finds an event by the id of the object it carries.
            models.Index(
                KeyTransform("id", KeyTransform("object", "data")),
                name="djstripe_event_object_id",
            ),
        ]

    def __str__(self) -> str:
        return f"type={self.type}, id={self.id}"

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
    def data_object(self) -> dict[str, Any]:
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
    def process(cls, data: dict[str, Any], api_key: str | None = None) -> Event:
        """Mirror the event ``data`` (a Stripe event as a dict) and the object it
        carries, then run the registered handlers and the event type's signal;
        return the Event row.

        As in dj-stripe, an event already processed is returned as it is and
        nothing runs twice; a failure rolls everything back and raises.
        """
        from djstripe.webhooks.processing import process_event_data

        return process_event_data(data, api_key=api_key)

    def invoke_webhook_handlers(self) -> None:
        """Invokes any webhook handlers that have been registered for this event
        based on event type or event sub-type.

        As processing does, this first applies the event to the mirror (the
        carried object is written behind the staleness gate, deleted for a
        ``*.deleted`` event), then runs the handlers of
        :func:`djstripe.webhooks.handler` and sends
        ``djstripe.signals.WEBHOOK_SIGNALS[type]`` (the receivers of
        :func:`djstripe.event_handlers.djstripe_receiver`), in one transaction.
        Unlike :meth:`process`, it runs them even if the event ran before.
        """
        from djstripe.webhooks.processing import apply_event

        apply_event(self.stripe_data, force=True)
