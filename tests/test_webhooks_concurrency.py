"""Several workers processing events for the same objects at once (PostgreSQL)."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection, connections

from djstripe import stripe_api
from djstripe.models import Customer, Event
from djstripe.webhooks import handler_all, registry
from djstripe.webhooks.processing import apply_event

from .conftest import stripe_fixture
from .webhook_utils import T0, ScriptedStripe, make_event

WORKERS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_processing_creates_no_duplicates_and_newest_wins():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite serializes writers, so there is no race to test"
        )
    events, finals = [], {}
    for n in range(3):
        for version in range(10):
            email = f"c{n}-v{version}@x.com"
            obj = stripe_fixture("customer", id=f"cus_c{n}", email=email)
            events.append(make_event("customer.updated", obj, T0 + version))
            finals[f"cus_c{n}"] = email
    delivered = events + random.Random(5).sample(events, 10)  # redeliveries too
    random.Random(7).shuffle(delivered)
    queue = list(delivered)
    lock = threading.Lock()
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []
    calls: Counter = Counter()

    def worker():
        try:
            start.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    event = queue.pop()
                apply_event(event)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    with registry.isolated(), stripe_api.use_http_client(ScriptedStripe()) as stripe:
        handler_all(lambda event, **kw: calls.update([event.id]))
        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert Customer.objects.count() == 3
    assert {c.id: c.email for c in Customer.objects.all()} == finals
    assert Event.objects.count() == len(events)
    assert set(calls.values()) == {1}  # each event's handlers ran exactly once
    assert stripe.calls == []
