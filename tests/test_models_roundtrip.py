"""Stripe's example object of every mirrored type goes through the engine and
comes back as a row with its relations resolved; deletion follows the type."""

import datetime

import pytest

from djstripe import sync
from djstripe.fields import StripeForeignKey, get_path, stripe_id_of
from djstripe.models import (
    ApplicationFee,
    Card,
    Charge,
    Customer,
    DjstripePaymentSource,
    Invoice,
    LineItem,
    Price,
    Subscription,
    Transfer,
)

from .conftest import _FIXTURES, stripe_fixture

pytestmark = pytest.mark.django_db

MODELS = sorted(
    {model for name, model in sync.registered().items() if name in _FIXTURES},
    key=lambda model: model.__name__,
)


def _fixture(model) -> dict:
    data = stripe_fixture(model.stripe_object_name)
    data["id"] = data.get("id") or f"{model.__name__.lower()}_1"
    return data


def _all_fixtures() -> list[dict]:
    return [_fixture(model) for model in MODELS]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_fixture_round_trip(model):
    data = _fixture(model)
    result = sync.upsert([data])
    assert data["id"] in result.written_ids[model._meta.label]

    row = model._base_manager.get(id=data["id"])
    assert row.stripe_data == sync.normalize(model, data)
    assert row.livemode == data.get("livemode")
    for field in model._meta.concrete_fields:
        if isinstance(field, StripeForeignKey) and field.name != "djstripe_owner_account":
            raw = stripe_id_of(get_path(data, field.stripe_path or field.name))
            if raw and field.name != model.stripe_parent_field:
                assert getattr(row, field.attname) == raw, field.name

    # Mirroring the same object again changes nothing.
    again = sync.upsert([_fixture(model)])
    assert again.written == 0


def test_relations_resolve_across_the_fixture_set():
    sync.upsert(_all_fixtures())
    resolved = 0
    for model in MODELS:
        for row in model._base_manager.all():
            for field in model._meta.concrete_fields:
                if (
                    not isinstance(field, StripeForeignKey)
                    or field.name == "djstripe_owner_account"
                ):
                    continue
                target_id = getattr(row, field.attname)
                if target_id and field.related_model._base_manager.filter(id=target_id).exists():
                    assert getattr(row, field.name).id == target_id
                    resolved += 1
    assert resolved >= 15

    customer = Customer.objects.get(id="cus_QXg1o8vcGmoR32")
    invoice = Invoice.objects.get(id="in_1Pgc6tB7WZ01zgkWu9fdqL6I")
    assert invoice.customer == customer
    assert customer.invoices.filter(id=invoice.id).exists()
    assert customer.tax_ids.count() == 1
    assert Charge.objects.get(id="ch_1PgafuB7WZ01zgkWXYmPNZs8").refunds.count() == 1
    assert Transfer.objects.get().reversals.count() == 1
    assert ApplicationFee.objects.get().refunds.count() == 1
    assert ApplicationFee.objects.get().charge.id == "ch_1PgafuB7WZ01zgkWXYmPNZs8"


def test_embedded_lists_become_rows_of_their_own():
    invoice = stripe_fixture("invoice")
    subscription = stripe_fixture("subscription")
    sync.upsert([invoice, subscription])

    row = Invoice.objects.get(id=invoice["id"])
    assert [line.id for line in row.lines.all()] == [invoice["lines"]["data"][0]["id"]]
    sub = Subscription.objects.get(id=subscription["id"])
    item = sub.items.get()
    assert item.price.id == subscription["items"]["data"][0]["price"]["id"]
    assert Price.objects.filter(id=item.price_id).exists()


def test_nested_child_inherits_its_parent_when_its_data_does_not_name_it():
    invoice = stripe_fixture("invoice", id="in_parent")
    for line in invoice["lines"]["data"]:
        del line["invoice"]  # API versions before 2025 do not repeat it
    sync.upsert([invoice])
    line = LineItem.objects.get()
    assert line.invoice_id == "in_parent"
    assert "invoice" not in line.stripe_data  # the stored object stays Stripe's


def test_child_of_a_summary_inherits_what_the_summary_names():
    summary = {
        "object": "entitlements.active_entitlement_summary",
        "customer": "cus_1",
        "entitlements": {
            "object": "list",
            "data": [stripe_fixture("entitlements.active_entitlement")],
        },
    }
    sync.upsert([summary])
    sync.upsert([stripe_fixture("customer", id="cus_1", discount=None)])
    assert Customer.objects.get(id="cus_1").entitlements == ["something"]


def test_payment_sources_come_back_as_their_concrete_type():
    card = stripe_fixture("card", id="card_1", customer="cus_1")
    charge = stripe_fixture("charge", id="ch_1", source=card, customer="cus_1")
    customer = stripe_fixture("customer", id="cus_1", default_source=card, discount=None)
    sync.upsert([charge, customer])

    assert type(Charge.objects.get(id="ch_1").source) is Card
    assert type(Customer.objects.get(id="cus_1").default_source) is Card
    assert [type(s) for s in DjstripePaymentSource.objects.all()] == [Card]
    assert Card.objects.get().customer.id == "cus_1"

    # An update goes through the multi-table path and changes both tables.
    sync.upsert([dict(card, last4="0005", metadata={"a": "b"})])
    card_row = Card.objects.get()
    assert (card_row.last4, card_row.metadata) == ("0005", {"a": "b"})


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_delete(model):
    data = _fixture(model)
    sync.upsert([data])
    when = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    sync.delete(model.stripe_object_name, data["id"], observed_at=when)
    rows = model._base_manager.filter(id=data["id"])
    if model is Customer:
        assert rows.get().date_purged == when
    else:
        assert not rows.exists()
    # Nothing brings it back.
    sync.upsert([_fixture(model)])
    assert rows.count() == (1 if model is Customer else 0)
