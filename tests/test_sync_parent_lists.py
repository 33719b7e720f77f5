"""Back-fill of the collections Stripe lists only under a parent object."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from djstripe import stripe_api
from djstripe.models import (
    Card,
    Customer,
    Invoice,
    LineItem,
    PaymentMethod,
    Subscription,
    SubscriptionItem,
    SyncCheckpoint,
    TaxId,
)
from djstripe.sync.backfill import ParentList, backfill, resolve_models
from djstripe.sync.plan import parent_lists_of

from .crosscheck.accounts import populate
from .test_sync_backfill import StatusTap, Tap

pytestmark = pytest.mark.django_db


@pytest.fixture
def tax_ids_only_under_customers(monkeypatch):
    """The fake's ``/v1/tax_ids`` lists customers' tax ids too (Stripe's
    lists the account's own): keep it out, to see the per-customer lists."""
    monkeypatch.setattr(TaxId, "stripe_listable", False)


MODELS = [
    Customer,
    PaymentMethod,
    Card,
    TaxId,
    Subscription,
    SubscriptionItem,
    Invoice,
    LineItem,
]


def mirrored(model) -> set[str]:
    return set(model.objects.values_list("id", flat=True))


def test_every_object_under_every_parent_is_mirrored(fake_stripe):
    made = populate(fake_stripe.client(), customers=3, items=12, lines=12)
    # The subscription's first invoice has 12 lines, the other invoice too.
    assert (len(made["SubscriptionItem"]), len(made["LineItem"])) == (12, 24)

    report = backfill(MODELS)

    assert report.errors == 0, report.table()
    for name, ids in made.items():
        model = next(m for m in MODELS if m.__name__ == name)
        assert ids <= mirrored(model), name
    assert len(mirrored(Card)) == 6 and len(mirrored(TaxId)) == 6
    # Each object knows its parent.
    for pm in PaymentMethod.objects.filter(id__in=made["PaymentMethod"]):
        assert pm.customer_id in made["Customer"]
    assert {i.subscription_id for i in SubscriptionItem.objects.all()} == made[
        "Subscription"
    ]
    assert LineItem.objects.filter(invoice_id__in=made["Invoice"]).count() == 24


def test_each_list_is_asked_once_per_parent_through_its_documented_endpoint(
    fake_stripe,
):
    made = populate(fake_stripe.client(), customers=2, items=3, lines=0)
    [customer, other] = sorted(made["Customer"])
    with stripe_api.counter.counting() as requests:
        backfill([Customer, PaymentMethod, TaxId, Subscription, SubscriptionItem])
    by_endpoint = requests.by_endpoint
    for cus in (customer, other):
        assert by_endpoint[f"GET /v1/customers/{cus}/payment_methods"] == 1
        assert by_endpoint[f"GET /v1/customers/{cus}/tax_ids"] == 1
    # The subscription embeds its 3 items with has_more: false: no request.
    assert "GET /v1/subscription_items" not in by_endpoint
    assert len(mirrored(SubscriptionItem)) == 3


def test_a_parents_list_is_skipped_only_when_its_embedded_copy_is_complete(
    fake_stripe,
):
    populate(fake_stripe.client(), customers=1, items=12, lines=0)
    with stripe_api.counter.counting() as requests:
        backfill([Subscription, SubscriptionItem, Invoice, LineItem])
    # Both embedded lists stop at 10 of 12 (has_more: true): listed in full.
    assert requests.by_endpoint["GET /v1/subscription_items"] == 1
    assert len(mirrored(SubscriptionItem)) == len(mirrored(LineItem)) == 12


def add_customers_with_tax_ids(fake, n: int) -> list[str]:
    ids = []
    for i in range(n):
        customer = fake.insert("customer", {"email": f"c{i}@example.com"})
        fake.insert("tax_id", {"customer": customer["id"], "value": f"DE{i:09d}"})
        ids.append(customer["id"])
    return ids


def test_many_parents_are_written_in_one_upsert_per_batch(
    fake_stripe, tax_ids_only_under_customers
):
    add_customers_with_tax_ids(fake_stripe, 150)
    backfill([Customer], gap_free=False)
    with CaptureQueriesContext(connection) as queries:
        report = backfill([TaxId], gap_free=False)
    stats = report.types["customers/*/tax_ids"]
    assert (stats.fetched, stats.written, stats.errors) == (150, 150, 0)
    assert stats.requests == 150
    # Two batches of parents: a handful of queries each, not one per parent.
    assert len(queries) <= 40


def test_an_interrupted_parent_list_resumes_after_the_last_batch(
    fake_stripe, settings, tax_ids_only_under_customers
):
    settings.DJSTRIPE_MAX_RETRIES = 0
    ids = sorted(add_customers_with_tax_ids(fake_stripe, 250))
    backfill([Customer], gap_free=False)
    failing = ids[180]  # in the second batch of 100 parents

    def fail_once(method, path, n):
        if path == f"/v1/customers/{failing}/tax_ids" and n == 1:
            fake_stripe.fail_next(1, status=500)

    with stripe_api.use_http_client(Tap(fake_stripe, fail_once)):
        first = backfill([TaxId], gap_free=False)
    assert first.errors == 1
    assert 100 <= len(mirrored(TaxId)) < 250
    row = SyncCheckpoint.objects.get(object_type__endswith="/tax_ids")
    assert row.cursor == ids[99] and not row.done

    with stripe_api.counter.counting() as requests:
        second = backfill([TaxId], gap_free=False)
    stats = second.types["customers/*/tax_ids"]
    assert stats.resumed and stats.errors == 0
    assert len(mirrored(TaxId)) == 250
    # Only the parents after the checkpoint were asked again.
    assert requests.total == 150


def test_a_parent_deleted_in_stripe_is_passed_over(fake_stripe):
    made = populate(fake_stripe.client(), customers=2, items=1, lines=0)
    backfill([Customer], gap_free=False)
    gone = sorted(made["Customer"])[0]
    fake_stripe.client().v1.customers.delete(gone)
    report = backfill([PaymentMethod], gap_free=False)
    assert report.errors == 0
    kept = PaymentMethod.objects.exclude(customer_id=gone)
    assert kept.count() == 3


def test_a_list_the_account_lacks_is_skipped(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    fake_stripe.insert("customer", {"email": "a@example.com"})
    backfill([Customer], gap_free=False)
    customer_id = Customer.objects.get().id
    path = f"/v1/customers/{customer_id}/tax_ids"
    with stripe_api.use_http_client(StatusTap(fake_stripe, {path: 403})):
        report = backfill([TaxId], gap_free=False)
    stats = report.types["customers/*/tax_ids"]
    assert stats.skipped == "the key may not read it (403)"
    assert report.errors == 0


def test_declarations_are_deduplicated_and_name_documented_endpoints():
    lists = parent_lists_of(resolve_models(["Card", "BankAccount", "Source"]))
    [(spec, holders)] = lists.items()
    assert spec == ParentList("customer", "/v1/customers/{id}/sources", "sources")
    assert {m.__name__ for m in holders} == {"Card", "BankAccount", "Source"}
    path, params = ParentList(
        "subscription", "/v1/subscription_items?subscription={id}"
    ).request("sub_1")
    assert (path, params) == ("/v1/subscription_items", {"subscription": "sub_1"})
    # A hostile id cannot leave its path segment.
    path, _ = spec.request("../v1/charges?x=")
    assert path == "/v1/customers/..%2Fv1%2Fcharges%3Fx%3D/sources"
