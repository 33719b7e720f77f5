"""Unchanged copies that events embed are confirmed, not rewritten: no row
write, no row lock, and still no roll-back by a late event.

The first tests run on the suite's database (SQLite, or PostgreSQL with
``DATABASE_URL``); the concurrent ones need PostgreSQL.
"""

import datetime
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from djstripe import sync
from djstripe.models import Confirmation, Discount

from .conftest import stripe_fixture

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def at(second: int) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=second)


def discount(percent: float = 10.0) -> dict:
    coupon = stripe_fixture("coupon", id="co_shared", percent_off=percent)
    return stripe_fixture(
        "discount", id="di_shared", coupon=coupon, customer="cus_0", livemode=False
    )


def event(n: int, second: int, embedded: dict, customer: str = "cus_0") -> dict:
    """A ``customer.updated`` event whose customer embeds ``embedded``."""
    carried = stripe_fixture(
        "customer", id=customer, discount=embedded, name=f"v{n}", livemode=False
    )
    return stripe_fixture(
        "event",
        id=f"evt_{n}",
        type="customer.updated",
        created=int(at(second).timestamp()),
        livemode=False,
        data={"object": carried},
    )


def _writes(queries, table: str) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith((f'INSERT INTO "{table}"', f'UPDATE "{table}"'))
    ]


@pytest.mark.django_db
class TestConfirmations:
    def test_an_unchanged_embedded_copy_is_confirmed_not_written(self):
        sync.upsert([event(0, 0, discount())])
        with CaptureQueriesContext(connection) as queries:
            result = sync.upsert([event(1, 5, discount())])
        assert _writes(queries, "djstripe_discount") == []
        assert Discount.objects.get(id="di_shared").djstripe_observed_at == at(0)
        assert list(Confirmation.objects.values_list("stripe_id", "observed_at")) == [
            ("di_shared", at(5))
        ]
        assert sync.observed_stamps(Discount, ["di_shared"]) == {"di_shared": at(5)}
        assert result.unchanged >= 1

    def test_a_late_event_cannot_roll_back_a_confirmed_row(self):
        sync.upsert([event(0, 0, discount(10))])
        sync.upsert([event(1, 5, discount(10))])  # confirmed at 5
        # Older than the confirmation, newer than the row: embedded, carried.
        late = sync.upsert([event(2, 3, discount(20), customer="cus_late")])
        carried = stripe_fixture(
            "event",
            id="evt_3",
            type="customer.discount.updated",
            created=int(at(4).timestamp()),
            livemode=False,
            data={"object": discount(30)},
        )
        later = sync.upsert([carried])
        row = Discount.objects.get(id="di_shared")
        assert row.stripe_data["coupon"]["percent_off"] == 10
        assert (late.stale, later.stale) == (1, 1)

    def test_a_changed_embedded_copy_is_written(self):
        sync.upsert([event(0, 0, discount(10))])
        sync.upsert([event(1, 5, discount(10))])
        result = sync.upsert([event(2, 6, discount(20))])
        row = Discount.objects.get(id="di_shared")
        assert (row.stripe_data["coupon"]["percent_off"], row.djstripe_observed_at) == (
            20,
            at(6),
        )
        assert "djstripe.Discount" in result.written_ids

    def test_a_tombstoned_object_is_not_confirmed(self):
        sync.upsert([event(0, 0, discount())])
        sync.delete("discount", "di_shared", observed_at=at(1))
        sync.upsert([event(1, 5, discount())])
        assert not Confirmation.objects.exists()
        assert not Discount.objects.filter(id="di_shared").exists()

    def test_folding_moves_the_stamps_and_empties_the_table(self):
        sync.upsert([event(0, 0, discount())])
        for n in range(1, 4):
            sync.upsert([event(n, n * 2, discount())])
        Confirmation.objects.create(
            stripe_id="di_gone", object_type="discount", observed_at=at(1)
        )
        assert Confirmation.objects.count() == 4
        before = sync.observed_stamps(Discount, ["di_shared"])
        assert sync.fold_confirmations() == 4
        assert not Confirmation.objects.exists()
        assert Discount.objects.get(id="di_shared").djstripe_observed_at == at(6)
        assert sync.observed_stamps(Discount, ["di_shared"]) == before
        # The gate still turns an older copy down.
        assert sync.upsert([event(9, 5, discount(20), customer="cus_9")]).stale == 1


