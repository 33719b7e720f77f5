"""Stripe Checkout: hosted payment pages."""

from __future__ import annotations

from typing import Any

import stripe

from ..fields import StripeForeignKey
from ..properties import StripeProperty
from .base import StripeModel


class Session(StripeModel):
    """A Checkout Session represents your customer's session as they pay for
    one-time purchases or subscriptions through Checkout.

    Stripe documentation: https://stripe.com/docs/api/checkout/sessions?lang=python
    """

    stripe_class = stripe.checkout.Session
    expand_fields = ["line_items"]

    customer = StripeForeignKey("djstripe.Customer", related_name="checkout_sessions")
    payment_intent = StripeForeignKey(
        "djstripe.PaymentIntent", related_name="checkout_sessions"
    )
    setup_intent = StripeForeignKey(
        "djstripe.SetupIntent", related_name="checkout_sessions"
    )
    subscription = StripeForeignKey(
        "djstripe.Subscription", related_name="checkout_sessions"
    )

    amount_subtotal = StripeProperty(
        "Total of all items before discounts and taxes are applied."
    )
    amount_total = StripeProperty(
        "Total of all items after discounts and taxes are applied."
    )
    billing_address_collection = StripeProperty(
        "The value (auto or required) for whether Checkout collected the customer's billing address."
    )
    cancel_url = StripeProperty(
        "The URL the customer will be directed to if they decide to cancel payment and return to your website."
    )
    client_reference_id = StripeProperty(
        "A unique string to reference the Checkout Session."
    )
    currency = StripeProperty(
        "Three-letter ISO currency code, in lowercase. Must be a supported currency."
    )
    customer_email = StripeProperty(
        "If provided, this value will be used when the Customer object is created."
    )
    display_items = StripeProperty(
        "The line items, plans, or SKUs purchased by the customer."
    )
    line_items = StripeProperty("The line items purchased by the customer.")
    locale = StripeProperty(
        "The IETF language tag of the locale Checkout is displayed in."
    )
    mode = StripeProperty(
        "The mode of the Checkout Session, one of payment, setup, or subscription."
    )
    payment_method_types = StripeProperty(
        "The list of payment method types (e.g. card) that this Checkout Session is allowed to accept."
    )
    payment_status = StripeProperty(
        "The payment status of the Checkout Session, one of paid, unpaid, or no_payment_required."
    )
    shipping_address_collection = StripeProperty(
        "When set, provides configuration for Checkout to collect a shipping address from a customer."
    )
    shipping_cost = StripeProperty(
        "The details of the customer cost of shipping, including the customer chosen ShippingRate."
    )

    @property
    def shipping_details(self) -> dict[str, Any] | None:
        """Shipping information for this Checkout Session."""
        data = self.stripe_data or {}
        collected = data.get("collected_information") or {}
        return data.get("shipping_details") or collected.get("shipping_details")

    shipping_options = StripeProperty(
        "The shipping rate options applied to this Session."
    )
    status = StripeProperty(
        "The status of the Checkout Session, one of open, complete, or expired."
    )
    submit_type = StripeProperty(
        "Describes the type of transaction being performed by Checkout."
    )
    success_url = StripeProperty(
        "The URL the customer will be directed to after successful payment or subscription creation."
    )
    total_details = StripeProperty(
        "Tax and discount details for the computed total amount."
    )
    url = StripeProperty(
        "The URL to the Checkout Session. Redirect customers to this URL to take them to Checkout."
    )
