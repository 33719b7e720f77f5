"""The Customer: who pays, and the write-through methods that act for them.

A customer is where most of a site's own code meets Stripe (subscribe,
charge, add a payment method), so its methods live apart from the payment
objects of :mod:`djstripe.models.core`. The class keeps dj-stripe's documented
path, ``djstripe.models.core.Customer``.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

import stripe
from django.db import models
from django.db.models import Q

from .. import stripe_api, sync
from ..exceptions import ImpossibleAPIRequest, MultipleSubscriptionException
from ..fields import StripeCharField, StripeForeignKey, stripe_id_of, to_minor_units
from ..properties import StripeProperty
from ..settings import djstripe_settings
from .base import StripeManager, StripeModel, StripeQuerySet, id_of, stripe_now
from .billing import CURRENT_STATUSES, Coupon, Invoice, InvoiceItem, Subscription
from .idempotency import IdempotencyKey
from .payment_methods import DjstripePaymentSource, PaymentMethod

#: The API version that removed ``coupon`` from customers (``add_coupon``).
CUSTOMER_COUPON_REMOVED_IN = "2025-03-31"

if TYPE_CHECKING:
    from .core import Charge, Product

_M = TypeVar("_M", bound=StripeModel)


class CustomerQuerySet(StripeQuerySet):
    def not_purged(self) -> CustomerQuerySet:
        """Customers that still exist in Stripe."""
        return self.filter(date_purged__isnull=True)

    def with_failed_payment(self) -> CustomerQuerySet:
        """Customers with a failed charge or an open invoice whose payment
        was attempted and failed."""
        failed_charge = Q(charges__status="failed")
        failed_invoice = Q(invoices__status="open", invoices__attempt_count__gt=0)
        return self.filter(failed_charge | failed_invoice).distinct()


class Customer(StripeModel):
    """Customer objects allow you to perform recurring charges and track
    multiple charges that are associated with the same customer.

    Stripe documentation: https://stripe.com/docs/api?lang=python#customers
    """

    # dj-stripe's documented path; the module re-exports the class.
    __module__ = "djstripe.models.core"

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

    if TYPE_CHECKING:  # reverse relations and a swappable target the plugin cannot see
        subscriber_id: Any
        subscriptions: Any
        charges: Any
        sources: Any
        active_entitlements: Any

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "livemode", "djstripe_owner_account"],
                condition=models.Q(date_purged__isnull=True),
                name="djstripe_customer_one_per_subscriber",
            )
        ]

    def __str__(self) -> str:
        if self.subscriber_id is not None and self.subscriber is not None:
            return str(self.subscriber)
        return cast(str, self.name or self.description or self.id)

    @classmethod
    def stripe_extra_values(cls, data: dict[str, Any]) -> dict[str, Any]:
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
        return cast(
            StripeModel | None,
            DjstripePaymentSource.objects.filter(id=source_id).first(),
        )

    @property
    def customer_payment_methods(self) -> Iterator[StripeModel]:
        """An iterable of all of the customer's payment methods
        (sources, then legacy cards)"""
        yield from self.sources.iterator()

    @property
    def coupon(self) -> StripeModel | None:
        """The Coupon of the customer's discount, if any."""
        discount = self.discount or {}
        coupon = discount.get("coupon") or (discount.get("source") or {}).get("coupon")
        coupon_id = stripe_id_of(coupon)
        if not coupon_id:
            return None
        return cast(StripeModel | None, Coupon.objects.filter(id=coupon_id).first())

    @property
    def credits(self) -> int:
        """The customer is considered to have credits if their balance is below 0."""
        return cast(int, abs(min(self.balance, 0)))

    @property
    def pending_charges(self) -> int:
        """The customer is considered to have pending charges if their balance is above 0."""
        return cast(int, max(self.balance, 0))

    @property
    def entitlements(self) -> list[str]:
        """Lookup keys of the features the customer is entitled to now."""
        return list(
            self.active_entitlements.order_by("lookup_key").values_list(
                "lookup_key", flat=True
            )
        )

    @property
    def active_subscriptions(self) -> models.QuerySet[Any]:
        """Returns active subscriptions (subscriptions with an active status that end in the future)."""
        return cast(
            "models.QuerySet[Any]",
            self.subscriptions.active().filter(current_period_end__gt=stripe_now()),
        )

    def _current_subscriptions(self) -> models.QuerySet[Any]:
        """Valid subscriptions whose status and period are current (dj-stripe's
        ``Subscription.is_valid()``), as one query."""
        return cast(
            "models.QuerySet[Any]",
            self.subscriptions.valid()
            .filter(status__in=CURRENT_STATUSES)
            .period_current(),
        )

    @property
    def valid_subscriptions(self) -> models.QuerySet[Any]:
        """Returns this customer's valid subscriptions (subscriptions that aren't
        canceled, incomplete or incomplete_expired).

        incomplete subscriptions are excluded because their initial payment
        has not yet succeeded (eg. subscriptions created with
        payment_behavior="default_incomplete"), so the customer is not yet
        paying for them.
        """
        return cast("models.QuerySet[Any]", self.subscriptions.valid())

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

    def has_any_active_subscription(self) -> bool:
        """Checks to see if this customer has an active subscription to any plan.

        :returns: True if there exists an active subscription, False otherwise.
        """
        return self._current_subscriptions().exists()

    def is_subscribed_to(self, product: Product | str) -> bool:
        """Checks to see if this customer has an active subscription to the given product.

        :param product: The product for which to check for an active subscription.
        :type product: Product or string (product ID)
        :returns: True if there exists an active subscription, False otherwise.
        """
        return (
            self._current_subscriptions()
            .filter(items__price__product_id=id_of(product))
            .exists()
        )

    # -- Creating ----------------------------------------------------------------

    @classmethod
    def create(
        cls,
        subscriber: models.Model,
        idempotency_key: str | None = None,
        stripe_account: str | None = None,
        livemode: bool | None = None,
        api_key: str | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Customer:
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
        full_name = getattr(subscriber, "get_full_name", lambda: "")()
        if full_name and "name" not in kwargs:  # as dj-stripe: the user's full name
            kwargs["name"] = full_name
        return cls._create_mirrored(
            api_key=api_key,
            stripe_account=stripe_account,
            idempotency_key=idempotency_key,
            metadata=metadata,
            **kwargs,
        )

    @classmethod
    def get_or_create(
        cls,
        subscriber: models.Model,
        livemode: bool | None = None,
        stripe_account: str | None = None,
        api_key: str | None = None,
        **kwargs: Any,
    ) -> tuple[Customer, bool]:
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
            cls.objects.not_purged()  # type: ignore[attr-defined]
            .filter(
                subscriber=subscriber,
                livemode=livemode,
                djstripe_owner_account=stripe_account,
            )
            .first()
        )
        if existing is not None:
            return existing, False
        # The same key for every attempt: a retry after a lost answer gets
        # Stripe's first customer back instead of creating a second one.
        kwargs.setdefault(
            "idempotency_key",
            IdempotencyKey.key_for("customer", f"create:{subscriber.pk}", livemode),
        )
        customer = cls.create(
            subscriber,
            stripe_account=stripe_account,
            livemode=livemode,
            api_key=api_key,
            **kwargs,
        )
        return customer, True

    def subscribe(
        self, *, items: Any = None, price: Any = None, **kwargs: Any
    ) -> Subscription:
        """Subscribes this customer to all the prices in the items dict (Recommended).

        :param items: A list of up to 20 subscription items, each with an attached price
            (``[{"price": price_or_id, "quantity": 2}]``; a bare Price or id is accepted).
        :param price: The price to which to subscribe the customer.
        :type price: Price or string (price ID)
        :returns: the new Subscription.
        """
        if items and price:
            raise TypeError("Please define only one of items and price arguments.")
        if items is None and price is None:
            raise ValueError("Pass items or price.")
        items = list(items or [])
        if price is not None:
            items.append({"price": price})
        return self._create_related(
            Subscription,
            customer=self.id,
            items=[_subscription_item(item) for item in items],
            **kwargs,
        )

    def charge(
        self,
        amount: Decimal,
        *,
        application_fee: Decimal | None = None,
        source: str | StripeModel | None = None,
        **kwargs: Any,
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
            params["source"] = id_of(source)
        return cast(
            "Charge", self._create_related(self.charges.model, **params, **kwargs)
        )

    def add_coupon(self, coupon: Any, idempotency_key: str | None = None) -> Customer:
        """Add a coupon to a Customer.

        The coupon can be a Coupon object, or a valid Stripe Coupon ID. Stripe
        removed a customer's ``coupon`` in API version 2025-03-31.basil (no
        successor exists on customers), so on that version and later this
        raises :class:`~djstripe.exceptions.ImpossibleAPIRequest` before any
        request: apply the coupon to a subscription's ``discounts`` instead.
        """
        version = stripe_api.api_version()
        if version >= CUSTOMER_COUPON_REMOVED_IN:
            raise ImpossibleAPIRequest(
                f"Stripe API version {version} has no coupon on customers (removed "
                f"in {CUSTOMER_COUPON_REMOVED_IN}.basil): apply the coupon to a "
                "subscription's discounts, or pin DJSTRIPE_STRIPE_API_VERSION to an "
                "older version."
            )
        data = self._api_update(coupon=id_of(coupon), idempotency_key=idempotency_key)
        return self._mirror(data)

    def add_invoice_item(
        self,
        amount: Decimal,
        currency: str,
        description: str | None = None,
        discountable: bool | None = None,
        invoice: Any = None,
        metadata: dict[str, Any] | None = None,
        subscription: Any = None,
    ) -> InvoiceItem:
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
            "invoice": id_of(invoice),
            "metadata": metadata,
            "subscription": id_of(subscription),
        }
        return self._create_related(
            InvoiceItem, **{k: v for k, v in params.items() if v is not None}
        )

    def add_payment_method(
        self, payment_method: Any, set_default: bool = True
    ) -> PaymentMethod:
        """Adds an already existing payment method to this customer's account

        :param payment_method: PaymentMethod to be attached to the customer
        :type payment_method: str, PaymentMethod
        :param set_default: If true, this will be set as the default_payment_method
        :type set_default: bool
        :rtype: PaymentMethod
        """
        data = PaymentMethod._api_request(
            "post",
            f"{PaymentMethod.stripe_class_url()}/{id_of(payment_method)}/attach",
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
        return cast(PaymentMethod, PaymentMethod.objects.get(id=data["id"]))

    def purge(self) -> None:
        """Customers are soft deleted as deleted customers are still accessible
        by the Stripe API and sync for all RelatedModels would fail"""
        try:
            self._api_delete()
        except stripe.InvalidRequestError as error:
            if error.code != "resource_missing":  # already deleted in Stripe
                raise
        sync.delete(type(self), self.id)
        if self.subscriber_id is not None:
            # A new customer for this subscriber must not get this one back
            # from Stripe's memory of the creating request's key.
            IdempotencyKey.objects.filter(
                action=f"customer:create:{self.subscriber_id}"
            ).delete()
        self.refresh_from_db()

    def send_invoice(self, **kwargs: Any) -> bool:
        """Pay and send the customer's latest invoice.

        Creates an invoice from the customer's pending invoice items and pays it.

        :returns: True if an invoice was able to be created and paid, False
            otherwise (typically if there was nothing to invoice).
        """
        kwargs.setdefault("pending_invoice_items_behavior", "include")
        try:
            invoice = self._create_related(Invoice, customer=self.id, **kwargs)
        except stripe.InvalidRequestError:
            return False
        if not invoice.lines.exists():
            invoice._api_delete()  # an empty draft: nothing to invoice
            sync.delete(Invoice, invoice.id)
            return False
        try:
            invoice.pay()
        except stripe.StripeError:
            return False
        return True

    def upcoming_invoice(self, **kwargs: Any) -> Any:
        """Gets the upcoming preview invoice (singular) for this customer.

        See :meth:`Invoice.upcoming() <djstripe.models.Invoice.upcoming>`.
        The customer argument to the upcoming() call is automatically set
        by this method.
        """
        kwargs.pop("customer", None)
        return Invoice.upcoming(customer=self, **kwargs)

    def _create_related(self, model: type[_M], **params: Any) -> _M:
        """Create a ``model`` object for this customer in Stripe, with the
        customer's mode key and account, and return its mirrored row."""
        return model._create_mirrored(
            api_key=self.default_api_key,
            stripe_account=self._stripe_account,
            **params,
        )

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


def _subscription_item(item: Any) -> dict[str, Any]:
    """``{"price": "price_..."}`` from a Price, an id or an item dict."""
    if not isinstance(item, dict):
        return {"price": id_of(item)}
    item = dict(item)
    for key in ("price", "plan"):
        if key in item:
            item[key] = id_of(item[key])
    return cast(dict[str, Any], item)
