"""A small, realistic Stripe account for demos and smoke tests.

``populate(fake)`` drives the fake through its public API the way a shop
would: a catalogue, customers with cards, paid and failing subscriptions, a
one-off Checkout payment, a refund, a dispute and a payout, then a month of
renewals.  Every object and event is deterministic for the fake's seed.
"""

from __future__ import annotations

from .fake import FakeStripe

DAY = 86_400


def populate(fake: FakeStripe) -> dict[str, list[str]]:
    """Fill ``fake`` with sample data; returns the ids created, by kind."""
    v1 = fake.client().v1
    made: dict[str, list[str]] = {"customer": [], "subscription": [], "price": []}
    for name, amount in (("Basic", 900), ("Pro", 2900)):
        product = v1.products.create(
            {
                "name": name,
                "default_price_data": {
                    "currency": "usd",
                    "unit_amount": amount,
                    "recurring": {"interval": "month"},
                },
            }
        )
        made["price"].append(product.default_price)
    cards = ["pm_card_visa", "pm_card_mastercard", "pm_card_chargeCustomerFail"]
    for index, card in enumerate(cards):
        customer = v1.customers.create(
            {
                "email": f"customer{index}@example.com",
                "name": f"Customer {index}",
                "payment_method": card,
            }
        )
        made["customer"].append(customer.id)
        price = made["price"][index % 2]
        trial = {"trial_period_days": 7} if card.endswith("CustomerFail") else {}
        sub = v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price": price}], **trial}
        )
        made["subscription"].append(sub.id)
        fake.advance(3600)
    charge = v1.charges.create(
        {"amount": 5000, "currency": "usd", "source": "tok_visa"}
    )
    v1.refunds.create({"charge": charge.id, "amount": 1000})
    disputed = v1.charges.create(
        {"amount": 2500, "currency": "usd", "source": "tok_visa"}
    )
    fake.open_dispute(disputed.id)
    session = v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1500,
                        "product_data": {"name": "T-shirt"},
                    },
                    "quantity": 2,
                }
            ],
            "success_url": "https://example.com/thanks",
            "customer_email": "shopper@example.com",
        }
    )
    fake.complete_checkout_session(session.id)
    v1.payouts.create({"amount": 3000, "currency": "usd"})
    fake.advance_subscriptions(to=fake.now + 32 * DAY)
    return made
