"""Collections Stripe lists only under a parent, and the search endpoints."""

import pytest
import stripe

from .conftest import call


@pytest.fixture
def customer(client):
    return client.v1.customers.create(params={"email": "jo@example.com"})


def _ids(page):
    return [obj.id for obj in page.data]


# -- /v1/customers/{id}/sources ------------------------------------------------


def test_sources_hold_cards_and_bank_accounts_and_filter_by_object(client, customer):
    sources = client.v1.customers.payment_sources
    card = sources.create(customer.id, params={"source": "tok_visa"})
    bank = sources.create(customer.id, params={"source": "btok_us_verified"})
    assert (card.object, card.last4, card.customer) == ("card", "4242", customer.id)
    assert (bank.object, bank.status) == ("bank_account", "verified")
    # The first source becomes the default one.
    assert client.v1.customers.retrieve(customer.id).default_source == card.id

    assert _ids(sources.list(customer.id)) == [bank.id, card.id]
    assert _ids(sources.list(customer.id, params={"object": "card"})) == [card.id]
    with pytest.raises(stripe.InvalidRequestError) as err:
        sources.list(customer.id, params={"object": "banana"})
    assert err.value.param == "object"


def test_source_retrieve_update_delete(client, customer, fake):
    sources = client.v1.customers.payment_sources
    first = sources.create(customer.id, params={"source": "tok_visa"})
    second = sources.create(customer.id, params={"source": "tok_mastercard"})
    updated = sources.update(customer.id, first.id, params={"name": "Jo Doe"})
    assert updated.name == "Jo Doe"
    assert sources.retrieve(customer.id, first.id).name == "Jo Doe"
    with pytest.raises(stripe.InvalidRequestError):
        sources.update(customer.id, first.id, params={"account_holder_type": "x"})

    deleted = sources.delete(customer.id, first.id)
    assert deleted.to_dict() == {"id": first.id, "object": "card", "deleted": True}
    assert client.v1.customers.retrieve(customer.id).default_source == second.id
    with pytest.raises(stripe.InvalidRequestError) as err:
        sources.retrieve(customer.id, first.id)
    assert err.value.http_status == 404
    types = [e["type"] for e in fake.events]
    assert types.count("customer.source.created") == 2
    assert "customer.source.updated" in types
    assert "customer.source.deleted" in types


def test_another_customers_source_is_not_found(client, customer):
    other = client.v1.customers.create()
    card = client.v1.customers.payment_sources.create(
        other.id, params={"source": "tok_visa"}
    )
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.payment_sources.retrieve(customer.id, card.id)
    assert err.value.http_status == 404


def test_sources_paginate_past_one_page(client, customer):
    sources = client.v1.customers.payment_sources
    made = [
        sources.create(customer.id, params={"source": "tok_visa"}).id for _ in range(12)
    ]
    seen = [
        s.id for s in sources.list(customer.id, params={"limit": 5}).auto_paging_iter()
    ]
    assert seen == list(reversed(made))


def test_declined_token_makes_no_source(client, customer):
    with pytest.raises(stripe.CardError):
        client.v1.customers.payment_sources.create(
            customer.id, params={"source": "tok_chargeDeclined"}
        )
    assert client.v1.customers.payment_sources.list(customer.id).data == []


def test_bank_account_verification_needs_the_microdeposit_amounts(
    client, customer, fake
):
    bank = client.v1.customers.payment_sources.create(
        customer.id, params={"source": "btok_us"}
    )
    assert bank.status == "new"
    path = f"/v1/customers/{customer.id}/sources/{bank.id}/verify"
    status, body, _ = call(fake, "POST", path, "amounts[]=1&amounts[]=2")
    assert status == 402
    assert body["error"]["code"] == "bank_account_verification_failed"
    status, body, _ = call(fake, "POST", path, "amounts[]=32&amounts[]=45")
    assert (status, body["status"]) == (200, "verified")


