"""Factories of mirrored rows: written through the engine, like real data."""

import pytest

from djstripe.models import Customer, Event, Price, Product, Subscription
from djstripe.testing import factories

pytestmark = pytest.mark.django_db


def test_create_mirrors_the_stripe_object_through_the_engine():
    customer = factories.CustomerFactory(email="jenny@example.com", balance=-500)
    assert Customer.objects.get(id=customer.id).email == "jenny@example.com"
    assert customer.credits == 500
    assert customer.djstripe_observed_at is not None  # the engine wrote it


def test_relations_resolve_between_factory_rows():
    product = factories.ProductFactory(name="Gold")
    price = factories.PriceFactory(product=product.id, unit_amount=2500, currency="usd")
    assert Price.objects.get(id=price.id).product == Product.objects.get(id=product.id)


def test_build_returns_an_unsaved_instance():
    customer = factories.CustomerFactory.build(email="draft@example.com")
    assert customer.pk is None and customer.email == "draft@example.com"
    assert not Customer.objects.exists()


def test_an_event_factory_row_mirrors_the_object_it_carries():
    sub = factories.SubscriptionDataFactory(status="past_due")
    event = factories.EventFactory(
        type="customer.subscription.updated", data={"object": sub}
    )
    assert Event.objects.get(id=event.id).type == "customer.subscription.updated"
    assert Subscription.objects.get(id=sub["id"]).status == "past_due"
