"""dj-stripe's Subscription API: its attributes, status questions, write-through
methods, and the manager reports (started, canceled, churn, monthly totals)."""

import datetime
import json
import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.contrib.auth import get_user_model
from stripe import HTTPClient

from djstripe import stripe_api, sync
from djstripe.models import (
    Account,
    Charge,
    Customer,
    Invoice,
    PaymentMethod,
    Price,
    Subscription,
    SubscriptionSchedule,
    Transfer,
)

from .conftest import stripe_fixture

pytestmark = pytest.mark.django_db

DAY = 86400


def _ts(year, month, day):
    return int(datetime.datetime(year, month, day, tzinfo=datetime.UTC).timestamp())


def _subscription(n, status="active", customer="cus_1", **changes):
    """A subscription as current API versions send it: no top-level plan,
    quantity or period (they are on the items)."""
    sub = stripe_fixture("subscription", id=f"sub_{n}", customer=customer)
    item = sub["items"]["data"][0]
    item.update(
        id=f"si_{n}",
        subscription=f"sub_{n}",
        quantity=3,
        current_period_start=int(time.time()) - DAY,
        current_period_end=int(time.time()) + 29 * DAY,
    )
    item["price"] = stripe_fixture("price", id=changes.pop("price", "price_pro"))
    item["plan"] = {"id": item["price"]["id"], "object": "plan"}
    sub.update(status=status, ended_at=None, trial_end=None, canceled_at=None)
    sub.update(changes)
    return sub


# -- Attributes derived from the items ------------------------------------------------


def test_plan_quantity_and_period_come_from_the_items():
    item_end = int(time.time()) + 29 * DAY
    sync.upsert([_subscription(1)])
    sub = Subscription.objects.get(id="sub_1")
    assert sub.plan_id == "price_pro"
    assert sub.quantity == 3
    assert int(sub.current_period_end.timestamp()) in (item_end, item_end - 1)
    assert sub.discount is None
    # The embedded items keep their data: plan is read, not collapsed.
    assert sub.stripe_data["items"]["data"][0]["plan"]["object"] == "plan"


def test_older_api_versions_carry_them_on_the_subscription():
    old = _subscription(
        2,
        plan={"id": "price_legacy", "object": "plan", "amount": 500},
        quantity=7,
        current_period_start=_ts(2030, 1, 1),
        current_period_end=_ts(2030, 2, 1),
        discount={"id": "di_1", "object": "discount", "coupon": {"id": "SAVE"}},
    )
    sync.upsert([old])
    sub = Subscription.objects.get(id="sub_2")
    assert (sub.plan_id, sub.quantity) == ("price_legacy", 7)
    assert sub.current_period_end == datetime.datetime(2030, 2, 1, tzinfo=datetime.UTC)
    assert sub.discount["coupon"]["id"] == "SAVE"
    assert sub.stripe_data["plan"]["amount"] == 500


def test_a_multi_item_subscription_has_no_single_plan():
    sub = _subscription(3)
    second = dict(sub["items"]["data"][0], id="si_3b")
    sub["items"]["data"].append(second)
    sync.upsert([sub])
    row = Subscription.objects.get(id="sub_3")
    assert row.plan_id is None and row.quantity is None
    assert row.current_period_end is not None


def test_template_renders_the_plan_as_dj_stripe():
    from django.template import Context, Template

    sync.upsert(
        [
            stripe_fixture("product", id="prod_pro", name="Pro"),
            stripe_fixture(
                "price",
                id="price_pro",
                product="prod_pro",
                unit_amount=1500,
                currency="usd",
                billing_scheme="per_unit",
                recurring={"interval": "month", "interval_count": 1},
            ),
            stripe_fixture("customer", id="cus_1", metadata={}),
            _subscription(4),
        ]
    )
    customer = Customer.objects.get(id="cus_1")
    html = Template("{{ customer.subscription.plan }}").render(
        Context({"customer": customer})
    )
    assert html == "$15.00 USD/month for Pro"


# -- Status questions --------------------------------------------------------------------


def _row(**changes):
    return Subscription(id="sub_x", **changes)


def test_status_and_period_questions():
    now = datetime.datetime.now(datetime.UTC)
    later, earlier = now + datetime.timedelta(days=3), now - datetime.timedelta(days=3)

    current = _row(status="active", current_period_end=later)
    assert current.is_status_current() and current.is_period_current()
    assert current.is_valid()

    lapsed = _row(status="active", current_period_end=earlier)
    assert not lapsed.is_period_current() and not lapsed.is_valid()

    trial = _row(status="trialing", current_period_end=earlier, trial_end=later)
    assert trial.is_period_current() and trial.is_status_current()

    assert not _row(status="past_due", current_period_end=later).is_status_current()

    leaving = _row(
        status="active",
        canceled_at=earlier,
        cancel_at_period_end=True,
        current_period_end=later,
    )
    assert leaving.is_status_temporarily_current()
    assert not _row(
        status="active", canceled_at=None, current_period_end=later
    ).is_status_temporarily_current()
    assert not _row(
        status="active",
        canceled_at=earlier,
        cancel_at_period_end=True,
        current_period_end=earlier,
    ).is_status_temporarily_current()


