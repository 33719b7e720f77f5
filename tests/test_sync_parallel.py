"""Parallel back-fill: types and ``created`` ranges in worker threads.

Worker threads use their own database connections, which an in-memory SQLite
test database cannot share, so these run on PostgreSQL only, with committed
transactions (``transaction=True``).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from djstripe import stripe_api, sync
from djstripe.models import Customer, Product, SyncCheckpoint
from djstripe.sync import plan
from djstripe.sync.backfill import backfill

from .test_sync_backfill import Tap

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (threads)"
    ),
]


def spread(fake, object_name: str, n: int, step: int = 10) -> list[dict]:
    """``n`` objects created ``step`` seconds apart."""
    made = []
    for i in range(n):
        fake.advance(step)
        fields = {"email": f"c{i}@example.com"} if object_name == "customer" else {}
        made.append(fake.insert(object_name, {**fields, "name": f"n{i}"}))
    return made


def test_types_and_ranges_run_in_parallel(fake_stripe):
    start = fake_stripe.now
    customers = spread(fake_stripe, "customer", 400)
    spread(fake_stripe, "product", 150)
    threads: set[int] = set()

    def note(method, path, n):
        if path in ("/v1/customers", "/v1/products"):
            threads.add(threading.get_ident())

    with stripe_api.use_http_client(Tap(fake_stripe, note)):
        report = backfill([Customer, Product], since=start, workers=4)

    assert len(threads) > 1
    assert report.types["Customer"].fetched == 400  # ranges are disjoint
    assert report.types["Product"].fetched == 150
    assert set(Customer.objects.values_list("id", flat=True)) == {
        c["id"] for c in customers
    }
    assert Product.objects.count() == 150
    rows = SyncCheckpoint.objects.filter(object_type="customer")
    assert rows.count() == 4 and all(r.done for r in rows)
    assert sorted((r.created_gte, r.created_lt) for r in rows)[0][0] == start
    assert report.replay.events == 0


def test_a_resumed_parallel_run_refetches_only_unfinished_ranges(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    start = fake_stripe.now
    made = spread(fake_stripe, "customer", 800)
    failed = threading.Event()

    def fail_one_range_once(method, path, n):
        if path == "/v1/customers" and n == 3 and not failed.is_set():
            failed.set()
            fake_stripe.fail_next(1, status=500)

    with stripe_api.use_http_client(Tap(fake_stripe, fail_one_range_once)):
        first = backfill([Customer], since=start, workers=4)
    assert first.types["Customer"].errors == 1
    pending = SyncCheckpoint.objects.filter(object_type="customer", done=False)
    assert pending.count() == 1
    row = pending.get()
    in_range = [
        c
        for c in made
        if c["created"] >= row.created_gte
        and (row.created_lt is None or c["created"] < row.created_lt)
    ]
    left = len(in_range) - row.fetched  # the ranges hold about 200 each

    second = backfill([Customer], since=start, workers=4)

    assert second.types["Customer"].status == "resumed"
    assert second.types["Customer"].fetched == left
    assert Customer.objects.count() == 800
    assert SyncCheckpoint.objects.filter(object_type="customer", done=True).count() == 4


def test_the_mirror_guides_the_split_of_later_runs(fake_stripe, monkeypatch):
    spread(fake_stripe, "customer", 400)
    backfill([Customer], workers=1)  # the first run knows nothing: one range
    assert SyncCheckpoint.objects.filter(object_type="customer").count() == 1

    monkeypatch.setattr(plan, "SPLIT_SIZE", 100)
    fake_stripe.advance(60)
    report = backfill([Customer], workers=4)

    rows = SyncCheckpoint.objects.filter(object_type="customer").order_by("created_gte")
    assert [(r.created_gte == 0, r.created_lt is None) for r in rows] == [
        (True, False),
        (False, False),
        (False, False),
        (False, True),
    ]
    stats = report.types["Customer"]
    assert (stats.fetched, stats.written, stats.unchanged) == (400, 0, 400)


def test_inside_a_transaction_the_calling_thread_does_the_work(
    fake_stripe, monkeypatch
):
    from django.db import transaction

    spread(fake_stripe, "customer", 150)
    threads: set[str] = set()
    real = sync.engine.upsert

    def note(objects, **kwargs):
        threads.add(threading.current_thread().name)
        return real(objects, **kwargs)

    monkeypatch.setattr(sync.engine, "upsert", note)
    with transaction.atomic():
        backfill([Customer], since=0, workers=4)
        assert Customer.objects.count() == 150
    # Every write was in the calling thread (requests may come from others).
    assert threads == {threading.current_thread().name}


def test_lists_under_a_parent_start_once_their_parents_are_mirrored(fake_stripe):
    from djstripe.models import Card, PaymentMethod, TaxId

    from .crosscheck.accounts import populate

    made = populate(fake_stripe.client(), customers=3, items=2, lines=0)
    report = backfill([Customer, PaymentMethod, Card, TaxId, Product], workers=4)
    assert report.errors == 0, report.table()
    for model in (Customer, PaymentMethod, Card, TaxId):
        ids = set(model.objects.values_list("id", flat=True))
        assert made[model.__name__] <= ids
    customers = report.types["Customer"]
    for name in ("customers/*/payment_methods", "customers/*/sources"):
        assert report.types[name].started >= customers.finished
