"""The engine under concurrent writers (PostgreSQL: SQLite serialises writers)."""

import datetime
import threading

import pytest
from django.db import connection, connections

from djstripe import sync
from djstripe.models import Customer

from .conftest import stripe_fixture

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL for concurrent writers",
    ),
]


def _run_concurrently(jobs) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def run(job):
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_concurrent_observations_converge_on_the_newest():
    ids = [f"cus_{n:03d}" for n in range(50)]

    def writer(second: int):
        def job():
            batch = [
                stripe_fixture("customer", id=i, email=f"{second}@example.com")
                for i in ids
            ]
            # Each writer sends the batch in its own order.
            batch = batch[second % 7 :] + batch[: second % 7]
            sync.upsert(batch, observed_at=T0 + datetime.timedelta(seconds=second))

        return job

    errors = _run_concurrently([writer(second) for second in range(1, 9)])

    assert errors == []
    assert Customer.objects.count() == 50
    assert set(Customer.objects.values_list("email", flat=True)) == {"8@example.com"}
