"""Stripe's core resources: customers, products and prices, payments, balance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import stripe
from django.db import models
from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KeyTransform

from .. import stripe_api, sync
from ..exceptions import MultipleSubscriptionException
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
    to_major_units,
    to_minor_units,
)
from ..properties import StripeProperty
from ..settings import djstripe_settings
from .base import StripeManager, StripeModel, StripeQuerySet


def _id(value: Any) -> str | None:
    """The Stripe id of a model instance, a Stripe dict or an id string."""
    if isinstance(value, StripeModel):
        return value.id
    return stripe_id_of(value)


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
    "application_fee": "application_fee",
    "application_fee_refund": "fee_refund",
    "payout_cancel": "payout",
    "payout_failure": "payout",
    "transfer_cancel": "transfer",
    "transfer_failure": "transfer",
    "transfer_refund": "transfer_reversal",
}


# -- Customers ---------------------------------------------------------------------


class CustomerQuerySet(StripeQuerySet):
    def not_purged(self) -> CustomerQuerySet:
        """Customers that still exist in Stripe."""
        return self.filter(date_purged__isnull=True)

    def with_failed_payment(self) -> CustomerQuerySet:
        """Customers with a failed charge or an open invoice whose payment
        was attempted and failed."""
        failed_charge = Charge.objects.filter(customer=OuterRef("id"), status="failed")
        Invoice = sync.model_for("invoice")
        failed_invoice = Invoice.objects.filter(
            customer=OuterRef("id"), status="open", attempt_count__gt=0
        )
        return self.filter(Exists(failed_charge) | Exists(failed_invoice))


class Customer(StripeModel):
    """Customer objects allow you to perform recurring charges and track
    multiple charges that are associated with the same customer.

    Stripe documentation: https://stripe.com/docs/api?lang=python#customers
    """

    stripe_class = stripe.Customer
    stripe_dashboard_item_name = "customers"
    expand_fields = ["default_source", "invoice_settings.default_payment_method"]
    stripe_local_fields = ("date_purged",)
    stripe_soft_delete_field = "date_purged"

    email = StripeCharField(max_length=5000, db_index=True)
    default_payment_method = StripeForeignKey(
        "djstripe.PaymentMethod",
        stripe_path="invoice_settings.default_payment_method",
        related_name="+",
        help_text="The customer's default payment method for invoices and subscriptions.",
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

    objects = StripeManager.from_queryset(CustomerQuerySet)()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "livemode", "djstripe_owner_account"],
                condition=models.Q(date_purged__isnull=True),
                name="djstripe_customer_one_per_subscriber",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.id

    @classmethod
    def stripe_extra_values(cls, data: dict) -> dict[str, Any]:
        """Link the subscriber stored in the customer's metadata."""
        key = djstripe_settings.SUBSCRIBER_CUSTOMER_KEY
        value = (data.get("metadata") or {}).get(key)
        return {"subscriber_id": _int_or_none(value)}

    # -- Reading ---------------------------------------------------------------

    @property
    def default_source(self) -> StripeModel | None:
        """The default payment source, as its concrete type (Card, BankAccount, Source)."""
        source_id = stripe_id_of(self.stripe_data.get("default_source"))
        if not source_id:
            return None
        from .payment_methods import DjstripePaymentSource

        return DjstripePaymentSource.objects.filter(id=source_id).first()

    @property
    def coupon(self) -> StripeModel | None:
        """The Coupon of the customer's discount, if any."""
        discount = self.discount or {}
        coupon = discount.get("coupon") or (discount.get("source") or {}).get("coupon")
        coupon_id = stripe_id_of(coupon)
        if not coupon_id:
            return None
        return sync.model_for("coupon").objects.filter(id=coupon_id).first()

    @property
    def credits(self) -> int:
        """The customer is considered to have credits if their balance is below 0."""
        return abs(min(self.balance, 0))

    @property
    def pending_charges(self) -> int:
        """The customer is considered to have pending charges if their balance is above 0."""
        return max(self.balance, 0)

    @property
    def entitlements(self) -> list[str]:
        """Lookup keys of the features the customer is entitled to now."""
        return list(
            self.active_entitlements.order_by("lookup_key").values_list(
                "lookup_key", flat=True
            )
        )

    @property
    def active_subscriptions(self) -> models.QuerySet:
        """Returns active subscriptions (subscriptions with an active status that end in the future)."""
        return self.subscriptions.active()

    @property
    def valid_subscriptions(self) -> models.QuerySet:
        """Returns this customer's valid subscriptions (subscriptions that aren't
        canceled, incomplete or incomplete_expired).

        incomplete subscriptions are excluded because their initial payment
        has not yet succeeded (eg. subscriptions created with
        payment_behavior="default_incomplete"), so the customer is not yet
        paying for them.
        """
        return self.subscriptions.valid()

    @property
    def subscription(self) -> StripeModel | None:
        """Shortcut to get this customer's subscription.

        :returns: None if the customer has no subscriptions, the subscription if
            the customer has a subscription.
        :raises MultipleSubscriptionException: Raised if the customer has multiple
            subscriptions. In this case, use Customer.subscriptions instead.
        """
        subscriptions = list(self.valid_subscriptions[:2])
        if len(subscriptions) > 1:
            raise MultipleSubscriptionException(
                "This customer has multiple subscriptions. Use Customer.subscriptions "
                "to access them."
            )
        return subscriptions[0] if subscriptions else None

    def has_any_active_subscription(self):
        """Checks to see if this customer has an active subscription to any plan.

        :returns: True if there exists an active subscription, False otherwise.
        """
        return self.active_subscriptions.exists()

    def is_subscribed_to(self, product: Product | str) -> bool:
        """Checks to see if this customer has an active subscription to the given product.

        :param product: The product for which to check for an active subscription.
        :type product: Product or string (product ID)
        :returns: True if there exists an active subscription, False otherwise.
        """
        return self.active_subscriptions.filter(
            items__price__product_id=_id(product)
        ).exists()

    # -- Creating ----------------------------------------------------------------

    @classmethod
    def create(
        cls,
        subscriber,
        idempotency_key=None,
        stripe_account=None,
        livemode: bool | None = None,
        api_key=None,
        metadata=None,
        **kwargs,
    ):
        """Create a dj-stripe customer for the given subscriber.

        :param livemode: the mode to create the customer in (default:
            ``STRIPE_LIVE_MODE``, read when called).
        :param metadata: A set of key/value pairs to store on the Stripe
            Customer. The configured SUBSCRIBER_CUSTOMER_KEY is always set
            to the subscriber's pk and takes precedence over a value supplied
            here, as dj-stripe relies on it to link the Customer to the
            subscriber.
        :type metadata: dict

        Any additional keyword arguments are forwarded to the Stripe Customer
        create call, saving a round-trip vs. creating then updating.
        """
        if livemode is None:
            livemode = djstripe_settings.STRIPE_LIVE_MODE
        api_key = api_key or djstripe_settings.get_default_api_key(livemode)
        metadata = {
            **(metadata or {}),
            djstripe_settings.SUBSCRIBER_CUSTOMER_KEY: str(subscriber.pk),
        }
        email = getattr(subscriber, "email", "")
        if email and "email" not in kwargs:
            kwargs["email"] = email
        data = cls._api_create(
            api_key=api_key,
            stripe_account=stripe_account,
            idempotency_key=idempotency_key,
            metadata=metadata,
            **kwargs,
        )
        return cls.sync_from_stripe_data(
            data, api_key=api_key, stripe_account=stripe_account
        )

    @classmethod
    def get_or_create(
        cls,
        subscriber,
        livemode=None,
        stripe_account=None,
        api_key=None,
        **kwargs,
    ):
        """Get or create a dj-stripe customer.

        :param subscriber: The subscriber model instance for which to get or create a customer.
        :type subscriber: User
        :param livemode: Whether to get the subscriber in live or test mode.
        :type livemode: bool

        Any additional keyword arguments (eg. metadata) are passed through
        to :meth:`create` and on to the Stripe Customer create call when a new
        customer has to be created.

        :returns: ``(customer, created)``
        """
        if livemode is None:
            livemode = djstripe_settings.STRIPE_LIVE_MODE
        existing = (
            cls.objects.not_purged()
            .filter(
                subscriber=subscriber,
                livemode=livemode,
                djstripe_owner_account=stripe_account,
            )
            .first()
        )
        if existing is not None:
            return existing, False
        customer = cls.create(
            subscriber,
            stripe_account=stripe_account,
            livemode=livemode,
            api_key=api_key,
            **kwargs,
        )
        return customer, True

    def subscribe(self, *, items=None, price=None, **kwargs):
        """Subscribes this customer to all the prices in the items dict (Recommended).

        :param items: A list of up to 20 subscription items, each with an attached price
            (``[{"price": price_or_id, "quantity": 2}]``; a bare Price or id is accepted).
        :param price: The price to which to subscribe the customer.
        :type price: Price or string (price ID)
        :returns: the new Subscription.
        """
        if items is None and price is None:
            raise ValueError("Pass items or price.")
        items = list(items or [])
        if price is not None:
            items.append({"price": price})
        Subscription = sync.model_for("subscription")
        data = Subscription._api_create(
            api_key=self.default_api_key,
            stripe_account=self._stripe_account,
            customer=self.id,
            items=[_subscription_item(item) for item in items],
            **kwargs,
        )
        return Subscription.sync_from_stripe_data(
            data, stripe_account=self._stripe_account
        )

    def charge(
        self,
        amount: Decimal,
        *,
        application_fee: Decimal | None = None,
        source: str | StripeModel | None = None,
        **kwargs,
    ) -> Charge:
        """Creates a charge for this customer.

        :param amount: The amount to charge.
        :type amount: Decimal. Precision is 2; anything more will be ignored.
        :param application_fee: the platform's fee (Connect), in major units.
        :param source: The source to use for this charge. Must be a source attributed
            to this customer. If None, the customer's default source is used. Can be
            either the id of the source or the source object itself.
        :type source: string, Source

        Other keyword arguments (``currency``, default the customer's currency or
        usd; ``description``...) go to Stripe's charge create call.
        """
        if not isinstance(amount, Decimal):
            raise ValueError("You must supply a decimal value representing dollars.")
        currency = kwargs.pop("currency", None) or self.currency or "usd"
        params: dict[str, Any] = {
            "customer": self.id,
            "amount": to_minor_units(amount, currency),
            "currency": currency,
        }
        if application_fee is not None:
            params["application_fee_amount"] = to_minor_units(application_fee, currency)
        if source is not None:
            params["source"] = _id(source)
        data = Charge._api_create(
            api_key=self.default_api_key,
            stripe_account=self._stripe_account,
            **params,
            **kwargs,
        )
        return Charge.sync_from_stripe_data(data, stripe_account=self._stripe_account)

    def add_coupon(self, coupon, idempotency_key=None):
        """Add a coupon to a Customer.

        The coupon can be a Coupon object, or a valid Stripe Coupon ID.
        """
        data = self._api_update(coupon=_id(coupon), idempotency_key=idempotency_key)
        return self.sync_from_stripe_data(data, stripe_account=self._stripe_account)

    def add_invoice_item(
        self,
        amount,
        currency,
        description=None,
        discountable=None,
        invoice=None,
        metadata=None,
        subscription=None,
    ):
        """Adds an arbitrary charge or credit to the customer's upcoming invoice.

        Different than creating a charge. Charges are separate bills that get
        processed immediately. Invoice items are appended to the customer's next
        invoice. This is extremely useful when adding surcharges to subscriptions.

        :param amount: The amount to charge.
        :type amount: Decimal. Precision is 2; anything more will be ignored.
        :param currency: 3-letter ISO code for currency
        :param description: An arbitrary string.
        :param discountable: Controls whether discounts apply to this invoice item.
        :param invoice: An existing invoice to add this invoice item to
            (Invoice or invoice id). When left blank, the item goes on the next
            upcoming scheduled invoice.
        :param metadata: A set of key/value pairs.
        :param subscription: A subscription to add this invoice item to
            (Subscription or subscription id).
        :returns: the new InvoiceItem.
        """
        if not isinstance(amount, Decimal):
            raise ValueError("You must supply a decimal value representing dollars.")
        params = {
            "customer": self.id,
            "amount": to_minor_units(amount, currency),
            "currency": currency,
            "description": description,
            "discountable": discountable,
            "invoice": _id(invoice),
            "metadata": metadata,
            "subscription": _id(subscription),
        }
        InvoiceItem = sync.model_for("invoiceitem")
        data = InvoiceItem._api_create(
            api_key=self.default_api_key,
            stripe_account=self._stripe_account,
            **{k: v for k, v in params.items() if v is not None},
        )
        return InvoiceItem.sync_from_stripe_data(
            data, stripe_account=self._stripe_account
        )

    def add_payment_method(self, payment_method, set_default=True):
        """Adds an already existing payment method to this customer's account

        :param payment_method: PaymentMethod to be attached to the customer
        :type payment_method: str, PaymentMethod
        :param set_default: If true, this will be set as the default_payment_method
        :type set_default: bool
        :rtype: PaymentMethod
        """
        PaymentMethod = sync.model_for("payment_method")
        data = stripe_api.request(
            "post",
            f"{PaymentMethod.stripe_class_url()}/{_id(payment_method)}/attach",
            {"customer": self.id},
            api_key=self.default_api_key,
            stripe_account=self._stripe_account,
        )
        objects = [data]
        if set_default:
            objects.append(
                self._api_update(
                    invoice_settings={"default_payment_method": data["id"]}
                )
            )
        sync.upsert(objects, owner_account=self._stripe_account)
        self.refresh_from_db()
        return PaymentMethod.objects.get(id=data["id"])

    def purge(self):
        """Customers are soft deleted as deleted customers are still accessible
        by the Stripe API and sync for all RelatedModels would fail"""
        try:
            self._api_delete()
        except stripe.InvalidRequestError as error:
            if error.code != "resource_missing":  # already deleted in Stripe
                raise
        sync.delete(type(self), self.id)
        self.refresh_from_db()

    def send_invoice(self, **kwargs):
        """Pay and send the customer's latest invoice.

        Creates an invoice from the customer's pending invoice items and pays it.

        :returns: True if an invoice was able to be created and paid, False
            otherwise (typically if there was nothing to invoice).
        """
        Invoice = sync.model_for("invoice")
        kwargs.setdefault("pending_invoice_items_behavior", "include")
        try:
            data = Invoice._api_create(
                api_key=self.default_api_key,
                stripe_account=self._stripe_account,
                customer=self.id,
                **kwargs,
            )
        except stripe.InvalidRequestError:
            return False
        invoice = Invoice.sync_from_stripe_data(
            data, stripe_account=self._stripe_account
        )
        if not (data.get("lines") or {}).get("data"):
            invoice._api_delete()  # an empty draft: nothing to invoice
            sync.delete(Invoice, invoice.id)
            return False
        try:
            invoice.pay()
        except stripe.StripeError:
            return False
        return True

    def upcoming_invoice(self, **kwargs):
        """Gets the upcoming preview invoice (singular) for this customer.

        See :meth:`Invoice.upcoming() <djstripe.models.Invoice.upcoming>`.
        The customer argument to the upcoming() call is automatically set
        by this method.
        """
        kwargs.pop("customer", None)
        return sync.model_for("invoice").upcoming(customer=self, **kwargs)

    def sync_entitlements(self) -> list[str]:
        """Re-read the customer's active entitlements from Stripe, mirror them,
        drop those that ended, and return their lookup keys."""
        path = "/v1/entitlements/active_entitlements"
        entitlements = [
            item
            for page in stripe_api.iter_pages(
                path,
                {"customer": self.id},
                api_key=self.default_api_key,
                stripe_account=self._stripe_account,
            )
            for item in page
        ]
        # The entitlements do not name their customer: mirror them as the
        # summary Stripe sends in webhooks, which does.
        summary = {
            "object": "entitlements.active_entitlement_summary",
            "customer": self.id,
            "entitlements": {"object": "list", "data": entitlements},
        }
        sync.upsert([summary], owner_account=self._stripe_account)
        self.active_entitlements.exclude(
            id__in=[e["id"] for e in entitlements]
        ).delete()
        return self.entitlements


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _subscription_item(item: Any) -> dict:
    """``{"price": "price_..."}`` from a Price, an id or an item dict."""
    if not isinstance(item, dict):
        return {"price": _id(item)}
    item = dict(item)
    for key in ("price", "plan"):
        if key in item:
            item[key] = _id(item[key])
    return item


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
        return self.name or self.id

    @property
    def default_price(self) -> Price | None:
        """The product's default Price, if it has one and it is mirrored."""
        price_id = stripe_id_of(self.stripe_data.get("default_price"))
        if not price_id:
            return None
        return Price.objects.filter(id=price_id).first()


