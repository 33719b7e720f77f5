"""Stripe Connect: accounts, and the objects that move money between them."""

from __future__ import annotations

from typing import Any

import stripe
from django.db.models import Sum

from ..fields import (
    StripeCharField,
    StripeCurrencyCodeField,
    StripeDecimalCurrencyAmountField,
    StripeEnumField,
    StripeForeignKey,
)
from ..money import get_friendly_currency_amount
from ..properties import StripeProperty
from ..settings import djstripe_settings
from ..sync.parents import ParentList
from .base import StripeManager, StripeModel, StripeQuerySet, stripe_int


class Account(StripeModel):
    """A Stripe account: the platform's own, or a connected account.

    Every mirrored row records the account that owns it
    (``djstripe_owner_account``).

    Stripe documentation: https://stripe.com/docs/api/accounts?lang=python
    """

    stripe_class = stripe.Account
    stripe_dashboard_item_name = "connect/accounts"

    email = StripeCharField(max_length=255)
    type = StripeEnumField(enum=("standard", "express", "custom", "none"))

    business_profile = StripeProperty("Business information about the account.")
    business_type = StripeProperty(
        "individual, company, non_profit or government_entity."
    )
    charges_enabled = StripeProperty(
        "Whether the account can create live charges.", default=False
    )
    country = StripeProperty("The account's country.")
    default_currency = StripeProperty("The account's default currency.")
    details_submitted = StripeProperty(
        "Whether onboarding details were submitted.", default=False
    )
    payouts_enabled = StripeProperty("Whether payouts are enabled.", default=False)
    settings = StripeProperty(
        "Account options for customizing how the account functions."
    )

    @classmethod
    def get_default_account(cls, api_key: str | None = None) -> Account | None:
        """The account the secret key belongs to (``GET /v1/account``), mirrored.

        None for a restricted key (``rk_``), which Stripe does not let read
        its account.
        """
        api_key = api_key or djstripe_settings.STRIPE_SECRET_KEY
        if api_key.startswith("rk_"):
            return None
        data = cls._api_request("get", "/v1/account", api_key=api_key)
        return cls.sync_from_stripe_data(data, api_key=api_key)

    def __str__(self) -> str:
        dashboard = (self.settings or {}).get("dashboard") or {}
        profile = self.business_profile or {}
        return dashboard.get("display_name") or profile.get("name") or super().__str__()


class TransferQuerySet(StripeQuerySet):
    def paid_totals_for(self, year: int, month: int) -> dict[str, Any]:
        """``{"total_amount": 12000}``: what was transferred in the month, in
        the minor units Stripe sent, as dj-stripe reports it."""
        return self.during(year, month).aggregate(
            total_amount=Sum(stripe_int("amount"))
        )


class Transfer(StripeModel):
    """Money moved from the platform's balance to a connected account.

    Stripe documentation: https://stripe.com/docs/api/transfers?lang=python
    """

    stripe_class = stripe.Transfer
    stripe_dashboard_item_name = "connect/transfers"
    expand_fields = ["balance_transaction"]

    amount = StripeDecimalCurrencyAmountField(
        help_text="Amount transferred, in major units."
    )
    balance_transaction = StripeForeignKey(
        "djstripe.BalanceTransaction", related_name="+"
    )
    currency = StripeCurrencyCodeField()
    destination = StripeForeignKey(Account, related_name="transfers")
    transfer_group = StripeCharField(max_length=255, db_index=True)

    amount_reversed = StripeProperty("Amount reversed, in the currency's minor unit.")
    reversed = StripeProperty("Whether the transfer was fully reversed.", default=False)

    objects = StripeManager.from_queryset(TransferQuerySet)()  # type: ignore[misc]

    def __str__(self) -> str:
        amount = get_friendly_currency_amount(self.amount or 0, self.currency)
        if self.reversed:
            return f"{amount} Reversed"
        if self.amount_reversed:
            return f"{amount} Partially Reversed"
        return amount


class TransferReversal(StripeModel):
    """A (partial) reversal of a transfer back to the platform.

    Stripe documentation: https://stripe.com/docs/api/transfer_reversals?lang=python
    """

    stripe_class = stripe.TransferReversal
    stripe_parent_lists = (
        ParentList("transfer", "/v1/transfers/{id}/reversals", "reversals"),
    )
    stripe_parent_field = "transfer"
    stripe_nested_in = ("transfer", "reversals")

    amount = StripeDecimalCurrencyAmountField(
        help_text="Amount reversed, in major units."
    )
    balance_transaction = StripeForeignKey(
        "djstripe.BalanceTransaction", related_name="+"
    )
    currency = StripeCurrencyCodeField()
    transfer = StripeForeignKey(Transfer, related_name="reversals")

    def __str__(self) -> str:
        transfer = self._related("transfer")
        return str(transfer) if transfer else super().__str__()


class ApplicationFee(StripeModel):
    """The platform's fee on a connected account's charge.

    Stripe documentation: https://stripe.com/docs/api/application_fees?lang=python
    """

    stripe_class = stripe.ApplicationFee
    stripe_dashboard_item_name = "connect/application_fees"

    account = StripeForeignKey(Account, related_name="application_fees")
    amount = StripeDecimalCurrencyAmountField(help_text="Fee amount, in major units.")
    balance_transaction = StripeForeignKey(
        "djstripe.BalanceTransaction", related_name="+"
    )
    charge = StripeForeignKey("djstripe.Charge", related_name="application_fees")
    currency = StripeCurrencyCodeField()

    amount_refunded = StripeProperty("Amount refunded, in the currency's minor unit.")
    refunded = StripeProperty("Whether the fee was fully refunded.", default=False)


class ApplicationFeeRefund(StripeModel):
    """A refund of (part of) an application fee.

    Stripe documentation: https://stripe.com/docs/api/fee_refunds?lang=python
    """

    stripe_class = stripe.ApplicationFeeRefund
    stripe_parent_lists = (
        ParentList("application_fee", "/v1/application_fees/{id}/refunds", "refunds"),
    )
    stripe_parent_field = "fee"
    stripe_nested_in = ("fee", "refunds")

    amount = StripeDecimalCurrencyAmountField(
        help_text="Amount refunded, in major units."
    )
    balance_transaction = StripeForeignKey(
        "djstripe.BalanceTransaction", related_name="+"
    )
    currency = StripeCurrencyCodeField()
    fee = StripeForeignKey(ApplicationFee, related_name="refunds")


class CountrySpec(StripeModel):
    """What Stripe supports for accounts in one country (currencies, methods).

    Stripe documentation: https://stripe.com/docs/api/country_specs?lang=python
    """

    stripe_class = stripe.CountrySpec

    default_currency = StripeCurrencyCodeField()

    supported_payment_currencies = StripeProperty("Currencies accounts can charge in.")
    supported_payment_methods = StripeProperty("Payment methods accounts can use.")