# -- Write-through, against the fake Stripe ---------------------------------------------


@pytest.fixture
def customer(fake_stripe):
    user = get_user_model().objects.create(username="ada", email="ada@example.com")
    customer = Customer.create(user)
    customer.add_payment_method("pm_card_visa")
    return customer


@pytest.fixture
def price(fake_stripe):
    return Price.create(
        currency="usd",
        unit_amount=1000,
        recurring={"interval": "month"},
        product_data={"name": "Pro"},
    )


def _posts(fake_stripe, path):
    return [params for method, p, params in fake_stripe.requests if p == path]


def test_cancel_at_period_end_then_reactivate(fake_stripe, customer, price):
    sub = customer.subscribe(price=price)

    leaving = sub.cancel(at_period_end=True)
    assert ("POST", f"/v1/subscriptions/{sub.id}") in [
        r[:2] for r in fake_stripe.requests
    ]
    assert leaving.cancel_at_period_end and leaving.status == "active"
    assert fake_stripe.get("subscription", sub.id)["cancel_at_period_end"] is True

    back = leaving.reactivate()
    assert back.cancel_at_period_end is False
    assert fake_stripe.get("subscription", sub.id)["cancel_at_period_end"] is False


def test_cancel_now_deletes_and_mirrors(fake_stripe, customer, price):
    sub = customer.subscribe(price=price)
    canceled = sub.cancel()
    assert ("DELETE", f"/v1/subscriptions/{sub.id}") in [
        r[:2] for r in fake_stripe.requests
    ]
    assert canceled.status == "canceled"
    assert Subscription.objects.get(id=sub.id).status == "canceled"


def test_cancel_during_a_trial_is_immediate(fake_stripe, customer, price):
    sub = customer.subscribe(price=price, trial_period_days=14)
    assert sub.status == "trialing"
    assert sub.cancel(at_period_end=True).status == "canceled"


def test_extend_moves_the_trial_end(fake_stripe, customer, price):
    sub = customer.subscribe(price=price)
    extended = sub.extend(datetime.timedelta(days=10))
    expected = int((sub.current_period_end + datetime.timedelta(days=10)).timestamp())
    assert fake_stripe.get("subscription", sub.id)["trial_end"] == expected
    assert extended.trial_end == datetime.datetime.fromtimestamp(expected, datetime.UTC)
    with pytest.raises(ValueError):
        sub.extend(datetime.timedelta(days=-1))


def test_payment_method_attach(fake_stripe, customer):
    pm = PaymentMethod.attach("pm_card_mastercard", customer)
    assert pm.customer_id == customer.id
    assert fake_stripe.get("payment_method", pm.id)["customer"] == customer.id
    assert _posts(fake_stripe, "/v1/payment_methods/pm_card_mastercard/attach")


def test_invoice_retry(fake_stripe, customer, price):
    latest = customer.subscribe(price=price).latest_invoice_id
    invoice = Invoice.sync_from_stripe_data(Invoice.api_retrieve_data(latest))
    assert invoice.status == "paid"
    assert invoice.retry() is False  # nothing to do for a paid invoice
    assert not _posts(fake_stripe, f"/v1/invoices/{invoice.id}/pay")

    customer.add_invoice_item(Decimal("5.00"), "usd")
    data = stripe_api.request(
        "post",
        "/v1/invoices",
        {"customer": customer.id, "pending_invoice_items_behavior": "include"},
    )
    open_invoice = Invoice.sync_from_stripe_data(data)
    assert open_invoice.retry() is True
    assert Invoice.objects.get(id=open_invoice.id).status == "paid"


def test_get_default_account(fake_stripe):
    account = Account.get_default_account()
    assert ("GET", "/v1/account") in [r[:2] for r in fake_stripe.requests]
    assert account.id.startswith("acct_")
    assert Account.objects.filter(id=account.id).exists()
    assert Account.get_default_account(api_key="rk_test_123") is None


class _Recorder(HTTPClient):
    """Answers every request with one object; records what was sent."""

    name = "recorder"

    def __init__(self, body):
        super().__init__()
        self.body, self.calls = body, []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.calls.append((method, url, dict(headers), post_data))
        return json.dumps(self.body), 200, {"Request-Id": "req_1"}


