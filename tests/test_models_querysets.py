"""Everyday questions, answered by querysets on the mirror (SQLite and PostgreSQL)."""

import datetime
import time
from decimal import Decimal

import pytest

from djstripe import sync
from djstripe.models import Charge, Customer, Invoice, Subscription

from .conftest import stripe_fixture

pytestmark = pytest.mark.django_db

JAN = int(datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC).timestamp())
FEB = int(datetime.datetime(2026, 2, 15, tzinfo=datetime.UTC).timestamp())


def _customer(n):
    return stripe_fixture(
        "customer", id=f"cus_{n}", email=f"c{n}@example.com", discount=None
    )


def _subscription(n, customer, status, **changes):
    sub = stripe_fixture(
        "subscription", id=f"sub_{n}", customer=customer, status=status
    )
    sub["ended_at"] = None
    sub["items"]["data"][0]["id"] = f"si_{n}"
    sub["items"]["data"][0]["subscription"] = f"sub_{n}"
    # The period runs now (the wall clock: no fake Stripe here).
    sub["items"]["data"][0]["current_period_start"] = int(time.time()) - 86400
    sub["items"]["data"][0]["current_period_end"] = int(time.time()) + 29 * 86400
    sub.update(changes)
    return sub


def _invoice(
    n, customer, status, currency="usd", amount_paid=0, paid_at=None, attempts=0
):
    invoice = stripe_fixture(
        "invoice",
        id=f"in_{n}",
        customer=customer,
        status=status,
        currency=currency,
        amount_paid=amount_paid,
        attempt_count=attempts,
        status_transitions={"paid_at": paid_at},
    )
    invoice["lines"]["data"] = []
    return invoice


@pytest.fixture
def mirror():
    sync.upsert(
        [
            _customer(1),
            _customer(2),
            _customer(3),
            _subscription(1, "cus_1", "active"),
            _subscription(2, "cus_1", "canceled", ended_at=JAN),
            _subscription(3, "cus_2", "trialing"),
            _subscription(4, "cus_2", "past_due"),
            _subscription(5, "cus_3", "incomplete"),
            _invoice(1, "cus_1", "paid", amount_paid=1000, paid_at=JAN),
            _invoice(2, "cus_1", "paid", amount_paid=2550, paid_at=FEB),
            _invoice(3, "cus_2", "paid", currency="eur", amount_paid=900, paid_at=FEB),
            _invoice(4, "cus_2", "open", attempts=2),
            _invoice(5, "cus_3", "open"),
            stripe_fixture("charge", id="ch_ok", customer="cus_3", status="succeeded"),
            stripe_fixture(
                "charge", id="ch_jpy", customer="cus_3", amount=500, currency="jpy"
            ),
            stripe_fixture("charge", id="ch_bad", customer="cus_3", status="failed"),
        ]
    )


def test_a_customers_active_subscriptions(mirror):
    customer = Customer.objects.get(id="cus_1")
    assert [s.id for s in customer.active_subscriptions] == ["sub_1"]
    assert customer.has_any_active_subscription()
    assert customer.subscription.id == "sub_1"
    # dj-stripe's meaning: status "active" (a trial is not counted).
    assert set(Subscription.objects.active().values_list("id", flat=True)) == {"sub_1"}


def test_valid_subscriptions_exclude_canceled_and_incomplete(mirror):
    assert not Customer.objects.get(id="cus_3").valid_subscriptions.exists()
    assert Customer.objects.get(id="cus_3").subscription is None


def test_subscription_shortcut_refuses_to_guess(mirror):
    from djstripe.exceptions import MultipleSubscriptionException

    with pytest.raises(MultipleSubscriptionException):
        _ = Customer.objects.get(id="cus_2").subscription


def test_subscriptions_by_status(mirror):
    assert Subscription.objects.count_by_status() == {
        "active": 1,
        "canceled": 1,
        "trialing": 1,
        "past_due": 1,
        "incomplete": 1,
    }


def test_paid_invoices_in_a_period_and_revenue_by_currency(mirror):
    feb = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    mar = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    february = Invoice.objects.paid_between(feb, mar)
    assert set(february.values_list("id", flat=True)) == {"in_2", "in_3"}
    assert february.revenue_by_currency() == {
        "usd": Decimal("25.50"),
        "eur": Decimal("9.00"),
    }
    assert Invoice.objects.revenue_by_currency()["usd"] == Decimal("35.50")


def test_charge_revenue_by_currency_respects_zero_decimal_currencies(mirror):
    assert Charge.objects.revenue_by_currency() == {
        "usd": Decimal("1.00"),
        "jpy": Decimal("500"),
    }


def test_customers_with_a_failed_payment(mirror):
    assert set(Customer.objects.with_failed_payment().values_list("id", flat=True)) == {
        "cus_2",  # an open invoice whose payment attempts failed
        "cus_3",  # a failed charge
    }


def test_filter_on_any_stored_stripe_field(mirror):
    assert list(
        Customer.objects.stripe_data_filter(
            invoice_prefix="7FE1103", email="c2@example.com"
        )
    ) == [Customer.objects.get(id="cus_2")]
    assert Invoice.objects.stripe_data_filter(customer_tax_exempt="none").count() == 5


def test_filter_into_embedded_lists(mirror):
    monthly = Subscription.objects.stripe_data_filter(
        items__data__0__price__recurring__interval="month"
    )
    assert monthly.count() == 5
