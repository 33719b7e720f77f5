"""dj-stripe 2.11's display and units: ``__str__`` and reference properties.

A dj-stripe site prints models in templates and logs and reads amounts from
properties; both must come out as they did there.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from djstripe import sync
from djstripe.models import (
    Account,
    ApplicationFee,
    BalanceTransaction,
    BankAccount,
    Card,
    Charge,
    Coupon,
    Customer,
    Dispute,
    Event,
    File,
    FileLink,
    Invoice,
    InvoiceItem,
    PaymentIntent,
    PaymentMethod,
    Payout,
    Price,
    Product,
    Refund,
    ShippingRate,
    Source,
    Subscription,
    TaxCode,
    TaxId,
    TaxRate,
    Transfer,
    TransferReversal,
)
from djstripe.money import friendly_minor_amount, get_friendly_currency_amount

from .conftest import stripe_fixture

pytestmark = pytest.mark.django_db


def _row(model, object_name, **changes):
    """An unsaved instance holding the published example object."""
    return model.from_stripe_data(stripe_fixture(object_name, **changes))


@pytest.mark.parametrize(
    "amount,currency,expected",
    [
        (Decimal("4.5"), "usd", "$4.50 USD"),
        (Decimal("4.500"), "usd", "$4.50 USD"),
        (Decimal("1234567.891"), "eur", "€1,234,567.89 EUR"),
        (Decimal("-10"), "gbp", "£-10.00 GBP"),
        (Decimal("9"), "chf", "9.00 CHF"),
        (Decimal("1.234"), "kwd", "1.234 KWD"),
    ],
)
def test_friendly_currency_amount(amount, currency, expected):
    assert get_friendly_currency_amount(amount, currency) == expected


def test_friendly_minor_amount_respects_zero_decimal_currencies():
    assert friendly_minor_amount(450, "usd") == "$4.50 USD"
    assert friendly_minor_amount(500, "jpy") == "500.00 JPY"
    assert friendly_minor_amount(None, "usd") == "$0.00 USD"


# -- Units -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model,object_name,field,value",
    [
        (Charge, "charge", "amount_refunded", 2000),
        (Charge, "charge", "amount_captured", 1999),
        (Charge, "charge", "application_fee_amount", 123),
        (PaymentIntent, "payment_intent", "amount_received", 1050),
        (Payout, "payout", "amount", 7000),
        (Transfer, "transfer", "amount_reversed", 300),
        (ApplicationFee, "application_fee", "amount_refunded", 25),
        (Dispute, "dispute", "amount", 1000),
        (BalanceTransaction, "balance_transaction", "fee", 59),
    ],
)
def test_a_property_returns_the_amount_as_stripe_sent_it(
    model, object_name, field, value
):
    row = _row(model, object_name, **{field: value})
    assert getattr(row, field) == value
    assert isinstance(getattr(row, field), int)


def test_typed_attributes_are_major_units():
    charge = _row(Charge, "charge", amount=2000, amount_refunded=2000, currency="usd")
    assert charge.amount == Decimal("20.00")
    assert charge.amount_refunded == 2000
    yen = _row(Charge, "charge", amount=2000, currency="jpy")
    assert yen.amount == Decimal("2000")


def test_no_model_property_converts_amounts():
    """The audit: no property of any mirrored model converts minor units."""
    from djstripe.properties import StripeProperty

    converting = [
        f"{model.__name__}.{name}"
        for model in sync.registered().values()
        for name, value in vars(model).items()
        if isinstance(value, StripeProperty) and value.kind == "amount"
    ]
    assert converting == []


# -- __str__ --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"captured": True, "status": "succeeded"}, "$4.50 USD (Succeeded)"),
        ({"captured": False, "status": "succeeded"}, "$4.50 USD (Uncaptured)"),
        ({"captured": True, "disputed": True}, "$4.50 USD (Disputed)"),
        ({"captured": True, "refunded": True}, "$4.50 USD (Refunded)"),
        ({"captured": True, "status": "pending"}, "$4.50 USD (Pending)"),
    ],
)
def test_charge_str(changes, expected):
    base = {"amount": 450, "currency": "usd", "disputed": False, "refunded": False}
    assert str(_row(Charge, "charge", **(base | changes))) == expected


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"name": "Launch"}, "Launch"),
        (
            {"name": None, "percent_off": 25, "duration": "forever"},
            "25% off forever",
        ),
        (
            {
                "name": None,
                "percent_off": None,
                "amount_off": 450,
                "currency": "usd",
                "duration": "once",
            },
            "$4.50 USD off once",
        ),
        (
            {
                "name": None,
                "percent_off": 10,
                "duration": "repeating",
                "duration_in_months": 3,
            },
            "10% off for 3 months",
        ),
        (
            {
                "name": None,
                "percent_off": 10,
                "duration": "repeating",
                "duration_in_months": 1,
            },
            "10% off for 1 month",
        ),
    ],
)
def test_coupon_str_and_human_readable(changes, expected):
    coupon = _row(Coupon, "coupon", **changes)
    assert str(coupon) == expected
    if not changes.get("name"):
        assert coupon.human_readable == expected


@pytest.mark.parametrize(
    "model,object_name,changes,expected",
    [
        (Event, "event", {"id": "evt_1", "type": "charge.paid"}, None),
        (Payout, "payout", {"id": "po_1"}, "<id=po_1>"),
        (Refund, "refund", {"id": "re_1"}, "<id=re_1>"),
        (PaymentIntent, "payment_intent", {"id": "pi_1"}, "<id=pi_1>"),
        (Subscription, "subscription", {"id": "sub_1"}, "<id=sub_1>"),
        (
            TaxRate,
            "tax_rate",
            {"display_name": "VAT", "percentage": 20.0},
            "VAT at 20.0%",
        ),
        (TaxCode, "tax_code", {"id": "txcd_1", "name": "Software"}, "Software: txcd_1"),
        (TaxId, "tax_id", {"type": "eu_vat", "value": "DE123"}, "EU VAT DE123"),
        (Product, "product", {"name": "Gold"}, "Gold"),
        (File, "file", {"filename": "evidence.pdf"}, "evidence.pdf"),
        (FileLink, "file_link", {"url": "https://files.example/x"}, None),
        (
            BalanceTransaction,
            "balance_transaction",
            {"amount": 1999, "currency": "eur", "status": "available"},
            "€19.99 EUR (Available)",
        ),
        (
            Dispute,
            "dispute",
            {"amount": 1000, "currency": "usd", "status": "needs_response"},
            "$10.00 USD (Needs response) ",
        ),
        (
            ShippingRate,
            "shipping_rate",
            {
                "display_name": "Ground",
                "active": False,
                "fixed_amount": {"amount": 500, "currency": "usd"},
            },
            "Ground - $5.00 USD (Archived)",
        ),
        (
            Invoice,
            "invoice",
            {"number": "A-1", "amount_paid": 1250, "currency": "gbp", "status": "paid"},
            "Invoice #A-1 for £12.50 GBP (paid)",
        ),
        (
            InvoiceItem,
            "invoiceitem",
            {"description": "Setup fee"},
            "Setup fee",
        ),
        (
            Transfer,
            "transfer",
            {
                "amount": 1000,
                "currency": "usd",
                "reversed": False,
                "amount_reversed": 100,
            },
            "$10.00 USD Partially Reversed",
        ),
        (
            PaymentMethod,
            "payment_method",
            {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
            "Card ending in 4242",
        ),
        (Source, "source", {"id": "src_1", "type": "card"}, "card src_1"),
        (
            Account,
            "account",
            {
                "settings": {"dashboard": {"display_name": "Shop"}},
                "business_profile": {"name": "Shop Ltd"},
            },
            "Shop",
        ),
    ],
)
def test_str_as_dj_stripe(model, object_name, changes, expected):
    row = _row(model, object_name, **changes)
    if model is Event:
        expected = "type=charge.paid, id=evt_1"
    if model is FileLink:
        expected = "https://files.example/x"
    assert str(row) == expected


def test_price_str_names_its_product():
    sync.upsert(
        [
            stripe_fixture("product", id="prod_gold", name="Gold"),
            stripe_fixture(
                "price",
                id="price_gold",
                product="prod_gold",
                currency="usd",
                unit_amount=1000,
                billing_scheme="per_unit",
                recurring={"interval": "month", "interval_count": 1},
            ),
        ]
    )
    assert str(Price.objects.get(id="price_gold")) == "$10.00 USD/month for Gold"


def test_customer_str_prefers_the_subscriber():
    user = get_user_model().objects.create(username="ada", email="ada@example.com")
    sync.upsert(
        [
            stripe_fixture(
                "customer",
                id="cus_sub",
                name="Ada L.",
                metadata={"djstripe_subscriber": str(user.pk)},
            ),
            stripe_fixture("customer", id="cus_named", name="Grace", metadata={}),
            stripe_fixture(
                "customer", id="cus_bare", name=None, description=None, metadata={}
            ),
        ]
    )
    assert str(Customer.objects.get(id="cus_sub")) == str(user)
    assert str(Customer.objects.get(id="cus_named")) == "Grace"
    assert str(Customer.objects.get(id="cus_bare")) == "cus_bare"


def test_card_str_says_whether_it_is_the_default():
    sync.upsert(
        [
            stripe_fixture(
                "customer",
                id="cus_card",
                default_source="card_1",
                invoice_settings={"default_payment_method": None},
            ),
            stripe_fixture(
                "card",
                id="card_1",
                customer="cus_card",
                brand="Visa",
                last4="4242",
                exp_month=8,
                exp_year=2030,
            ),
            stripe_fixture(
                "card",
                id="card_2",
                customer="cus_card",
                brand="Visa",
                last4="1881",
                exp_month=1,
                exp_year=2031,
            ),
        ]
    )
    assert str(Card.objects.get(id="card_1")) == "Visa 4242 Default Expires 8 2030"
    assert str(Card.objects.get(id="card_2")) == "Visa 1881  Expires 1 2031"


@pytest.mark.parametrize(
    "status,expected",
    [
        ("new", "Pending Verification"),
        ("verified", "Verified"),
        ("verification_failed", "Verification failed"),
        ("errored", "Errored"),
    ],
)
def test_bank_account_human_readable_status(status, expected):
    assert _row(BankAccount, "bank_account", status=status).human_readable_status == (
        expected
    )


def test_transfer_reversal_str_is_its_transfer():
    sync.upsert(
        [
            stripe_fixture(
                "transfer",
                id="tr_1",
                amount=1000,
                currency="usd",
                reversed=True,
                amount_reversed=1000,
            ),
            stripe_fixture("transfer_reversal", id="trr_1", transfer="tr_1"),
        ]
    )
    assert str(TransferReversal.objects.get(id="trr_1")) == "$10.00 USD Reversed"


# -- Models dj-stripe has --------------------------------------------------------------


@pytest.mark.parametrize(
    "object_name,model_name,table",
    [
        (
            "issuing.authorization",
            "IssuingAuthorization",
            "djstripe_issuing_authorization",
        ),
        ("issuing.card", "IssuingCard", "djstripe_issuing_card"),
        ("issuing.cardholder", "IssuingCardholder", "djstripe_issuing_cardholder"),
        ("issuing.dispute", "IssuingDispute", "djstripe_issuing_dispute"),
        ("issuing.transaction", "IssuingTransaction", "djstripe_issuing_transaction"),
        ("identity.verification_session", "VerificationSession", None),
        ("identity.verification_report", "VerificationReport", None),
    ],
)
def test_issuing_and_identity_objects_are_mirrored(object_name, model_name, table):
    from django.contrib import admin

    import djstripe.models

    model = getattr(djstripe.models, model_name)
    assert sync.model_for(object_name) is model
    if table:
        assert model._meta.db_table == table  # a dj-stripe database carries over
    sync.upsert([{"id": "x_1", "object": object_name, "created": 1700000000}])
    assert model.objects.get(id="x_1").created is not None
    assert admin.site.is_registered(model)


def test_issuing_relations_are_filled_before_their_rows_exist():
    from djstripe.models import IssuingTransaction

    sync.upsert(
        [
            {
                "id": "ipi_1",
                "object": "issuing.transaction",
                "authorization": "iauth_1",
                "card": "ic_1",
                "cardholder": "ich_1",
                "type": "capture",
                "currency": "usd",
            }
        ]
    )
    row = IssuingTransaction.objects.get(id="ipi_1")
    assert (row.authorization_id, row.card_id, row.cardholder_id) == (
        "iauth_1",
        "ic_1",
        "ich_1",
    )


def test_verification_session_hides_its_secrets():
    from djstripe.models import VerificationSession

    sync.upsert(
        [
            {
                "id": "vs_1",
                "object": "identity.verification_session",
                "client_secret": "vs_1_secret_abc",
                "url": "https://verify.stripe.com/start/abc",
                "status": "requires_input",
            }
        ]
    )
    session = VerificationSession.objects.get(id="vs_1")
    assert session.client_secret is None and session.url is None
    assert session.status == "requires_input"


def test_file_upload_is_file():
    from djstripe.models import FileUpload

    assert FileUpload is File
    sync.upsert([stripe_fixture("file", id="file_1", object="file_upload")])
    assert FileUpload.objects.get(id="file_1")


def test_idempotency_key():
    import datetime

    from django.utils import timezone

    from djstripe.models import IdempotencyKey

    key = IdempotencyKey.objects.create(action="customer:create:1", livemode=False)
    assert str(key) == str(key.uuid) and not key.is_expired
    IdempotencyKey.objects.filter(pk=key.pk).update(
        created=timezone.now() - datetime.timedelta(hours=25)
    )
    assert IdempotencyKey.objects.get(pk=key.pk).is_expired
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyKey.objects.create(action="customer:create:1", livemode=False)


def test_djstripe_payment_method_and_customer_payment_methods():
    from djstripe.models import DjstripePaymentMethod

    sync.upsert(
        [
            stripe_fixture("customer", id="cus_pm", metadata={}),
            stripe_fixture("card", id="card_a", customer="cus_pm"),
            stripe_fixture("bank_account", id="ba_a", customer="cus_pm"),
        ]
    )
    source = DjstripePaymentMethod.objects.get(id="card_a")
    assert source.type == "card" and isinstance(source.resolve(), Card)
    assert source.object_model is Card
    customer = Customer.objects.get(id="cus_pm")
    assert sorted(type(m).__name__ for m in customer.customer_payment_methods) == [
        "BankAccount",
        "Card",
    ]
    made = DjstripePaymentMethod.from_stripe_object(
        stripe_fixture("card", id="card_b", customer="cus_pm")
    )
    assert isinstance(made, Card) and made.id == "card_b"


# -- sync_from_stripe_data --------------------------------------------------------------


def test_sync_from_stripe_data_fills_relations_of_missing_rows():
    data = stripe_fixture(
        "charge",
        id="ch_rel",
        customer="cus_absent",
        invoice="in_absent",
        payment_intent="pi_absent",
        balance_transaction="txn_absent",
    )
    charge = Charge.sync_from_stripe_data(data)
    assert (
        charge.customer_id,
        charge.invoice_id,
        charge.payment_intent_id,
        charge.balance_transaction_id,
    ) == ("cus_absent", "in_absent", "pi_absent", "txn_absent")
    assert not Customer.objects.filter(id="cus_absent").exists()


def _same_second():
    import datetime

    moment = datetime.datetime(2030, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)
    return sync.use_clock(lambda: moment)


def test_a_same_second_tie_that_stripe_cannot_settle_keeps_the_callers_data(caplog):
    first = stripe_fixture("customer", id="cus_tie", email="old@example.com")
    second = stripe_fixture("customer", id="cus_tie", email="new@example.com")
    with _same_second():
        Customer.sync_from_stripe_data(first)
        # The suite has no network: re-reading from Stripe fails.
        row = Customer.sync_from_stripe_data(second)
    assert row.email == "new@example.com"
    assert Customer.objects.get(id="cus_tie").email == "new@example.com"
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert any(
        "cus_tie" in r.getMessage() and "keeping" in r.getMessage() for r in warnings
    )


def test_a_same_second_tie_is_settled_by_stripe_and_said(fake_stripe, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="djstripe.models.base")
    created = fake_stripe.create("customer", {"email": "stripe@example.com"})
    # The fake's clock stands still: both copies are stamped the same second.
    Customer.sync_from_stripe_data(dict(created, email="a@example.com"))
    row = Customer.sync_from_stripe_data(dict(created, email="b@example.com"))
    assert row.email == "stripe@example.com"  # what Stripe says now
    assert any(
        "re-read from Stripe" in r.getMessage() and created["id"] in r.getMessage()
        for r in caplog.records
    )
