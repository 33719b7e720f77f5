"""Several workers draining one queue of stored requests at once (PostgreSQL)."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter

import pytest
from django.db import connection, connections

from djstripe import stripe_api
from djstripe.models import Customer, Event, WebhookEventTrigger
from djstripe.webhooks import handler_all, registry
from djstripe.webhooks.drain import drain

from .conftest import stripe_fixture
from .webhook_utils import T0, ScriptedStripe, make_event

WORKERS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_process_each_request_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers (one worker there)")
    events, finals = [], {}
    for n in range(8):
        for version in range(8):
            email = f"c{n}-v{version}@x.com"
            obj = stripe_fixture("customer", id=f"cus_w{n}", email=email)
            events.append(make_event("customer.updated", obj, T0 + version))
            finals[f"cus_w{n}"] = email
    delivered = events + random.Random(5).sample(events, 16)  # redeliveries too
    random.Random(7).shuffle(delivered)
    WebhookEventTrigger.objects.bulk_create(
        WebhookEventTrigger(
            valid=True, body=json.dumps(e), event_id=e["id"], event_type=e["type"]
        )
        for e in delivered
    )
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []
    calls: Counter = Counter()
    claimed: list[int] = []

    def worker():
        try:
            start.wait()
            while (report := drain(5)).claimed:
                claimed.append(report.claimed)
                assert report.failed == []
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
            thread.join(timeout=120)

    assert errors == []
    assert sum(claimed) == len(delivered)  # no request claimed twice
    assert len(claimed) >= len(delivered) // 5  # in batches of at most 5
    assert not WebhookEventTrigger.objects.filter(processed=False).exists()
    assert Event.objects.count() == len(events)
    assert calls == Counter(e["id"] for e in events)  # each handler ran once
    assert {c.id: c.email for c in Customer.objects.all()} == finals
    assert stripe.calls == []
