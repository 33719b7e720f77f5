"""Connect: ``Stripe-Account`` partitions the fake by connected account."""

import json

import pytest
import stripe

from .conftest import call

DAY = 86_400


@pytest.fixture
def acct(client):
    return client.v1.accounts.create(params={"type": "express"}).id


def on(account):
    return {"stripe_account": account}


def test_objects_are_seen_only_by_the_account_they_were_made_for(client, acct):
    platform = client.v1.customers.create(params={"email": "p@example.com"})
    connected = client.v1.customers.create(
        params={"email": "c@example.com"}, options=on(acct)
    )

    assert [c.id for c in client.v1.customers.list().data] == [platform.id]
    listed = client.v1.customers.list(options=on(acct)).data
    assert [c.id for c in listed] == [connected.id]
    assert client.v1.customers.retrieve(connected.id, options=on(acct)).id == (
        connected.id
    )
    for account, other in ((None, connected.id), (acct, platform.id)):
        with pytest.raises(stripe.InvalidRequestError) as gone:
            client.v1.customers.retrieve(other, options=on(account))
        assert gone.value.http_status == 404
    # nor can an account use another's objects in its requests
    price = client.v1.prices.create(
        params={
            "product_data": {"name": "Platform plan"},
            "currency": "usd",
            "unit_amount": 500,
            "recurring": {"interval": "month"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as foreign:
        client.v1.subscriptions.create(
            params={"customer": connected.id, "items": [{"price": price.id}]},
            options=on(acct),
        )
    assert foreign.value.param == "items[0][price]"


def test_connected_account_billing_stays_in_its_account(client, fake, acct):
    opts = on(acct)
    customer = client.v1.customers.create(
        params={"payment_method": "pm_card_visa"}, options=opts
    )
    price = client.v1.prices.create(
        params={
            "product_data": {"name": "Plan"},
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
        },
        options=opts,
    )
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "expand": ["latest_invoice"],
        },
        options=opts,
    )
    assert sub.status == "active" and sub.latest_invoice.status == "paid"
    renewals = fake.advance_subscriptions(to=fake.now + 32 * DAY)
    assert len(renewals) == 1
    invoices = client.v1.invoices.list(options=opts).data
    assert len(invoices) == 2
    assert client.v1.invoices.list().data == []
    assert client.v1.charges.list().data == []
    assert len(client.v1.charges.list(options=opts).data) == 2

    events = client.v1.events.list(params={"limit": 100}, options=opts).data
    assert events and all(e.account == acct for e in events)
    assert all(
        getattr(e, "account", None) is None for e in client.v1.events.list().data
    )
    assert client.v1.accounts.retrieve_current(options=opts).id == acct


def test_unknown_account_header_is_refused(fake):
    status, body, _ = call(fake, "GET", "/v1/customers", **{"Stripe-Account": "acct_x"})
    assert status == 403 and body["error"]["code"] == "account_invalid"


def test_idempotency_keys_are_per_account(fake, client, acct):
    first = call(
        fake, "POST", "/v1/customers", "email=a%40b.c", **{"Idempotency-Key": "k"}
    )
    second = call(
        fake,
        "POST",
        "/v1/customers",
        "email=a%40b.c",
        **{"Idempotency-Key": "k", "Stripe-Account": acct},
    )
    assert first[1]["id"] != second[1]["id"]
    assert "Idempotent-Replayed" not in second[2]


def test_connect_endpoints_get_connected_accounts_events(fake, client, acct):
    delivered = []

    def transport(url, body, headers):
        delivered.append((url, json.loads(body).get("account")))
        return 200

    fake.webhook_transport = transport
    for url, connect in (
        ("http://127.0.0.1:9/platform", False),
        ("http://127.0.0.1:9/connect", True),
    ):
        client.v1.webhook_endpoints.create(
            params={
                "url": url,
                "enabled_events": ["customer.created"],
                "connect": connect,
            }
        )
    client.v1.customers.create(params={"email": "p@example.com"})
    client.v1.customers.create(params={"email": "c@example.com"}, options=on(acct))
    fake.deliver_webhooks()
    assert sorted(delivered, key=str) == [
        ("http://127.0.0.1:9/connect", acct),
        ("http://127.0.0.1:9/platform", None),
    ]
