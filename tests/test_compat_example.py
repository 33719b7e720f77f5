"""The example site's billing app, code written as for dj-stripe 2.11, runs on
djstripe: its ``djstripe_receiver`` handler and its ``SubscriptionMixin``
page with ``{{ customer.subscription.plan }}``."""

import logging
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory, modify_settings

from djstripe.models import Customer, Event, Price
from djstripe.signals import WEBHOOK_SIGNALS
from tests.conftest import stripe_fixture
from tests.webhook_utils import make_event

EXAMPLE = Path(__file__).resolve().parent.parent / "example"

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_app():
    sys.path.insert(0, str(EXAMPLE))
    try:
        with modify_settings(INSTALLED_APPS={"append": "billing"}):
            from billing import handlers

            yield handlers
    finally:
        sys.path.remove(str(EXAMPLE))
        for name in ("created", "updated", "deleted"):
            WEBHOOK_SIGNALS[f"customer.subscription.{name}"].disconnect(
                handlers.on_subscription_change, sender=Event
            )


def test_the_receiver_sees_the_mirrored_subscription(billing_app, caplog):
    subscription = stripe_fixture("subscription", id="sub_demo", status="past_due")
    with caplog.at_level(logging.INFO, logger="billing"):
        Event.process(make_event("customer.subscription.updated", subscription))
    assert any(
        record.getMessage().startswith("customer.subscription.updated: ")
        and "sub_demo" in record.getMessage()
        and record.getMessage().endswith(" is past_due")
        for record in caplog.records
    ), [r.getMessage() for r in caplog.records]


def test_the_account_page_renders_the_customer_and_plans(
    billing_app, fake_stripe, settings
):
    from billing.views import AccountView

    settings.STRIPE_TEST_PUBLIC_KEY = "pk_test_page"
    user = get_user_model().objects.create(username="ada", email="ada@example.com")
    customer = Customer.create(user)
    customer.add_payment_method("pm_card_visa")
    price = Price.create(
        currency="usd",
        unit_amount=1500,
        recurring={"interval": "month"},
        product_data={"name": "Team"},
    )
    customer.subscribe(price=price.id)
    request = RequestFactory().get("/account/")
    request.user = user
    response = AccountView.as_view()(request)
    html = response.render().content.decode()
    assert "You are subscribed to" in html and "(active)" in html
    assert 'data-key="pk_test_page"' in html