# -- Concurrent writers (PostgreSQL) ----------------------------------------------

on_postgresql = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers"
    ),
]


def _in_thread(job) -> threading.Thread:
    def run():
        try:
            job()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


class TestConcurrentWriters:
    pytestmark = on_postgresql

    def test_writers_of_one_shared_copy_do_not_wait_for_each_other(self):
        """A writer that confirmed the shared discount holds its transaction
        open; another event embedding it completes meanwhile. (Before, the
        second writer queued on the discount's row lock until the first
        committed: here it would hit ``lock_timeout``.)"""
        sync.upsert([event(0, 0, discount())])
        confirmed, release, errors = threading.Event(), threading.Event(), []

        def first():
            try:
                with transaction.atomic():
                    sync.upsert([event(1, 5, discount(), customer="cus_1")])
                    confirmed.set()
                    release.wait(timeout=30)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                confirmed.set()

        thread = _in_thread(first)
        try:
            assert confirmed.wait(timeout=30)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '5s'")
                result = sync.upsert([event(2, 6, discount(), customer="cus_2")])
        finally:
            release.set()
            thread.join(timeout=30)
        assert errors == []
        assert result.unchanged >= 1
        assert sync.observed_stamps(Discount, ["di_shared"]) == {"di_shared": at(6)}

    def test_a_writer_waits_for_an_open_confirmation_and_sees_it(self):
        """A newer event has confirmed the discount unchanged and not committed
        yet; an older event that changed it tries to write. The writer waits
        for the confirmer (not for a row lock: there is none), then sees the
        confirmation and is turned down."""
        sync.upsert([event(0, 0, discount(10))])
        results, errors = [], []

        def older():
            try:
                results.append(
                    sync.upsert([event(2, 3, discount(20), customer="cus_2")])
                )
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        with transaction.atomic():
            sync.upsert([event(1, 5, discount(10), customer="cus_1")])
            thread = _in_thread(older)
            _wait_for_a_lock_waiter()
        thread.join(timeout=30)
        assert errors == []
        assert results[0].stale == 1
        row = Discount.objects.get(id="di_shared")
        assert (row.stripe_data["coupon"]["percent_off"], row.djstripe_observed_at) == (
            10,
            at(0),
        )
        assert sync.observed_stamps(Discount, ["di_shared"]) == {"di_shared": at(5)}

    def test_a_copy_of_a_row_being_written_waits_and_is_not_confirmed(self):
        """An open transaction has changed the row (older data). The newer
        copy matches what is committed, but waits for the writer before it
        confirms, then finds the row changed and writes instead."""
        sync.upsert([event(0, 0, discount(10))])
        written, errors = threading.Event(), []

        def older():
            try:
                with transaction.atomic():
                    sync.upsert([event(2, 3, discount(20), customer="cus_2")])
                    written.set()
                    _wait_for_a_lock_waiter()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                written.set()

        thread = _in_thread(older)
        assert written.wait(timeout=30)
        sync.upsert([event(1, 5, discount(10), customer="cus_1")])
        thread.join(timeout=30)
        assert errors == []
        row = Discount.objects.get(id="di_shared")
        assert (row.stripe_data["coupon"]["percent_off"], row.djstripe_observed_at) == (
            10,
            at(5),
        )
        assert not Confirmation.objects.filter(stripe_id="di_shared").exists()


def _wait_for_a_lock_waiter() -> None:
    """Return once another session waits on a lock (the test's other writer):
    a condition, polled, not a timed pause."""
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=20)
    with connections["default"].cursor() as cursor:
        while datetime.datetime.now() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
    raise AssertionError("the other writer never waited for the row lock")


@pytest.mark.django_db
def test_pruning_webhooks_folds_the_confirmations():
    from io import StringIO

    from django.core.management import call_command

    sync.upsert([event(0, 0, discount())])
    sync.upsert([event(1, 5, discount(), customer="cus_1")])
    out = StringIO()
    call_command("djstripe_prune_webhooks", stdout=out)
    assert "Folded 1 confirmation(s)" in out.getvalue()
    assert not Confirmation.objects.exists()
    assert Discount.objects.get(id="di_shared").djstripe_observed_at == at(5)
