"""Every object the fake returns has (at least) the fields Stripe returns today."""

import functools

import pytest

from djstripe.testing import FakeStripe
from djstripe.testing.resources import RESOURCES
from djstripe.testing.templates import fixtures


def _world():
    """One object of every type, made through the API and the test helpers."""
    fake = FakeStripe(seed=5)
    c = fake.client()
    made = {}
    customer = c.v1.customers.create(params={"payment_method": "pm_card_visa"})
    made["customer"] = customer
    made["product"] = product = c.v1.products.create(
        params={
            "name": "Pro",
            "default_price_data": {
                "currency": "usd",
                "unit_amount": 1500,
                "recurring": {"interval": "month"},
            },
        }
    )
    made["price"] = price = c.v1.prices.retrieve(product.default_price)
    made["coupon"] = coupon = c.v1.coupons.create(params={"percent_off": 10})
    made["promotion_code"] = c.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}}
    )
    made["tax_rate"] = c.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 20, "inclusive": False}
    )
    made["shipping_rate"] = c.v1.shipping_rates.create(
        params={
            "display_name": "Ground",
            "type": "fixed_amount",
            "fixed_amount": {"amount": 500, "currency": "usd"},
        }
    )
    made["payment_method"] = c.v1.payment_methods.create(
        params={"type": "card", "card": {"token": "tok_visa"}}
    )
    intent = c.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    made["payment_intent"] = intent
    made["charge"] = charge = c.v1.charges.retrieve(intent.latest_charge)
    made["balance_transaction"] = c.v1.balance_transactions.retrieve(
        charge.balance_transaction
    )
    made["setup_intent"] = c.v1.setup_intents.create(
        params={
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    made["refund"] = c.v1.refunds.create(params={"charge": charge.id, "amount": 100})
    made["dispute"] = c.v1.disputes.retrieve(fake.open_dispute(charge.id)["id"])
    made["payout"] = c.v1.payouts.create(params={"amount": 100, "currency": "usd"})
    made["file"] = file = c.v1.files.retrieve(fake.add_file()["id"])
    made["file_link"] = c.v1.file_links.create(params={"file": file.id})
    sub = c.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    made["subscription"] = sub
    made["subscription_item"] = sub["items"].data[0]
    made["invoice"] = invoice = c.v1.invoices.retrieve(sub.latest_invoice)
    made["line_item"] = invoice.lines.data[0]
    made["invoice_payment"] = c.v1.invoice_payments.list(
        params={"invoice": invoice.id}
    ).data[0]
    made["invoiceitem"] = c.v1.invoice_items.create(
        params={"customer": customer.id, "amount": 300, "currency": "usd"}
    )
    made["subscription_schedule"] = c.v1.subscription_schedules.create(
        params={"customer": customer.id}
    )
    session = c.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "https://example.com/ok",
        }
    )
    made["checkout.session"] = session
    made["item"] = c.v1.checkout.sessions.line_items.list(session.id).data[0]
    made["webhook_endpoint"] = c.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/h", "enabled_events": ["*"]}
    )
    made["event"] = c.v1.events.list(params={"limit": 1}).data[0]
    made["account"] = c.v1.accounts.create(params={"type": "express"})
    made["transfer"] = c.v1.transfers.create(
        params={"amount": 100, "currency": "usd", "destination": made["account"].id}
    )
    made["entitlements.feature"] = feature = c.v1.entitlements.features.create(
        params={"name": "API", "lookup_key": "api"}
    )
    made["product_feature"] = c.v1.products.features.create(
        product.id, params={"entitlement_feature": feature.id}
    )
    made["entitlements.active_entitlement"] = (
        c.v1.entitlements.active_entitlements.list(params={"customer": customer.id})
    ).data[0]
    made["tax_id"] = c.v1.customers.tax_ids.create(
        customer.id, params={"type": "eu_vat", "value": "DE123456789"}
    )
    made["mandate"] = c.v1.mandates.retrieve(fake.add("mandate")["id"])
    made["application_fee"] = c.v1.application_fees.retrieve(
        fake.add("application_fee", charge=charge.id, amount=10)["id"]
    )
    made["fee_refund"] = c.v1.application_fees.refunds.create(
        made["application_fee"].id, params={"amount": 5}
    )
    made["transfer_reversal"] = c.v1.transfers.reversals.create(
        made["transfer"].id, params={"amount": 10}
    )
    made["customer_balance_transaction"] = c.v1.customers.balance_transactions.create(
        customer.id, params={"amount": -500, "currency": "usd"}
    )
    made["card"] = c.v1.customers.payment_sources.create(
        customer.id, params={"source": "tok_mastercard"}
    )
    made["bank_account"] = c.v1.customers.payment_sources.create(
        customer.id, params={"source": "btok_us_verified"}
    )
    made["review"] = c.v1.reviews.retrieve(fake.open_review(charge.id)["id"])
    made["radar.early_fraud_warning"] = c.v1.radar.early_fraud_warnings.retrieve(
        fake.add("radar.early_fraud_warning", charge=charge.id)["id"]
    )
    made["tax_code"] = c.v1.tax_codes.retrieve(fake.add("tax_code")["id"])
    made["country_spec"] = c.v1.country_specs.retrieve(
        fake.add("country_spec", id="US")["id"]
    )
    made["scheduled_query_run"] = c.v1.sigma.scheduled_query_runs.retrieve(
        fake.add("scheduled_query_run")["id"]
    )
    made["source"] = c.v1.sources.create(
        params={"type": "ach_credit_transfer", "currency": "usd"}
    )
    discounted = c.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "discounts": [{"coupon": coupon.id}],
            "expand": ["discounts"],
        }
    )
    made["discount"] = discounted.discounts[0]
    return fake, {name: obj.to_dict() for name, obj in made.items()}


@functools.cache
def populated():
    """A fake holding one object of every type, and those objects by type."""
    return _world()


def world():
    return populated()[1]


SERVED = sorted(
    {r.object for r in RESOURCES}
    | {"line_item", "item", "discount", "card", "bank_account"}
)


def test_every_served_type_is_covered():
    assert set(SERVED) <= set(world())


@pytest.mark.parametrize("object_name", SERVED)
def test_object_has_every_top_level_field_stripe_returns(object_name):
    obj = world()[object_name]
    missing = set(fixtures()[object_name]) - set(obj)
    assert not missing, f"{object_name} lacks {sorted(missing)}"
    assert obj["object"] == object_name
    assert obj.get("livemode") is False
