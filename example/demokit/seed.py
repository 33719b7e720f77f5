"""A realistic Stripe account, built through the fake's API and its helpers.

Everything goes through ``stripe-python`` (``v1``, a ``StripeClient``) the way
a shop's code would talk to Stripe, except what only a shopper, a bank or the
passing of time can do: those are the fake's helpers (completing a Checkout
page, opening a dispute, moving the clock).  A seeded ``random.Random`` makes
the account the same on every run.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from djstripe.testing import FakeStripe

DAY = 86_400
FIRST_NAMES = (
    "Ada Alan Barbara Claude Dennis Edsger Frances Grace Guido Hedy Ivan Jean "
    "John Ken Linus Margaret Niklaus Radia Shafi Sophie Tim Whitfield Yukihiro"
).split()
LAST_NAMES = (
    "Allen Backus Cerf Dijkstra Engelbart Floyd Goldberg Hamilton Hopper "
    "Kahan Knuth Lamport Liskov McCarthy Perlman Ritchie Sutherland Thompson"
).split()
GOOD_CARDS = ("pm_card_visa", "pm_card_mastercard", "pm_card_amex")
DECLINED_CARD = "pm_card_chargeCustomerFail"


@dataclass
class Account:
    """Ids of what the seed made, for the live activity that follows."""

    prices: dict[str, str] = field(default_factory=dict)
    coupons: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    actions: Counter = field(default_factory=Counter)


def seed(fake: FakeStripe, v1, customers: int = 220, seed: int = 0) -> Account:
    """Fill ``fake`` through ``v1`` (a ``StripeClient().v1``); returns the ids."""
    rng = random.Random(seed)
    account = Account()
    _catalogue(v1, account)
    _customers_and_subscriptions(fake, v1, account, rng, customers)
    _payments(fake, v1, account, rng)
    _checkout(fake, v1, account)
    # A month and a bit later: every monthly plan renews once, trials end,
    # declined cards leave their subscriptions past_due.
    fake.advance_subscriptions(to=fake.now + 35 * DAY)
    account.actions["month of renewals"] += 1
    _recent_trials(fake, v1, account, rng)
    return account


def _catalogue(v1, account: Account) -> None:
    for name, monthly in (("Starter", 900), ("Pro", 2900), ("Business", 9900)):
        product = v1.products.create({"name": name, "description": f"The {name} plan."})
        for interval, amount in (("month", monthly), ("year", monthly * 10)):
            price = v1.prices.create(
                {
                    "product": product.id,
                    "currency": "usd",
                    "unit_amount": amount,
                    "recurring": {"interval": interval},
                    "lookup_key": f"{name.lower()}_{interval}ly",
                    "nickname": f"{name} ({interval}ly)",
                }
            )
            account.prices[f"{name.lower()}_{interval}ly"] = price.id
    seats = v1.products.create({"name": "Extra seats"})
    tiered = v1.prices.create(
        {
            "product": seats.id,
            "currency": "usd",
            "recurring": {"interval": "month"},
            "billing_scheme": "tiered",
            "tiers_mode": "graduated",
            "tiers": [
                {"up_to": 10, "unit_amount": 500},
                {"up_to": "inf", "unit_amount": 300},
            ],
            "nickname": "Seats (graduated)",
        }
    )
    account.prices["seats_tiered"] = tiered.id
    for params in (
        {"id": "LAUNCH20", "percent_off": 20, "duration": "once", "name": "Launch"},
        {
            "id": "THREEMONTHS",
            "amount_off": 500,
            "currency": "usd",
            "duration": "repeating",
            "duration_in_months": 3,
            "name": "$5 off for 3 months",
        },
        {"id": "FRIENDS", "percent_off": 50, "duration": "forever", "name": "Friends"},
    ):
        account.coupons.append(v1.coupons.create(params).id)


def _customers_and_subscriptions(
    fake: FakeStripe, v1, account: Account, rng: random.Random, count: int
) -> None:
    plans = [key for key in account.prices if key != "seats_tiered"]
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        declines = rng.random() < 0.08
        card = DECLINED_CARD if declines else rng.choice(GOOD_CARDS)
        customer = v1.customers.create(
            {
                "name": f"{first} {last}",
                "email": f"{first}.{last}.{index}@example.com".lower(),
                "payment_method": card,
                "metadata": {"signup_index": str(index)},
            }
        )
        account.customers.append(customer.id)
        fake.advance(rng.randint(600, 4 * 3600))  # signups spread over ~3 weeks
        if index % 10 == 9:  # a few customers never subscribe
            continue
        params: dict = {
            "customer": customer.id,
            "items": [{"price": account.prices[rng.choice(plans)]}],
        }
        if declines or rng.random() < 0.15:
            params["trial_period_days"] = 14  # a declined card only fails later
        if rng.random() < 0.2:
            params["discounts"] = [{"coupon": rng.choice(account.coupons)}]
        if index % 25 == 0:
            params["items"].append({"price": account.prices["seats_tiered"]})
        sub = v1.subscriptions.create(params)
        account.subscriptions.append(sub.id)
        account.actions["subscriptions created"] += 1
        if rng.random() < 0.05:
            v1.subscriptions.cancel(sub.id)
            account.actions["subscriptions canceled"] += 1


def _recent_trials(fake: FakeStripe, v1, account: Account, rng: random.Random) -> None:
    for index in range(12):
        customer = v1.customers.create(
            {
                "name": f"Trial user {index}",
                "email": f"trial.{index}@example.com",
                "payment_method": rng.choice(GOOD_CARDS),
            }
        )
        account.customers.append(customer.id)
        sub = v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price": account.prices["pro_monthly"]}],
                "trial_period_days": 30,
            }
        )
        account.subscriptions.append(sub.id)
        account.actions["trials started"] += 1
        fake.advance(rng.randint(600, 3600))


def _payments(fake: FakeStripe, v1, account: Account, rng: random.Random) -> None:
    charges = []
    for customer in rng.sample(account.customers, 12):
        intent = v1.payment_intents.create(
            {
                "amount": rng.choice((1500, 2500, 4900, 12000)),
                "currency": "usd",
                "customer": customer,
                "payment_method": "pm_card_visa",
                "confirm": True,
                "description": "One-off purchase",
            }
        )
        charges.append(intent.latest_charge)
    v1.refunds.create({"charge": charges[0]})
    v1.refunds.create({"charge": charges[1], "amount": 500})
    fake.open_dispute(charges[2], reason="product_not_received")
    account.actions.update({"one-off payments": 12, "refunds": 2, "disputes opened": 1})


def _checkout(fake: FakeStripe, v1, account: Account) -> None:
    shirt = {
        "price_data": {
            "currency": "usd",
            "unit_amount": 2500,
            "product_data": {"name": "Conference T-shirt"},
        },
        "quantity": 2,
    }
    for index in range(5):
        session = v1.checkout.sessions.create(
            {
                "mode": "payment",
                "line_items": [shirt],
                "success_url": "https://shop.example.com/thanks",
                "customer_email": f"shopper{index}@example.com",
            }
        )
        if index < 3:
            fake.complete_checkout_session(session.id)
            account.actions["checkout sessions completed"] += 1
        else:
            fake.expire_checkout_session(session.id)
            account.actions["checkout sessions expired"] += 1
    session = v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "line_items": [{"price": account.prices["pro_monthly"], "quantity": 1}],
            "success_url": "https://shop.example.com/welcome",
            "customer_email": "new.team@example.com",
        }
    )
    fake.complete_checkout_session(session.id)
    account.actions["checkout sessions completed"] += 1


def live_activity(fake: FakeStripe, v1, account: Account, seed: int = 1) -> Counter:
    """A few days of a running business: what the webhooks will carry."""
    rng = random.Random(seed)
    done: Counter = Counter()
    live = [
        sub
        for sub in fake.all("subscription")
        if sub["status"] in ("active", "trialing")
    ]
    for sub in rng.sample(live, min(8, len(live))):
        item = fake.all("subscription_item", subscription=sub["id"])[0]
        v1.subscriptions.update(
            sub["id"],
            {
                "items": [
                    {"id": item["id"], "price": account.prices["business_monthly"]}
                ]
            },
        )
        done["upgrades"] += 1
    live = [s for s in fake.all("subscription") if s["status"] == "active"]
    for sub in rng.sample(live, min(4, len(live))):
        v1.subscriptions.cancel(sub["id"])
        done["cancellations"] += 1
    for sub in rng.sample(live, min(3, len(live))):
        if fake.get("subscription", sub["id"])["status"] == "active":
            v1.subscriptions.update(sub["id"], {"cancel_at_period_end": True})
            done["cancellations at period end"] += 1
    for sub in rng.sample(live, min(4, len(live))):
        if fake.get("subscription", sub["id"])["status"] != "active":
            continue
        card = v1.payment_methods.attach(DECLINED_CARD, {"customer": sub["customer"]})
        v1.customers.update(
            sub["customer"], {"invoice_settings": {"default_payment_method": card.id}}
        )
        done["cards replaced by a declining one"] += 1
    for index in range(3):
        customer = v1.customers.create(
            {
                "email": f"late.signup.{index}@example.com",
                "payment_method": "pm_card_visa",
            }
        )
        v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price": account.prices["pro_monthly"]}],
            }
        )
        done["new signups"] += 1
    # Three days pass: the subscriptions whose period ends in them renew
    # (those with a declining card fail and go past_due).
    invoices = fake.advance_subscriptions(to=fake.now + 3 * DAY)
    done["renewal invoices"] += len(invoices)
    done["failed renewals"] += sum(inv["status"] == "open" for inv in invoices)
    return done