def test_connected_account_external_accounts(client, fake):
    account = client.v1.accounts.create(params={"type": "custom", "country": "US"})
    external = client.v1.accounts.external_accounts
    bank = external.create(account.id, params={"external_account": "btok_us"})
    card = external.create(account.id, params={"external_account": "tok_visa"})
    assert (bank.object, bank.account) == ("bank_account", account.id)
    assert _ids(external.list(account.id)) == [card.id, bank.id]
    assert _ids(external.list(account.id, params={"object": "card"})) == [card.id]
    updated = external.update(account.id, bank.id, params={"metadata": {"k": "v"}})
    assert updated.metadata.to_dict() == {"k": "v"}
    assert external.delete(account.id, card.id).deleted is True
    assert _ids(external.list(account.id)) == [bank.id]
    other = client.v1.accounts.create(params={"type": "custom", "country": "US"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        external.retrieve(other.id, bank.id)
    assert err.value.http_status == 404
    assert [e["type"] for e in fake.events if "external_account" in e["type"]] == [
        "account.external_account.created",
        "account.external_account.created",
        "account.external_account.updated",
        "account.external_account.deleted",
    ]


# -- /v1/customers/{id}/payment_methods ----------------------------------------


def test_customer_payment_methods_list_and_retrieve(client, customer):
    pm = client.v1.payment_methods.attach(
        "pm_card_visa", params={"customer": customer.id}
    )
    other = client.v1.customers.create()
    client.v1.payment_methods.attach("pm_card_visa", params={"customer": other.id})
    listed = client.v1.customers.payment_methods.list(customer.id)
    assert _ids(listed) == [pm.id]
    assert listed.url == f"/v1/customers/{customer.id}/payment_methods"
    assert (
        client.v1.customers.payment_methods.list(
            customer.id, params={"type": "sepa_debit"}
        ).data
        == []
    )
    assert client.v1.customers.payment_methods.retrieve(customer.id, pm.id).id == pm.id
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.payment_methods.retrieve(other.id, pm.id)
    assert err.value.http_status == 404


# -- /v1/customers/{id}/tax_ids and balance_transactions -----------------------


def test_customer_tax_ids_every_verb(client, customer):
    tax_ids = client.v1.customers.tax_ids
    made = tax_ids.create(
        customer.id, params={"type": "eu_vat", "value": "DE123456789"}
    )
    assert made.customer == customer.id
    assert _ids(tax_ids.list(customer.id)) == [made.id]
    assert tax_ids.retrieve(customer.id, made.id).value == "DE123456789"
    assert tax_ids.delete(customer.id, made.id).deleted is True
    assert tax_ids.list(customer.id).data == []


def test_customer_balance_transactions_move_the_balance(client, customer, fake):
    txns = client.v1.customers.balance_transactions
    credit = txns.create(customer.id, params={"amount": -500, "currency": "usd"})
    debit = txns.create(customer.id, params={"amount": 200, "currency": "usd"})
    assert (credit.type, credit.ending_balance) == ("adjustment", -500)
    assert debit.ending_balance == -300
    refreshed = client.v1.customers.retrieve(customer.id)
    assert (refreshed.balance, refreshed.currency) == (-300, "usd")
    assert _ids(txns.list(customer.id)) == [debit.id, credit.id]
    updated = txns.update(customer.id, credit.id, params={"description": "goodwill"})
    assert txns.retrieve(customer.id, credit.id).description == "goodwill"
    assert updated.amount == -500
    with pytest.raises(stripe.InvalidRequestError):
        txns.create(customer.id, params={"amount": 1, "currency": "eur"})


# -- Connect: transfer reversals and application fee refunds -------------------


def test_transfer_reversals(client):
    account = client.v1.accounts.create(params={"type": "express"})
    transfer = client.v1.transfers.create(
        params={"amount": 1000, "currency": "usd", "destination": account.id}
    )
    reversals = client.v1.transfers.reversals
    part = reversals.create(transfer.id, params={"amount": 300})
    rest = reversals.create(transfer.id)
    assert (part.amount, rest.amount) == (300, 700)
    refreshed = client.v1.transfers.retrieve(transfer.id)
    assert (refreshed.amount_reversed, refreshed.reversed) == (1000, True)
    assert [r.id for r in refreshed.reversals.data] == [rest.id, part.id]
    assert _ids(reversals.list(transfer.id)) == [rest.id, part.id]
    assert reversals.retrieve(transfer.id, part.id).amount == 300
    with pytest.raises(stripe.InvalidRequestError) as err:
        reversals.create(transfer.id, params={"amount": 1})
    assert err.value.param == "amount"


def test_application_fee_refunds(client, fake):
    fee = fake.add("application_fee", amount=100, currency="usd")
    refunds = client.v1.application_fees.refunds
    refund = refunds.create(fee["id"], params={"amount": 40})
    assert refund.fee == fee["id"]
    refreshed = client.v1.application_fees.retrieve(fee["id"])
    assert (refreshed.amount_refunded, refreshed.refunded) == (40, False)
    assert [r.id for r in refreshed.refunds.data] == [refund.id]
    refunds.update(fee["id"], refund.id, params={"metadata": {"k": "v"}})
    assert refunds.retrieve(fee["id"], refund.id).metadata.to_dict() == {"k": "v"}
    types = [e["type"] for e in fake.events]
    assert "application_fee.refunded" in types
    assert "application_fee.refund.updated" in types


# -- Radar --------------------------------------------------------------------


def _charge(client, customer):
    intent = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    return intent, intent.latest_charge


def test_reviews_list_and_approve(client, customer, fake):
    _, charge = _charge(client, customer)
    review = fake.open_review(charge)
    assert _ids(client.v1.reviews.list()) == [review["id"]]
    approved = client.v1.reviews.approve(review["id"])
    assert (approved.open, approved.closed_reason) == (False, "approved")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.reviews.approve(review["id"])
    assert [e["type"] for e in fake.events][-2:] == ["review.opened", "review.closed"]


def test_early_fraud_warnings_filter_by_charge_and_intent(client, customer, fake):
    intent, charge = _charge(client, customer)
    _, other_charge = _charge(client, customer)
    warning = fake.add("radar.early_fraud_warning", charge=charge)
    fake.add("radar.early_fraud_warning", charge=other_charge)
    efw = client.v1.radar.early_fraud_warnings
    assert len(efw.list().data) == 2
    assert _ids(efw.list(params={"charge": charge})) == [warning["id"]]
    assert _ids(efw.list(params={"payment_intent": intent.id})) == [warning["id"]]


# -- search ---------------------------------------------------------------------


@pytest.fixture
def people(client, fake):
    made = []
    for email, plan in [
        ("ann@example.com", "gold"),
        ("bob@example.com", "silver"),
        ("cy@other.org", "gold"),
    ]:
        made.append(
            client.v1.customers.create(
                params={"email": email, "metadata": {"plan": plan}}
            )
        )
        fake.advance(1)
    return made


def _search(client, query, **params):
    return client.v1.customers.search(params={"query": query, **params})


def test_search_exact_substring_metadata_and_negation(client, people):
    ann, bob, cy = people
    assert _ids(_search(client, "email:'ANN@example.com'")) == [ann.id]
    assert _ids(_search(client, "email~'example'")) == [bob.id, ann.id]
    assert _ids(_search(client, "metadata['plan']:'gold'")) == [cy.id, ann.id]
    assert _ids(_search(client, "metadata['plan']:'gold' AND -email~'other'")) == [
        ann.id
    ]
    assert _ids(_search(client, 'email:"bob@example.com" OR email:"cy@other.org"')) == [
        cy.id,
        bob.id,
    ]
    assert _ids(_search(client, f"created>{ann.created}")) == [cy.id, bob.id]


def test_search_result_shape_and_pages(client, people):
    first = _search(client, "created>0", limit=2, expand=["total_count"])
    body = first.to_dict()
    assert body["object"] == "search_result"
    assert body["url"] == "/v1/customers/search"
    assert (body["has_more"], body["total_count"]) == (True, 3)
    second = _search(client, "created>0", limit=2, page=first.next_page)
    assert second.has_more is False and second.next_page is None
    assert _ids(first) + _ids(second) == [c.id for c in reversed(people)]
    assert [c.id for c in first.auto_paging_iter()] == [c.id for c in reversed(people)]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "nickname:'x'",
        "email:'a' AND name:'b' OR phone:'c'",
        "email~'ab'",
        "email:unquoted",
        "created>'yesterday'",
        " AND ".join(["email:'a'"] * 11),
    ],
)
def test_search_rejects_what_stripe_rejects(fake, query):
    from urllib.parse import urlencode

    status, body, _ = call(
        fake, "GET", "/v1/customers/search?" + urlencode({"query": query})
    )
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["param"] == "query"


