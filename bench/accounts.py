"""Fake Stripe accounts of a given size, for the benchmarks.

Bulk objects are inserted straight into the fake's store (no events, no HTTP)
so that building a 100k-object account takes seconds; objects whose shape
comes from behaviour (subscriptions with items, invoices with lines) are made
through the fake's API, as a shop would.
"""

from __future__ import annotations

from djstripe.testing import FakeStripe


def customers(fake: FakeStripe, n: int) -> None:
    for i in range(n):
        fake.insert(
            "customer",
            {"email": f"customer{i}@example.com", "name": f"Customer {i}"},
            event=False,
        )
        if i % 50 == 0:
            fake.advance(1)


def prices(fake: FakeStripe, n: int) -> None:
    product = None
    for i in range(n):
        if i % 10 == 0:
            product = fake.insert(
                "product", {"name": f"Product {i // 10}"}, event=False
            )
        fake.insert(
            "price",
            {
                "product": product["id"],
                "currency": "usd",
                "unit_amount": 500 + i,
                "recurring": {"interval": "month", "interval_count": 1},
                "type": "recurring",
            },
            event=False,
        )


def charges(fake: FakeStripe, n: int) -> None:
    for i in range(n):
        amount = 1000 + i
        txn = fake.insert(
            "balance_transaction",
            {
                "amount": amount,
                "currency": "usd",
                "fee": 59,
                "net": amount - 59,
                "type": "charge",
            },
            event=False,
        )
        charge = fake.insert(
            "charge",
            {
                "amount": amount,
                "currency": "usd",
                "status": "succeeded",
                "paid": True,
                "captured": True,
                "balance_transaction": txn["id"],
            },
            event=False,
        )
        txn["source"] = charge["id"]


def subscriptions(fake: FakeStripe, n: int) -> None:
    """``n`` paying subscriptions (each with its item, first invoice with its
    line, payment intent and charge), made through the fake's API."""
    v1 = fake.client().v1
    product = v1.products.create({"name": "Plan"})
    price = v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
        }
    )
    for i in range(n):
        customer = v1.customers.create(
            {"email": f"subscriber{i}@example.com", "payment_method": "pm_card_visa"}
        )
        v1.subscriptions.create(
            {"customer": customer.id, "items": [{"price": price.id}]}
        )