@pytest.mark.parametrize(
    "method,path",
    [("release", "/release"), ("cancel", "/cancel"), ("update", "")],
)
def test_subscription_schedule_actions(method, path):
    schedule = stripe_fixture("subscription_schedule", id="sub_sched_1")
    sync.upsert([schedule])
    row = SubscriptionSchedule.objects.get(id="sub_sched_1")
    answer = dict(schedule, status="released" if method == "release" else "canceled")
    recorder = _Recorder(answer)
    with stripe_api.use_http_client(recorder):
        kwargs = {"metadata": {"k": "v"}} if method == "update" else {}
        result = getattr(row, method)(**kwargs)
    (verb, url, headers, body) = recorder.calls[0]
    assert verb == "post"
    assert url.endswith(f"/v1/subscription_schedules/sub_sched_1{path}")
    assert headers.get("Idempotency-Key")
    if method == "update":
        assert parse_qs(body)["metadata[k]"] == ["v"]
    assert result.status == answer["status"]
    assert SubscriptionSchedule.objects.get(id="sub_sched_1").status == answer["status"]


# -- Manager reports, on known data -------------------------------------------------------


@pytest.fixture
def history():
    sync.upsert(
        [
            _subscription(1, start_date=_ts(2025, 3, 5), price="price_a"),
            _subscription(2, start_date=_ts(2025, 3, 20), price="price_a"),
            _subscription(3, start_date=_ts(2025, 3, 31), price="price_b"),
            _subscription(4, "trialing", start_date=_ts(2025, 3, 10)),
            _subscription(5, "active", start_date=_ts(2025, 4, 1), price="price_b"),
            _subscription(
                6,
                "canceled",
                start_date=_ts(2025, 1, 1),
                canceled_at=_ts(2025, 3, 2),
                price="price_a",
            ),
            _subscription(
                7,
                "canceled",
                start_date=_ts(2025, 3, 3),
                canceled_at=_ts(2025, 4, 2),
                price="price_b",
            ),
        ]
    )


def test_started_and_canceled_during(history):
    started = Subscription.objects.started_during(2025, 3)
    assert sorted(started.values_list("id", flat=True)) == [
        "sub_1",
        "sub_2",
        "sub_3",
        "sub_7",
    ]
    assert list(
        Subscription.objects.canceled_during(2025, 3).values_list("id", flat=True)
    ) == ["sub_6"]
    assert set(Subscription.objects.canceled().values_list("id", flat=True)) == {
        "sub_6",
        "sub_7",
    }


def test_plan_summaries_and_churn(history):
    started = {
        row["plan"]: row["count"]
        for row in Subscription.objects.started_plan_summary_for(2025, 3)
    }
    assert started == {"price_a": 2, "price_b": 2}
    active = {
        row["plan"]: row["count"] for row in Subscription.objects.active_plan_summary()
    }
    assert active == {"price_a": 2, "price_b": 2}
    assert Subscription.objects.churn() == Decimal(2) / Decimal(4)
    Subscription.objects.filter(status="active").delete()
    assert Subscription.objects.churn() == Decimal(0)


def test_charge_during_and_paid_totals():
    def charge(n, created, paid=True, amount=1000, refunded=0):
        return stripe_fixture(
            "charge",
            id=f"ch_{n}",
            created=created,
            paid=paid,
            amount=amount,
            amount_refunded=refunded,
            currency="usd",
            customer=None,
            balance_transaction=None,
        )

    sync.upsert(
        [
            charge(1, _ts(2025, 3, 1), amount=1000, refunded=250),
            charge(2, _ts(2025, 3, 31) + DAY - 1, amount=2000),
            charge(3, _ts(2025, 3, 15), paid=False, amount=9999),
            charge(4, _ts(2025, 4, 1), amount=5000),
        ]
    )
    assert sorted(Charge.objects.during(2025, 3).values_list("id", flat=True)) == [
        "ch_1",
        "ch_2",
        "ch_3",
    ]
    assert Charge.objects.paid_totals_for(2025, 3) == {
        "total_amount": Decimal("30.00"),
        "total_refunded": 250,
    }


def test_transfer_during_and_paid_totals():
    sync.upsert(
        [
            stripe_fixture(
                "transfer", id=f"tr_{n}", created=created, amount=amount, currency="usd"
            )
            for n, created, amount in [
                (1, _ts(2025, 5, 2), 700),
                (2, _ts(2025, 5, 30), 300),
                (3, _ts(2025, 6, 1), 100),
            ]
        ]
    )
    assert Transfer.objects.during(2025, 5).count() == 2
    assert Transfer.objects.paid_totals_for(2025, 5) == {"total_amount": 1000}