#: Currency symbols for human-readable amounts; other currencies show the code only.
_CURRENCY_SYMBOLS = {
    "usd": "$",
    "cad": "$",
    "aud": "$",
    "nzd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "cny": "¥",
    "inr": "₹",
    "krw": "₩",
    "chf": "CHF ",
}


def format_amount(amount_minor: int | str | Decimal | None, currency: str) -> str:
    """``1000, "usd"`` → ``"$10.00 USD"``."""
    major = to_major_units(amount_minor or 0, currency)
    symbol = _CURRENCY_SYMBOLS.get(currency.lower(), "")
    return f"{symbol}{major:,} {currency.upper()}"


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
        return self.nickname or self.human_readable_price

    @classmethod
    def create(cls, **kwargs):
        """Create a price in Stripe and mirror it. ``product`` may be a Product."""
        if "product" in kwargs:
            kwargs["product"] = _id(kwargs["product"])
        data = cls._api_create(**kwargs)
        return cls.sync_from_stripe_data(
            data, stripe_account=kwargs.get("stripe_account")
        )

    @classmethod
    def get_or_create(cls, **kwargs):
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
        """The price as a person reads it: ``"$10.00 USD/month"``,
        ``"Starts at $5.00 USD per unit/every 3 months"``..."""
        if self.billing_scheme == "tiered":
            amount = "Starts at " + self._first_tier_amount()
        else:
            amount = format_amount(
                self.unit_amount_decimal or self.unit_amount, self.currency
            )
        recurring = self.recurring
        if not recurring:
            return f"{amount} (one time)"
        count = recurring.get("interval_count") or 1
        interval = recurring.get("interval", "")
        period = f"/{interval}" if count == 1 else f"/every {count} {interval}s"
        metered = " (metered usage)" if recurring.get("usage_type") == "metered" else ""
        return f"{amount}{period}{metered}"

    def _first_tier_amount(self) -> str:
        tier = (self.tiers or [{}])[0]
        parts = []
        unit = tier.get("unit_amount_decimal") or tier.get("unit_amount")
        flat = tier.get("flat_amount_decimal") or tier.get("flat_amount")
        if unit is not None:
            parts.append(f"{format_amount(unit, self.currency)} per unit")
        if flat is not None:
            parts.append(format_amount(flat, self.currency))
        return " + ".join(parts) or format_amount(0, self.currency)


# -- Payments -----------------------------------------------------------------------------


class ChargeQuerySet(StripeQuerySet):
    def succeeded(self) -> ChargeQuerySet:
        return self.filter(status="succeeded")

    def failed(self) -> ChargeQuerySet:
        return self.filter(status="failed")

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

    objects = StripeManager.from_queryset(ChargeQuerySet)()

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
        return f"{self.amount} {self.currency.upper()} ({self.human_readable_status})"

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

    def capture(self, **kwargs) -> Charge:
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

    def get_stripe_dashboard_url(self):
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

    @classmethod
    def stripe_extra_values(cls, data: dict) -> dict[str, Any]:
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

    amount_received = StripeProperty("Amount received, in major units.", kind="amount")
    capture_method = StripeProperty("automatic, automatic_async or manual.")
    client_secret = StripeProperty("The secret for confirming the intent client-side.")
    latest_charge = StripeProperty("The id of the latest charge.")

    def update(self, api_key=None, stripe_account=None, **kwargs):
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

    amount = StripeProperty("Amount paid out, in major units.", kind="amount")
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
    def is_valid_object(cls, data):
        """Files are ``file`` objects (``file_upload`` in old API versions)."""
        return data.get("object") in ("file", "file_upload")


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
