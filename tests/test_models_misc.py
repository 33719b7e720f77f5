"""Model behaviour that needs no Stripe round trip: display, URLs, keys."""

from decimal import Decimal

import pytest

from djstripe import stripe_api, sync
from djstripe.models import (
    Account,
    APIKey,
    BalanceTransaction,
    Customer,
    Dispute,
    File,
    Invoice,
    Price,
    Refund,
)

from .conftest import stripe_fixture

pytestmark = pytest.mark.django_db


def _price(**changes) -> Price:
    data = stripe_fixture("price", **changes)
    return Price.from_stripe_data(data)


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({}, "$20.00 USD/month"),
        (
            {"recurring": {"interval": "month", "interval_count": 3}},
            "$20.00 USD / every 3 months",
        ),
        ({"recurring": None, "type": "one_time"}, "$20.00 USD (one time)"),
        (
            {"currency": "jpy", "unit_amount": 500, "unit_amount_decimal": "500"},
            "500.00 JPY/month",
        ),
        (
            {
                "recurring": {
                    "interval": "month",
                    "interval_count": 1,
                    "usage_type": "metered",
                }
            },
            "$20.00 USD/month",
        ),
        (
            {
                "billing_scheme": "tiered",
                "unit_amount": None,
                "unit_amount_decimal": None,
                "tiers": [{"unit_amount": 500, "flat_amount": None, "up_to": 10}],
            },
            "Starts at $5.00 USD per unit/month",
        ),
        (
            {
                "billing_scheme": "tiered",
                "unit_amount": None,
                "unit_amount_decimal": None,
                "tiers": [{"unit_amount": 500, "flat_amount": 1000, "up_to": 10}],
                "recurring": {"interval": "year", "interval_count": 1},
            },
            "Starts at $5.00 USD per unit + $10.00 USD/year",
        ),
    ],
)
def test_human_readable_price(changes, expected):
    assert _price(**changes).human_readable_price == expected


def test_dashboard_urls():
    sync.upsert(
        [
            stripe_fixture("customer", discount=None),
            stripe_fixture("dispute"),
            stripe_fixture("refund"),
            stripe_fixture("balance_transaction"),
        ]
    )
    customer = Customer.objects.get()
    assert customer.get_stripe_dashboard_url() == (
        f"https://dashboard.stripe.com/test/customers/{customer.id}"
    )
    dispute = Dispute.objects.get()
    assert dispute.get_stripe_dashboard_url().endswith(f"/test/disputes/{dispute.id}")
    refund = Refund.objects.get()
    assert refund.get_stripe_dashboard_url().endswith(
        f"/test/payments/{refund.charge_id}"
    )
    txn = BalanceTransaction.objects.get()
    assert txn.get_stripe_dashboard_url().endswith(f"/test/balance/history/{txn.id}")


def test_balance_transaction_source_of_a_refund():
    sync.upsert(
        [
            stripe_fixture(
                "balance_transaction", id="txn_r", type="refund", source="re_1"
            ),
            stripe_fixture("refund", id="re_1"),
        ]
    )
    txn = BalanceTransaction.objects.get(id="txn_r")
    assert txn.get_source_class() is Refund
    assert txn.get_source_instance().amount == Decimal("1.00")


def test_dispute_first_balance_transaction():
    txn = stripe_fixture("balance_transaction", id="txn_d")
    sync.upsert([stripe_fixture("dispute", balance_transactions=[txn])])
    dispute = Dispute.objects.get()
    assert dispute.balance_transaction.id == "txn_d"
    assert dispute.stripe_data["balance_transactions"][0]["id"] == "txn_d"


def test_file_accepts_old_and_new_object_names():
    assert File.is_valid_object({"object": "file"})
    assert File.is_valid_object({"object": "file_upload"})
    assert not File.is_valid_object({"object": "file_link"})
    sync.upsert(
        [stripe_fixture("file", id="file_old", object="file_upload", links=None)]
    )
    assert File.objects.filter(id="file_old").exists()


def test_sync_entitlements_mirrors_and_drops_ended_ones(monkeypatch):
    sync.upsert([stripe_fixture("customer", id="cus_1", discount=None)])
    customer = Customer.objects.get()
    pages = [
        [
            stripe_fixture(
                "entitlements.active_entitlement", id="ent_1", lookup_key="pro"
            ),
            stripe_fixture(
                "entitlements.active_entitlement", id="ent_2", lookup_key="api"
            ),
        ]
    ]
    requested = []

    def iter_pages(path, params, **kwargs):
        requested.append((path, params))
        yield from pages

    monkeypatch.setattr(stripe_api, "iter_pages", iter_pages)
    assert customer.sync_entitlements() == ["api", "pro"]
    assert requested == [
        ("/v1/entitlements/active_entitlements", {"customer": "cus_1"})
    ]

    pages[0].pop()
    assert customer.sync_entitlements() == ["pro"]
    assert customer.entitlements == ["pro"]


