"""An account whose objects Stripe lists only under their parents.

:func:`populate` builds it through any ``stripe.StripeClient`` (the fake's,
or one pointed at localstripe) and returns the ids of what it made, by
model, so a back-fill can be checked for every one of them.
"""

from __future__ import annotations

from collections import defaultdict

import stripe

VISA = "4242424242424242"
MASTERCARD = "5555555555554444"
CARDS = (VISA, MASTERCARD, "4000056655665556")
#: Stripe's test-mode tokens for the first two cards (the fake knows them).
TEST_TOKENS = {VISA: "tok_visa", MASTERCARD: "tok_mastercard"}


def _card(number: str) -> dict:
    return {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}


def populate(
    client: stripe.StripeClient,
    *,
    customers: int = 2,
    items: int = 12,
    lines: int = 12,
    plans: bool = False,
    make_tokens: bool = False,
) -> dict[str, set[str]]:
    """Customers with three payment methods, two card sources and two tax
    ids each; for the first, one subscription of ``items`` items (its first
    invoice has as many lines) and an invoice of ``lines`` invoice items.
    ``plans``: make recurring prices as plans (localstripe
    predates prices); ``make_tokens``: tokenize the source cards with ``POST
    /v1/tokens`` instead of using Stripe's test tokens."""
    v1 = client.v1
    made: dict[str, set[str]] = defaultdict(set)
    product = v1.products.create({"name": "Seats"})
    prices = [_monthly(v1, product.id, 100 + i, plans) for i in range(items)]
    for n in range(customers):
        customer = v1.customers.create({"email": f"c{n}@example.com"})
        made["Customer"].add(customer.id)
        for number in CARDS:
            pm = v1.payment_methods.create({"type": "card", "card": _card(number)})
            v1.payment_methods.attach(pm.id, {"customer": customer.id})
            made["PaymentMethod"].add(pm.id)
        for number in CARDS[:2]:
            if make_tokens:
                token = v1.tokens.create({"card": _card(number)}).id
            else:
                token = TEST_TOKENS[number]
            card = v1.customers.payment_sources.create(customer.id, {"source": token})
            made["Card"].add(card.id)
        for value in ("DE123456789", "FR12345678901"):
            kind = "eu_vat"
            tax_id = v1.customers.tax_ids.create(
                customer.id, {"type": kind, "value": value}
            )
            made["TaxId"].add(tax_id.id)
        if n == 0:
            v1.customers.update(
                customer.id,
                {"invoice_settings": {"default_payment_method": pm.id}},
            )
            key = "plan" if plans else "price"
            sub = v1.subscriptions.create(
                {"customer": customer.id, "items": [{key: p} for p in prices]}
            )
            made["Subscription"].add(sub.id)
            listed = sub["items"]
            if listed.has_more:  # localstripe cannot list them, nor make > 1
                params = {"subscription": sub.id, "limit": 100}
                listed = v1.subscription_items.list(params)
            made["SubscriptionItem"] |= {item.id for item in listed.data}
            invoice = sub.latest_invoice
            invoice_id = invoice if isinstance(invoice, str) else invoice.id
            made["Invoice"].add(invoice_id)
            made["LineItem"] |= _line_ids(v1, invoice_id)
            if lines:
                made["Invoice"].add(invoice_id := _invoice(v1, customer.id, lines))
                made["LineItem"] |= _line_ids(v1, invoice_id)
    return dict(made)


def _invoice(v1, customer: str, lines: int) -> str:
    for i in range(lines):
        params = {"customer": customer, "amount": 100 + i, "currency": "usd"}
        v1.invoice_items.create(params)
    behavior = {"pending_invoice_items_behavior": "include"}
    return v1.invoices.create({"customer": customer, **behavior}).id


def _line_ids(v1, invoice: str) -> set[str]:
    return {line.id for line in v1.invoices.line_items.list(invoice, {"limit": 100})}


def _monthly(v1, product: str, amount: int, plans: bool) -> str:
    if plans:
        params = {"product": product, "amount": amount, "interval": "month"}
        return v1.plans.create({**params, "currency": "usd"}).id
    recurring = {"interval": "month"}
    params = {"product": product, "unit_amount": amount, "recurring": recurring}
    return v1.prices.create({**params, "currency": "usd"}).id
