"""The reference's model methods, against the fake Stripe: each call changes
Stripe (the fake) and the mirror at once, read-after-write."""

from decimal import Decimal

import pytest
import stripe
from django.contrib.auth import get_user_model

from djstripe.exceptions import MultipleSubscriptionException
from djstripe.models import (
    BalanceTransaction,
    Charge,
    Coupon,
    Customer,
    Invoice,
    InvoiceItem,
    PaymentIntent,
    PaymentMethod,
    Price,
    Product,
    Refund,
    Subscription,
    UpcomingInvoice,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create(username="ada", email="ada@example.com")


@pytest.fixture
def customer(fake_stripe, user):
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


# -- Customer ----------------------------------------------------------------------


def test_create_links_the_subscriber_through_stripe_metadata(fake_stripe, user):
    customer = Customer.create(
        user, metadata={"djstripe_subscriber": "999", "plan": "pro"}
    )

    stored = fake_stripe.get("customer", customer.id)
    assert stored["metadata"] == {"djstripe_subscriber": str(user.pk), "plan": "pro"}
    assert stored["email"] == "ada@example.com"
    assert customer.subscriber == user
    assert customer.livemode is False
    assert user.djstripe_customers.get() == customer


def test_create_forwards_extra_arguments_in_one_call(fake_stripe, user):
    customer = Customer.create(user, name="Ada Lovelace", idempotency_key="create-ada")
    assert fake_stripe.get("customer", customer.id)["name"] == "Ada Lovelace"
    assert customer.name == "Ada Lovelace"
    creates = [
        r for r in fake_stripe.requests if r[0] == "POST" and r[1] == "/v1/customers"
    ]
    assert len(creates) == 1


def test_get_or_create_creates_once(fake_stripe, user):
    first, created = Customer.get_or_create(user)
    again, created_again = Customer.get_or_create(user)
    assert (created, created_again) == (True, False)
    assert first == again
    assert len(fake_stripe.all("customer")) == 1


def test_add_payment_method_attaches_and_sets_default(fake_stripe, user):
    customer = Customer.create(user)
    pm = customer.add_payment_method("pm_card_visa")

    assert isinstance(pm, PaymentMethod)
    assert fake_stripe.get("payment_method", pm.id)["customer"] == customer.id
    stored = fake_stripe.get("customer", customer.id)
    assert stored["invoice_settings"]["default_payment_method"] == pm.id
    assert customer.default_payment_method == pm
    assert list(customer.payment_methods.all()) == [pm]


def test_add_payment_method_without_default(fake_stripe, user):
    customer = Customer.create(user)
    customer.add_payment_method("pm_card_visa", set_default=False)
    assert customer.default_payment_method is None
    assert customer.payment_methods.count() == 1


def test_charge_takes_major_units(fake_stripe, customer):
    charge = customer.charge(Decimal("10.50"), description="Tea")

    assert fake_stripe.get("charge", charge.id)["amount"] == 1050
    assert charge.amount == Decimal("10.50")
    assert charge.status == "succeeded"
    assert charge.customer == customer
    assert charge.human_readable_status == "Succeeded"
    # The balance transaction came expanded and is mirrored with the charge.
    txn = charge.balance_transaction
    assert txn.get_source_class() is Charge
    assert txn.get_source_instance() == charge
    assert charge.fee == txn.fee > 0


def test_charge_refuses_floats(customer):
    with pytest.raises(ValueError):
        customer.charge(10.5)


def test_subscribe_and_subscription_queries(fake_stripe, customer, price):
    subscription = customer.subscribe(price=price)

    assert fake_stripe.get("subscription", subscription.id)["customer"] == customer.id
    assert subscription.status == "active"
    assert [item.price for item in subscription.items.all()] == [price]
    assert customer.has_any_active_subscription()
    assert customer.is_subscribed_to(price.product)
    assert customer.is_subscribed_to(price.product_id)
    assert not customer.is_subscribed_to("prod_other")
    assert customer.subscription == subscription
    assert list(customer.active_subscriptions) == [subscription]
    assert list(customer.valid_subscriptions) == [subscription]

    customer.subscribe(items=[{"price": price.id, "quantity": 2}])
    with pytest.raises(MultipleSubscriptionException):
        _ = customer.subscription
    assert customer.subscriptions.count() == 2


def test_subscription_cancel(fake_stripe, customer, price):
    subscription = customer.subscribe(price=price).cancel()
    assert fake_stripe.get("subscription", subscription.id)["status"] == "canceled"
    assert subscription.status == "canceled"
    assert not customer.has_any_active_subscription()


def test_add_coupon_on_an_api_version_that_has_customer_coupons(
    fake_stripe, stripe_client, customer, settings
):
    settings.DJSTRIPE_STRIPE_API_VERSION = "2024-04-10"
    coupon = stripe_client.v1.coupons.create(
        params={"percent_off": 25, "duration": "forever"}
    )
    Coupon.sync_from_stripe_data(coupon.to_dict())

    customer = customer.add_coupon(coupon.id)

    assert (
        fake_stripe.get("customer", customer.id)["discount"]["source"]["coupon"]
        == coupon.id
    )
    assert customer.coupon.id == coupon.id
    assert customer.coupon.percent_off == 25


def test_add_coupon_refused_where_stripe_removed_customer_coupons(
    fake_stripe, customer
):
    from djstripe import stripe_api
    from djstripe.exceptions import ImpossibleAPIRequest

    with stripe_api.counter.counting() as count:
        with pytest.raises(ImpossibleAPIRequest, match="2025-03-31.basil"):
            customer.add_coupon("co_any")
    assert count.total == 0


def test_add_invoice_item_and_send_invoice(fake_stripe, customer):
    item = customer.add_invoice_item(Decimal("12.34"), "usd", description="Setup fee")

    assert isinstance(item, InvoiceItem)
    assert fake_stripe.get("invoiceitem", item.id)["amount"] == 1234
    assert item.amount == Decimal("12.34") and item.customer == customer

    upcoming = customer.upcoming_invoice()
    assert isinstance(upcoming, UpcomingInvoice)
    assert upcoming.total == Decimal("12.34")
    assert [line.amount for line in upcoming.lines] == [Decimal("12.34")]
    assert list(upcoming.invoiceitems) == [item]
    assert not Invoice.objects.exists()  # a preview is never saved

    assert customer.send_invoice() is True
    invoice = customer.invoices.get()
    assert invoice.status == "paid" and invoice.paid
    assert fake_stripe.get("invoice", invoice.id)["status"] == "paid"
    assert invoice.amount_paid == Decimal("12.34")
    assert [line.amount for line in invoice.lines.all()] == [Decimal("12.34")]


def test_send_invoice_with_nothing_to_invoice(fake_stripe, customer):
    assert customer.send_invoice() is False
    assert not customer.invoices.exists()


def test_purge_soft_deletes(fake_stripe, customer, user):
    from djstripe.models import IdempotencyKey

    kept = IdempotencyKey.objects.create(action="customer:create:0", livemode=False)
    IdempotencyKey.objects.create(action=f"customer:create:{user.pk}", livemode=False)
    customer.purge()

    # The key that created this subscriber's customer is forgotten; others stay.
    assert list(IdempotencyKey.objects.all()) == [kept]

    assert (
        fake_stripe.all("customer") == []
        or fake_stripe.get("customer", customer.id) is None
    )
    row = Customer.objects.get(id=customer.id)
    assert row.date_purged is not None
    # A new customer can be created for the same subscriber.
    again, created = Customer.get_or_create(user)
    assert created and again.id != customer.id


def test_credits_and_pending_charges(fake_stripe, customer):
    customer = customer.sync_from_stripe_data(customer._api_update(balance=-500))
    assert (customer.credits, customer.pending_charges) == (500, 0)
    customer = customer.sync_from_stripe_data(customer._api_update(balance=700))
    assert (customer.credits, customer.pending_charges) == (0, 700)


# -- Charge ------------------------------------------------------------------------------


def test_capture_an_uncaptured_charge(fake_stripe, customer):
    charge = customer.charge(Decimal("20.00"), capture=False)
    assert charge.human_readable_status == "Uncaptured"

    captured = charge.capture()

    assert fake_stripe.get("charge", charge.id)["captured"] is True
    assert captured.captured is True
    assert captured.human_readable_status == "Succeeded"


def test_partial_then_full_refund(fake_stripe, customer):
    charge = customer.charge(Decimal("20.00"))

    refund = charge.refund(Decimal("5.00"), reason="requested_by_customer")

    assert isinstance(refund, Refund)
    assert fake_stripe.get("refund", refund.id)["amount"] == 500
    assert refund.amount == Decimal("5.00") and refund.charge == charge
    charge.refresh_from_db()  # the refund came back with the charge expanded
    assert charge.amount_refunded == 500  # a property: as Stripe sent it
    assert charge.human_readable_status == "Succeeded"

    charge.refund()
    charge.refresh_from_db()
    assert charge.refunded and charge.human_readable_status == "Refunded"
    assert charge.refunds.count() == 2


# -- PaymentIntent, Price, Product -----------------------------------------------------


def test_payment_intent_update(fake_stripe, stripe_client):
    data = stripe_client.v1.payment_intents.create(
        params={"amount": 1099, "currency": "usd"}
    )
    intent = PaymentIntent.sync_from_stripe_data(data.to_dict())

    updated = intent.update(description="Order 42", metadata={"order": "42"})

    assert fake_stripe.get("payment_intent", intent.id)["description"] == "Order 42"
    assert updated.description == "Order 42" and updated.metadata == {"order": "42"}
    assert updated.amount == Decimal("10.99")


def test_price_create_and_get_or_create(fake_stripe, stripe_client):
    product = Product.sync_from_stripe_data(
        stripe_client.v1.products.create(params={"name": "Gold"}).to_dict()
    )
    price = Price.create(
        product=product,
        currency="usd",
        unit_amount=2500,
        recurring={"interval": "month", "interval_count": 3},
        lookup_key="gold_quarterly",
    )

    assert fake_stripe.get("price", price.id)["product"] == product.id
    assert price.product == product
    assert price.human_readable_price == "$25.00 USD / every 3 months"

    same, created = Price.get_or_create(lookup_key="gold_quarterly")
    assert (same, created) == (price, False)
    by_id, created = Price.get_or_create(id=price.id)
    assert (by_id, created) == (price, False)

    Price.objects.all().delete()  # forgotten by the mirror: found in Stripe
    found, created = Price.get_or_create(lookup_key="gold_quarterly")
    assert (found.id, created) == (price.id, False)

    new, created = Price.get_or_create(
        lookup_key="gold_yearly",
        product=product.id,
        currency="usd",
        unit_amount=25000,
        recurring={"interval": "year"},
    )
    assert created and new.human_readable_price == "$250.00 USD/year"
    assert len(fake_stripe.all("price")) == 2


def test_product_default_price(fake_stripe, stripe_client):
    data = stripe_client.v1.products.create(
        params={
            "name": "Tea",
            "default_price_data": {"currency": "usd", "unit_amount": 400},
        }
    ).to_dict()
    product = Product.sync_from_stripe_data(data)
    assert product.default_price is None  # not mirrored yet
    Price.sync_from_stripe_data(
        stripe_client.v1.prices.retrieve(data["default_price"]).to_dict()
    )
    assert product.default_price.human_readable_price == "$4.00 USD (one time)"


def test_payment_method_detach(fake_stripe, customer):
    pm = customer.payment_methods.get()
    pm = pm.detach()
    assert fake_stripe.get("payment_method", pm.id)["customer"] is None
    assert pm.customer_id is None


def test_stripe_errors_leave_the_mirror_alone(fake_stripe, user):
    customer = Customer.create(user)
    with pytest.raises(stripe.InvalidRequestError):
        customer.charge(Decimal("10.00"))  # no card
    assert not Charge.objects.exists()
    assert BalanceTransaction.objects.count() == 0
    assert Subscription.objects.count() == 0


def test_create_names_the_customer_after_the_subscriber(fake_stripe):
    user = get_user_model().objects.create(
        username="grace",
        email="grace@example.com",
        first_name="Grace",
        last_name="Hopper",
    )
    customer = Customer.create(user)
    assert fake_stripe.get("customer", customer.id)["name"] == "Grace Hopper"
    other = get_user_model().objects.create(
        username="ada2", email="ada2@example.com", first_name="Ada", last_name="L."
    )
    assert Customer.create(other, name="A. L.").name == "A. L."


def test_get_or_create_retries_with_the_same_idempotency_key(fake_stripe, user):
    """A create whose answer was lost is retried with the same key, so Stripe
    answers with the first customer instead of creating a second one."""
    from djstripe.models import IdempotencyKey

    first, created = Customer.get_or_create(user)
    assert created
    key = IdempotencyKey.objects.get(action=f"customer:create:{user.pk}")
    Customer.objects.filter(id=first.id).delete()  # as if the answer never came

    again, created = Customer.get_or_create(user)
    assert created and again.id == first.id
    assert len(fake_stripe.all("customer")) == 1
    assert IdempotencyKey.key_for("customer", f"create:{user.pk}", False) == str(
        key.uuid
    )


def test_api_list_reads_every_page_with_the_models_expansions(fake_stripe):
    from djstripe import stripe_api

    for i in range(150):
        fake_stripe.create("customer", {"email": f"c{i}@example.com"})
    with stripe_api.counter.counting() as count:
        listed = list(Customer.api_list(email="c7@example.com"))
    assert [c["email"] for c in listed] == ["c7@example.com"]
    assert count.total == 1
    with stripe_api.counter.counting() as count:
        assert len(list(Customer.api_list())) == 150
    assert count.total == 2  # pages of 100