def test_sync_entitlements_against_the_fake(fake_stripe, stripe_client):
    """The same, with entitlements the fake derives from a real subscription."""
    v1 = stripe_client.v1
    product = v1.products.create(
        {
            "name": "Pro",
            "default_price_data": {
                "currency": "usd",
                "unit_amount": 900,
                "recurring": {"interval": "month"},
            },
        }
    )
    for key in ("api", "pro"):
        feature = v1.entitlements.features.create({"name": key, "lookup_key": key})
        v1.products.features.create(product.id, {"entitlement_feature": feature.id})
    stripe_customer = v1.customers.create({"payment_method": "pm_card_visa"})
    sub = v1.subscriptions.create(
        {"customer": stripe_customer.id, "items": [{"price": product.default_price}]}
    )
    sync.upsert([stripe_customer.to_dict()])
    customer = Customer.objects.get(id=stripe_customer.id)

    assert customer.sync_entitlements() == ["api", "pro"]
    assert customer.active_entitlements.count() == 2

    v1.subscriptions.cancel(sub.id)
    assert customer.sync_entitlements() == []
    assert not customer.active_entitlements.exists()


def test_upcoming_invoice_is_never_saved():
    data = stripe_fixture("invoice", id=None, customer="cus_1")
    upcoming = sync.model_for("invoice").from_stripe_data(data)
    assert upcoming.pk is None
    from djstripe.models import UpcomingInvoice

    preview = UpcomingInvoice(data)
    assert preview.total == Decimal("10.00") and preview.customer_id == "cus_1"
    assert len(preview.lines) == 1
    assert preview.lineitems.count() == 1 and preview.lineitems.all().first()
    assert preview.id is None and preview.get_stripe_dashboard_url() == ""
    preview.save()  # ignored, as dj-stripe: a preview is never a row
    assert not Invoice.objects.exists()


@pytest.mark.usefixtures("fake_stripe")
class TestAPIKey:
    def test_a_secret_key_learns_its_account(self, fake_stripe):
        key = APIKey.objects.create(secret="sk_test_51ownerlookup0000WXYZ")
        account = fake_stripe.get("account", key.djstripe_owner_account_id)
        assert Account.objects.get(id=account["id"])
        assert any(r[:2] == ("GET", "/v1/account") for r in fake_stripe.requests)

    def test_a_key_is_stored_even_when_stripe_refuses_it(self, fake_stripe):
        # The fake, like test mode, refuses live keys (401, not retried).
        key = APIKey.objects.create(secret="sk_live_51refused00000000WXYZ")
        assert APIKey.objects.get(pk=key.pk).djstripe_owner_account_id is None

    def test_type_and_mode_from_the_prefix(self):
        key = APIKey.objects.create(
            secret="rk_live_1234567890abcdefWXYZ", name="reports"
        )
        assert (key.type, key.livemode) == ("restricted", True)
        assert key.id.startswith("djstripe_key_") and "1234567890" not in key.id

    def test_str_never_shows_the_secret(self):
        key = APIKey.objects.create(secret="sk_test_51abcdefghijklmnopWXYZ")
        assert str(key) == "sk_test_...WXYZ"
        assert "abcdefghijklmnop" not in repr(key) + str(key)

    def test_rejects_what_is_not_a_key(self):
        with pytest.raises(ValueError):
            APIKey.objects.create(secret="whsec_123")

    def test_settings_first_then_database(self, settings):
        APIKey.objects.create(secret="sk_test_fromdb0000")
        assert APIKey.get_default_secret(False) == settings.STRIPE_TEST_SECRET_KEY
        settings.STRIPE_TEST_SECRET_KEY = ""
        assert APIKey.get_default_secret(False) == "sk_test_fromdb0000"
        assert APIKey.get_default_secret(True) == settings.STRIPE_LIVE_SECRET_KEY


def test_nested_resources_are_read_under_their_parent(monkeypatch):
    from djstripe.models import Card, LineItem, TransferReversal

    sync.upsert(
        [
            stripe_fixture("transfer"),
            stripe_fixture("transfer_reversal"),
            stripe_fixture("card", customer="cus_1"),
            stripe_fixture("invoice"),
        ]
    )
    paths = []
    monkeypatch.setattr(
        stripe_api, "retrieve", lambda path, id, **kw: paths.append(path)
    )
    TransferReversal.objects.get().api_retrieve()
    Card.objects.get().api_retrieve()
    LineItem.objects.get().api_retrieve()
    assert paths == [
        "/v1/transfers/tr_1Pgc7BB7WZ01zgkWVJfE40RX/reversals",
        "/v1/customers/cus_1/sources",
        "/v1/invoices/in_1Pgc6tB7WZ01zgkWu9fdqL6I/lines",
    ]
