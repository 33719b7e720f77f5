import pytest
import stripe

from djstripe.testing import FakeStripe
from djstripe.testing.factories import (
    ChargeDataFactory,
    CustomerDataFactory,
    EventDataFactory,
    PriceDataFactory,
    ProductDataFactory,
)
from djstripe.testing.templates import fixtures


def test_fake_stripe_fixture_is_fresh_and_seeded(fake_stripe):
    assert isinstance(fake_stripe, FakeStripe)
    assert fake_stripe.seed == 0
    assert fake_stripe.events == []


def test_stripe_client_fixture_talks_to_the_fake(stripe_client, fake_stripe):
    assert isinstance(stripe_client, stripe.StripeClient)
    customer = stripe_client.v1.customers.create(params={"email": "p@example.com"})
    assert fake_stripe.get("customer", customer.id)["email"] == "p@example.com"


def test_fixture_installs_the_fake_into_djstripe(fake_stripe):
    stripe_api = pytest.importorskip("djstripe.stripe_api")
    if not hasattr(stripe_api, "use_http_client"):
        pytest.skip("djstripe.stripe_api has no use_http_client yet")
    created = stripe_api.create("/v1/customers", {"email": "d@example.com"}, api_key="sk_test_1")
    assert created["id"] == fake_stripe.all("customer")[0]["id"]


def test_factories_have_every_field_stripe_sends():
    for factory, name in [
        (CustomerDataFactory, "customer"),
        (ProductDataFactory, "product"),
        (PriceDataFactory, "price"),
        (ChargeDataFactory, "charge"),
        (EventDataFactory, "event"),
    ]:
        data = factory()
        assert set(fixtures()[name]) <= set(data)
        assert data["object"] == name


def test_factories_use_sequences_and_overrides():
    first, second = CustomerDataFactory(), CustomerDataFactory(email="j@example.com")
    assert first["id"] != second["id"] and first["id"].startswith("cus_")
    assert second["email"] == "j@example.com"
    price = PriceDataFactory(unit_amount=999)
    assert price["unit_amount_decimal"] == "999"
    assert price["product"].startswith("prod_")


def test_event_factory_wraps_an_object():
    customer = CustomerDataFactory(name="Ann")
    event = EventDataFactory(type="customer.updated", data__object=customer)
    assert event["type"] == "customer.updated"
    assert event["data"]["object"] is customer or event["data"]["object"] == customer
    assert EventDataFactory()["data"]["object"]["object"] == "customer"