def test_search_needs_a_query(fake):
    status, body, _ = call(fake, "GET", "/v1/customers/search")
    assert status == 400
    assert (body["error"]["code"], body["error"]["param"]) == (
        "parameter_missing",
        "query",
    )


def test_every_documented_search_endpoint_answers(client, customer):
    intent, charge = _charge(client, customer)
    product = client.v1.products.create(
        params={
            "name": "Pro",
            "default_price_data": {
                "currency": "usd",
                "unit_amount": 100,
                "recurring": {"interval": "month"},
            },
        }
    )
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": product.default_price}]}
    )
    found = {
        "charges": client.v1.charges.search(params={"query": "amount:2000"}),
        "payment_intents": client.v1.payment_intents.search(
            params={"query": f"customer:'{customer.id}'"}
        ),
        "prices": client.v1.prices.search(params={"query": f"product:'{product.id}'"}),
        "products": client.v1.products.search(params={"query": "name:'Pro'"}),
        "subscriptions": client.v1.subscriptions.search(
            params={"query": f"status:'{sub.status}'"}
        ),
        "invoices": client.v1.invoices.search(
            params={"query": f"subscription:'{sub.id}'"}
        ),
    }
    assert _ids(found["charges"]) == [charge]
    assert _ids(found["payment_intents"]) == [intent.id]
    assert _ids(found["prices"]) == [product.default_price]
    assert _ids(found["products"]) == [product.id]
    assert _ids(found["subscriptions"]) == [sub.id]
    assert _ids(found["invoices"]) == [sub.latest_invoice]


# -- subscription items and invoice lines past the embedded page ---------------


def test_subscription_items_and_invoice_lines_list_past_ten(client, customer):
    prices = [
        client.v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 100 + i,
                "recurring": {"interval": "month"},
                "product_data": {"name": f"P{i}"},
            }
        )
        for i in range(12)
    ]
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": p.id} for p in prices]}
    )
    assert sub["items"].has_more is True
    items = client.v1.subscription_items.list(
        params={"subscription": sub.id, "limit": 5}
    )
    assert len(list(items.auto_paging_iter())) == 12
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.lines.has_more is True
    lines = client.v1.invoices.line_items.list(invoice.id, params={"limit": 5})
    assert len(list(lines.auto_paging_iter())) == 12
