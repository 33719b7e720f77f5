"""Stripe Issuing: cards the platform issues, and what happens with them.

The tables keep dj-stripe's names (``djstripe_issuing_card``...), so a
dj-stripe database carries over.
"""

from __future__ import annotations

import stripe

from ..fields import StripeCurrencyCodeField, StripeEnumField, StripeForeignKey
from .base import StripeModel


class IssuingCardholder(StripeModel):
    """An individual or business entity who is issued cards.

    Stripe documentation: https://stripe.com/docs/api/issuing/cardholders
    """

    stripe_class = stripe.issuing.Cardholder
    stripe_dashboard_item_name = "issuing/cardholders"

    status = StripeEnumField(enum=("active", "inactive", "blocked"), db_index=True)

    class Meta:
        db_table = "djstripe_issuing_cardholder"


class IssuingCard(StripeModel):
    """A card issued to a cardholder.

    Stripe documentation: https://stripe.com/docs/api/issuing/cards
    """

    stripe_class = stripe.issuing.Card
    stripe_dashboard_item_name = "issuing/cards"

    cardholder = StripeForeignKey(IssuingCardholder, related_name="cards")
    currency = StripeCurrencyCodeField()
    status = StripeEnumField(enum=("active", "inactive", "canceled"), db_index=True)

    class Meta:
        db_table = "djstripe_issuing_card"


class IssuingAuthorization(StripeModel):
    """A request to pay with an issued card, approved or declined.

    Stripe documentation: https://stripe.com/docs/api/issuing/authorizations
    """

    stripe_class = stripe.issuing.Authorization
    stripe_dashboard_item_name = "issuing/authorizations"

    card = StripeForeignKey(IssuingCard, related_name="authorizations")
    cardholder = StripeForeignKey(IssuingCardholder, related_name="authorizations")
    currency = StripeCurrencyCodeField()
    status = StripeEnumField(enum=("pending", "closed", "reversed"), db_index=True)

    class Meta:
        db_table = "djstripe_issuing_authorization"


class IssuingTransaction(StripeModel):
    """Money moved by an issued card: a capture or a refund.

    Stripe documentation: https://stripe.com/docs/api/issuing/transactions
    """

    stripe_class = stripe.issuing.Transaction
    stripe_dashboard_item_name = "issuing/transactions"

    authorization = StripeForeignKey(IssuingAuthorization, related_name="transactions")
    card = StripeForeignKey(IssuingCard, related_name="transactions")
    cardholder = StripeForeignKey(IssuingCardholder, related_name="transactions")
    currency = StripeCurrencyCodeField()
    type = StripeEnumField(enum=("capture", "refund"))

    class Meta:
        db_table = "djstripe_issuing_transaction"


class IssuingDispute(StripeModel):
    """A dispute of an issued card's transaction.

    Stripe documentation: https://stripe.com/docs/api/issuing/disputes
    """

    stripe_class = stripe.issuing.Dispute
    stripe_dashboard_item_name = "issuing/disputes"

    transaction = StripeForeignKey(IssuingTransaction, related_name="disputes")
    currency = StripeCurrencyCodeField()
    status = StripeEnumField(
        enum=("expired", "lost", "submitted", "unsubmitted", "won"), db_index=True
    )

    class Meta:
        db_table = "djstripe_issuing_dispute"
