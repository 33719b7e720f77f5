"""How customers pay: PaymentMethods, and the older payment-source family.

A charge's ``source`` or a customer's ``default_source`` can be a Card, a
BankAccount or a (legacy) Source. They share one polymorphic base table,
:class:`DjstripePaymentSource`, so one relation can point at any of them and
comes back as the concrete type (``charge.source`` is a ``Card``).
"""

from __future__ import annotations

import builtins
from typing import Any, cast

import stripe
from polymorphic.managers import PolymorphicManager
from polymorphic.models import PolymorphicModel
from polymorphic.query import PolymorphicQuerySet

from ..fields import (
    StripeCharField,
    StripeCurrencyCodeField,
    StripeEnumField,
    StripeForeignKey,
    StripeIntegerField,
)
from ..money import humanize
from ..properties import StripeProperty
from ..sync.parents import ParentList
from .base import StripeModel, StripeQuerySetMixin, id_of

#: A customer's cards, bank accounts and sources: one list for the three.
CUSTOMER_SOURCES = ParentList("customer", "/v1/customers/{id}/sources", "sources")


class PaymentMethod(StripeModel):
    """A customer's payment instrument (card, SEPA debit, wallet...).

    Stripe documentation: https://stripe.com/docs/api/payment_methods?lang=python
    """

    stripe_class = stripe.PaymentMethod
    stripe_parent_lists = (
        ParentList("customer", "/v1/customers/{id}/payment_methods"),
    )
    stripe_dashboard_item_name = "payment_methods"

    customer = StripeForeignKey("djstripe.Customer", related_name="payment_methods")
    type = StripeEnumField(
        db_index=True, help_text="card, sepa_debit, us_bank_account..."
    )

    billing_details = StripeProperty("Billing information associated with the method.")
    card = StripeProperty("Card details, for type card (brand, last4, exp_month...).")

    def __str__(self) -> str:
        last4 = (self.stripe_data.get(self.type) or {}).get("last4")
        kind = humanize(self.type)
        return f"{kind} ending in {last4}" if last4 else kind

    @classmethod
    def attach(
        cls,
        payment_method: str | PaymentMethod,
        customer: str | StripeModel,
        api_key: str | None = None,
    ) -> PaymentMethod:
        """Attach a payment method to a customer (``POST
        /v1/payment_methods/{id}/attach``) and mirror what Stripe returns."""
        path = f"{cls.stripe_class_url()}/{id_of(payment_method)}/attach"
        stripe_account = getattr(customer, "_stripe_account", None)
        data = cls._api_request(
            "post",
            path,
            {"customer": id_of(customer)},
            api_key=api_key or getattr(customer, "default_api_key", None),
            stripe_account=stripe_account,
        )
        return cls.sync_from_stripe_data(
            data, api_key=api_key, stripe_account=stripe_account
        )

    def detach(self, api_key: str | None = None) -> PaymentMethod:
        """Detach the method from its customer in Stripe and mirror the result."""
        data = self._api_action("detach", api_key=api_key)
        return self.sync_from_stripe_data(data, api_key=api_key)


class PaymentSourceQuerySet(StripeQuerySetMixin, PolymorphicQuerySet):  # type: ignore[type-arg]
    pass


_PaymentSourceManagerBase = PolymorphicManager.from_queryset(PaymentSourceQuerySet)


class PaymentSourceManager(_PaymentSourceManagerBase[Any]):
    pass


