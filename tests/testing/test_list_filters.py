"""Documented list filters the fake applies, and the ones it refuses."""

import pytest
import stripe

from .conftest import call


def _ids(page):
    return [obj.id for obj in page.data]


def _price(client, interval=None, **extra):
    params = {"currency": "usd", "unit_amount": 100, "product_data": {"name": "P"}}
    if interval:
        params["recurring"] = {"interval": interval}
    return client.v1.prices.create(params={**params, **extra})


def test_products_ids(client):
    made = [client.v1.products.create(params={"name": f"P{i}"}).id for i in range(3)]
    listed = client.v1.products.list(params={"ids": [made[0], made[2]]})
    assert sorted(_ids(listed)) == sorted([made[0], made[2]])


def test_prices_recurring_sub_fields(client):
    monthly, yearly, once = (
        _price(client, "month"),
        _price(client, "year"),
        _price(client),
    )
    assert _ids(client.v1.prices.list(params={"recurring": {"interval": "year"}})) == [
        yearly.id
    ]
    assert _ids(client.v1.prices.list(params={"type": "one_time"})) == [once.id]
    assert monthly.id in _ids(client.v1.prices.list())


def test_invoices_due_date_range(client, fake):
    customer = client.v1.customers.create()
    early = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "due_date": fake.now + 86_400,
        }
    )
    late = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "due_date": fake.now + 30 * 86_400,
        }
    )
    cutoff = fake.now + 10 * 86_400
    due_soon = client.v1.invoices.list(params={"due_date": {"lt": cutoff}})
    due_later = client.v1.invoices.list(params={"due_date": {"gte": cutoff}})
    assert (_ids(due_soon), _ids(due_later)) == ([early.id], [late.id])


def test_subscriptions_current_period_end_reads_the_items(client, fake):
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    card = client.v1.customers.payment_methods.list(customer.id).data[0].id
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": card}}
    )
    monthly, yearly = _price(client, "month"), _price(client, "year")
    subs = {
        p.id: client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": p.id}]}
        ).id
        for p in (monthly, yearly)
    }
    in_two_months = fake.now + 60 * 86_400
    ending_soon = client.v1.subscriptions.list(
        params={"current_period_end": {"lt": in_two_months}, "status": "all"}
    )
    assert _ids(ending_soon) == [subs[monthly.id]]
    by_plan = client.v1.subscriptions.list(params={"plan": yearly.id, "status": "all"})
    assert _ids(by_plan) == [subs[yearly.id]]


def test_a_filter_the_fake_does_not_model_is_refused_not_ignored(fake):
    status, body, _ = call(fake, "GET", "/v1/events?delivery_success=true")
    assert status == 400
    assert body["error"]["param"] == "delivery_success"
    assert "does not model" in body["error"]["message"]


def test_a_malformed_range_is_a_400(client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.invoices.list(params={"due_date": {"after": 1}})
    assert err.value.param == "due_date[after]"
