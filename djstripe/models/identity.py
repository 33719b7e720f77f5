"""Stripe Identity: verifications of who a user is."""

from __future__ import annotations

import stripe

from ..fields import StripeEnumField, StripeForeignKey
from .base import StripeModel


class VerificationSession(StripeModel):
    """A VerificationSession guides you through the process of collecting and
    verifying the identities of your users.

    Its ``url`` and ``client_secret`` let anyone complete the verification, so
    they are not offered as properties (as in dj-stripe).

    Stripe documentation: https://stripe.com/docs/api/identity/verification_sessions
    """

    stripe_class = stripe.identity.VerificationSession
    stripe_dashboard_item_name = "identity/verification-sessions"
    stripe_unmapped_fields = ("url", "client_secret")

    last_verification_report = StripeForeignKey(
        "djstripe.VerificationReport",
        related_name="+",
        help_text="The most recent report of this session.",
    )
    status = StripeEnumField(
        enum=("requires_input", "processing", "verified", "canceled"),
        db_index=True,
    )
    type = StripeEnumField(enum=("document", "id_number", "verification_flow"))

    url = None
    client_secret = None


class VerificationReport(StripeModel):
    """The result of an attempt to collect and verify data from a user.

    Stripe documentation: https://stripe.com/docs/api/identity/verification_reports
    """

    stripe_class = stripe.identity.VerificationReport

    verification_session = StripeForeignKey(
        VerificationSession, related_name="verification_reports"
    )
    type = StripeEnumField(enum=("document", "id_number", "verification_flow"))
