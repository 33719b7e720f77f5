import pytest
import stripe

from .conftest import call
from .test_behaviour import customer_with, types


@pytest.fixture
def plans(client):
    """Two monthly prices: ``basic`` grants "api"; ``pro`` grants "api" and "sso"."""
    features = {
        key: client.v1.entitlements.features.create(
            params={"name": key.upper(), "lookup_key": key}
        )
        for key in ("api", "sso")
    }
    prices = {}
    for name, keys in (("basic", ["api"]), ("pro", ["api", "sso"])):
        product = client.v1.products.create(
            params={
                "name": name,
                "default_price_data": {
                    "currency": "usd",
                    "unit_amount": 1000,
                    "recurring": {"interval": "month"},
                },
            }
        )
        for key in keys:
            client.v1.products.features.create(
                product.id, params={"entitlement_feature": features[key].id}
            )
        prices[name] = product.default_price
    return features, prices


def active(client, customer_id):
    listed = client.v1.entitlements.active_entitlements.list(
        params={"customer": customer_id}
    )
    return sorted(e.lookup_key for e in listed.data)


def test_entitlements_follow_the_customers_subscriptions(client, fake, plans):
    features, prices = plans
    customer, _ = customer_with(client)
    assert active(client, customer.id) == []

    basic = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["basic"]}]}
    )
    assert active(client, customer.id) == ["api"]
    summary = [
        e
        for e in fake.events
        if e["type"] == "entitlements.active_entitlement_summary.updated"
    ][-1]["data"]["object"]
    assert summary["customer"] == customer.id
    assert [e["lookup_key"] for e in summary["entitlements"]["data"]] == ["api"]

    # A second subscription granting "api" again: one entitlement per feature,
    # and the existing one keeps its id.
    (api,) = client.v1.entitlements.active_entitlements.list(
        params={"customer": customer.id}
    ).data
    pro = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["pro"]}]}
    )
    listed = client.v1.entitlements.active_entitlements.list(
        params={"customer": customer.id, "expand": ["data.feature"]}
    ).data
    assert sorted(e.lookup_key for e in listed) == ["api", "sso"]
    assert api.id in [e.id for e in listed]
    assert {e.feature.id for e in listed} == {f.id for f in features.values()}

    since = len(fake.events)
    client.v1.subscriptions.cancel(pro.id)
    assert active(client, customer.id) == ["api"]
    assert "entitlements.active_entitlement_summary.updated" in types(fake, since)
    sso = [e for e in listed if e.lookup_key == "sso"][0]
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.entitlements.active_entitlements.retrieve(sso.id)
    assert gone.value.http_status == 404
    assert client.v1.entitlements.active_entitlements.retrieve(api.id).feature == (
        features["api"].id
    )

    client.v1.subscriptions.cancel(basic.id)
    assert active(client, customer.id) == []


def test_entitlements_need_a_granting_status_and_an_active_feature(client, fake, plans):
    features, prices = plans
    customer, _ = customer_with(client, "pm_card_chargeCustomerFail")
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": prices["pro"]}]}
    )
    assert sub.status == "incomplete"
    assert active(client, customer.id) == []

    trialing, _ = customer_with(client)
    client.v1.subscriptions.create(
        params={
            "customer": trialing.id,
            "items": [{"price": prices["pro"]}],
            "trial_period_days": 7,
        }
    )
    assert active(client, trialing.id) == ["api", "sso"]
    client.v1.entitlements.features.update(features["sso"].id, params={"active": False})
    assert active(client, trialing.id) == ["api"]


def test_listing_active_entitlements_needs_a_customer(fake):
    status, body, _ = call(fake, "GET", "/v1/entitlements/active_entitlements")
    assert status == 400 and body["error"]["param"] == "customer"
