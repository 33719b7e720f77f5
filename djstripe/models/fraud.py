"""Radar: manual reviews and early fraud warnings from card issuers."""

from __future__ import annotations

import stripe

from ..fields import StripeBooleanField, StripeEnumField, StripeForeignKey
from ..properties import StripeProperty
from .base import StripeModel


class Review(StripeModel):
    """A payment held for manual review by a Radar rule.

    Stripe documentation: https://stripe.com/docs/api/radar/reviews?lang=python
    """

    stripe_class = stripe.Review
    stripe_dashboard_item_name = "radar/reviews"

    charge = StripeForeignKey("djstripe.Charge", related_name="reviews")
    payment_intent = StripeForeignKey("djstripe.PaymentIntent", related_name="reviews")
    open = StripeBooleanField(
        db_index=True, help_text="Whether the review is still open."
    )
    reason = StripeEnumField(help_text="rule, manual, approved, refunded...")

    closed_reason = StripeProperty("Why the review was closed, once closed.")
    opened_reason = StripeProperty("rule or manual.")


class EarlyFraudWarning(StripeModel):
    """An issuer's warning that a charge is likely fraudulent.

    Stripe documentation: https://stripe.com/docs/api/radar/early_fraud_warnings?lang=python
    """

    stripe_class = stripe.radar.EarlyFraudWarning

    charge = StripeForeignKey("djstripe.Charge", related_name="early_fraud_warnings")
    payment_intent = StripeForeignKey(
        "djstripe.PaymentIntent", related_name="early_fraud_warnings"
    )
    actionable = StripeBooleanField(
        help_text="Whether refunding can still prevent a dispute."
    )
    fraud_type = StripeEnumField(
        help_text="card_never_received, fraudulent_card_application..."
    )