class DjstripePaymentSource(PolymorphicModel, StripeModel):
    """The shared table of the payment-source family (Card, BankAccount, Source).

    Not a Stripe type itself: rows are always one of the concrete kinds, and
    queries through this model return them as such.
    """

    customer = StripeForeignKey("djstripe.Customer", related_name="sources")
    account = StripeForeignKey(
        "djstripe.Account",
        related_name="external_accounts",
        help_text="The connected account, for an external account (payouts).",
    )

    objects = PaymentSourceManager()  # type: ignore[misc, assignment]

    class Meta:
        base_manager_name = "objects"
        get_latest_by = "created"
        verbose_name = "payment source"

    @property
    def type(self) -> str:
        """The kind of source: ``card``, ``bank_account`` or ``source``."""
        return cast(str, self.stripe_data.get("object", ""))

    @property
    def object_model(self) -> builtins.type[StripeModel]:
        """The model of this kind of source (Card, BankAccount, Source)."""
        return type(self.get_real_instance())

    def resolve(self) -> StripeModel:
        """This source as its concrete type (a Card, a BankAccount...)."""
        return self.get_real_instance()

    @classmethod
    def from_stripe_object(cls, data: dict[str, Any]) -> DjstripePaymentSource:
        """Mirror a card, bank account or source and return its row."""
        cls.sync_from_stripe_data(data)
        return cast(DjstripePaymentSource, cls.objects.get(id=data["id"]))


#: dj-stripe's name for the family's shared table.
DjstripePaymentMethod = DjstripePaymentSource


class Card(DjstripePaymentSource):
    """A card attached to a customer (legacy Sources API) or a connected
    account (external account for payouts).

    Stripe documentation: https://stripe.com/docs/api/cards?lang=python
    """

    stripe_class = stripe.Card
    stripe_parent_lists = (CUSTOMER_SOURCES,)
    stripe_nested_in = ("customer", "sources")

    brand = StripeCharField(
        max_length=255, help_text="Visa, MasterCard, American Express..."
    )
    exp_month = StripeIntegerField()
    exp_year = StripeIntegerField()
    fingerprint = StripeCharField(max_length=32, db_index=True)
    funding = StripeEnumField(enum=("credit", "debit", "prepaid", "unknown"))
    last4 = StripeCharField(max_length=4)

    class Meta:
        get_latest_by = "created"

    def __str__(self) -> str:
        customer: Any = self._related("customer")
        if customer is not None:
            default = self.id in (
                customer.default_payment_method_id,
                id_of(customer.stripe_data.get("default_source")),
            )
            flag = "Default" if default else ""
            return f"{self.brand} {self.last4} {flag} Expires {self.exp_month} {self.exp_year}"
        account: Any = self._related("account")
        if account is not None:
            flag = "Default" if self.stripe_data.get("default_for_currency") else ""
            return f"{self.brand} {account.default_currency} {flag} {self.last4}"
        return self.id or ""


class BankAccount(DjstripePaymentSource):
    """A bank account attached to a customer or a connected account.

    Stripe documentation: https://stripe.com/docs/api/customer_bank_accounts?lang=python
    """

    stripe_class = stripe.BankAccount
    stripe_parent_lists = (CUSTOMER_SOURCES,)
    stripe_nested_in = ("customer", "sources")

    bank_name = StripeCharField(max_length=255)
    currency = StripeCurrencyCodeField()
    fingerprint = StripeCharField(max_length=32, db_index=True)
    last4 = StripeCharField(max_length=4)
    status = StripeEnumField(
        enum=("new", "validated", "verified", "verification_failed", "errored")
    )

    class Meta:
        get_latest_by = "created"

    @property
    def human_readable_status(self) -> str:
        """``"Pending Verification"`` for a new account, else the status
        (``"Verified"``, ``"Verification failed"``...)."""
        if self.status == "new":
            return "Pending Verification"
        return humanize(self.status)


class Source(DjstripePaymentSource):
    """A legacy Source (ACH credit transfer, SEPA debit via Sources...).

    Stripe documentation: https://stripe.com/docs/api/sources?lang=python
    """

    stripe_class = stripe.Source
    stripe_parent_lists = (CUSTOMER_SOURCES,)

    currency = StripeCurrencyCodeField()
    status = StripeEnumField(
        enum=("canceled", "chargeable", "consumed", "failed", "pending")
    )
    type = StripeEnumField(help_text="The source type (ach_credit_transfer, card...).")

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    class Meta:
        get_latest_by = "created"
