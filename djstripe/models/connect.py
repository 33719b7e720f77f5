"""Stripe Connect: accounts, and the objects that move money between them."""

from __future__ import annotations

import stripe

from ..fields import StripeCharField, StripeEnumField
from ..properties import StripeProperty
from .base import StripeModel


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

    def __str__(self) -> str:
        profile = self.business_profile or {}
        return profile.get("name") or self.email or self.id
