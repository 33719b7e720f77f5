"""Task mode with a batch size: a burst of requests queues one drain task.

The view queues ``drain_webhook_triggers`` only when no drain is queued and
not yet started (the ``QueuedDrain`` row); the drain deletes that row before
it claims, then drains until nothing is left. See djstripe.webhooks.drain.
"""

from __future__ import annotations

import datetime
import json
import queue
import random
import threading
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections
from django.test import override_settings
from django.test.client import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from djstripe import signals, tasks
from djstripe.models import Event, QueuedDrain, WebhookEventTrigger
from djstripe.webhooks import handler
from djstripe.webhooks.drain import (
    STALE_QUEUED_DRAIN,
    drain,
    drain_all,
    forget_drain,
    want_drain,
)

from .conftest import stripe_fixture
from .test_webhooks_drain import calls, customer_events, emails, isolated, store
from .webhook_utils import T0, make_event, post

__all__ = ["calls", "isolated"]  # fixtures, shared with test_webhooks_drain

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
#: Task mode, draining in batches, with Django Tasks' database queue.
DRAINS = override_settings(
    DJSTRIPE_WEBHOOK_PROCESSING="task",
    DJSTRIPE_WEBHOOK_BATCH_SIZE=5,
    TASKS=DATABASE,
)
#: db_worker closes database connections between tasks: these tests commit.
worker_db = pytest.mark.django_db(transaction=True)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


class Queue:
    """Stands in for the drain task: ``enqueue`` calls ``enqueue``."""

    def __init__(self, enqueue):
        self.enqueue = enqueue


def drain_tasks():
    return DBTaskResult.objects.filter(
        task_path=tasks.drain_webhook_triggers.module_path
    )


# -- The flag --------------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_first_request_of_a_burst_queues_a_drain():
    assert want_drain() is True
    assert want_drain() is False
    assert want_drain() is False
    assert QueuedDrain.objects.count() == 1
    forget_drain()  # the drain started: the next request queues another
    assert want_drain() is True
    assert want_drain() is False


@pytest.mark.django_db
def test_a_drain_queued_too_long_ago_is_queued_again():
    assert want_drain() is True
    long_ago = timezone.now() - STALE_QUEUED_DRAIN - datetime.timedelta(seconds=1)
    QueuedDrain.objects.update(queued=long_ago)
    assert want_drain() is True  # its task may be lost: queue another
    assert QueuedDrain.objects.get().queued > long_ago
    assert want_drain() is False


# -- Through the view and the worker ---------------------------------------------


@worker_db
@DRAINS
def test_a_burst_of_requests_is_one_task_that_drains_them_all(client, calls):
    events, finals = customer_events(customers=3, versions=4)
    for event in events:
        assert post(client, event).status_code == 200
    assert not Event.objects.exists()  # answered before anything was applied
    assert drain_tasks().count() == 1

    run_worker()

    assert emails() == finals
    assert calls == Counter(event["id"] for event in events)
    assert not WebhookEventTrigger.objects.filter(processed=False).exists()
    assert not QueuedDrain.objects.exists()
    # The first batch was full: the drain queued a second one for an idle
    # worker (here the same one, after it), which found nothing left.
    first, second = drain_tasks().order_by("enqueued_at")
    assert (first.status, second.status) == ("SUCCESSFUL", "SUCCESSFUL")
    assert first.return_value.startswith("claimed 12, processed 12")
    assert second.return_value.startswith("claimed 0,")

    # The drain has started (and finished): the next request queues another.
    late = make_event(
        "customer.updated", stripe_fixture("customer", id="cus_d0"), T0 + 10
    )
    post(client, late)
    assert drain_tasks().count() == 3
    run_worker()
    assert calls[late["id"]] == 1


@worker_db
@DRAINS
def test_a_request_stored_after_the_drain_started_is_not_stranded(
    client, calls, monkeypatch
):
    """A request that arrives while a drain runs (after it cleared the flag)
    queues the next drain, which processes it."""
    events, finals = customer_events(customers=2, versions=2)
    first, *others = events
    post(client, first)
    real_drain = drain
    arrived = []

    def drain_while_a_request_arrives(limit=None):
        if not arrived:  # the flag is cleared, the first batch not yet claimed
            arrived.extend(post(Client(), e).status_code for e in others)
        return real_drain(limit)

    monkeypatch.setattr("djstripe.webhooks.drain.drain", drain_while_a_request_arrives)
    run_worker()

    assert arrived == [200, 200, 200]
    assert drain_tasks().count() == 2  # the second was queued by a late request
    assert emails() == finals
    assert calls == Counter(event["id"] for event in events)
    assert not WebhookEventTrigger.objects.filter(processed=False).exists()


@worker_db
@override_settings(DJSTRIPE_WEBHOOK_TASK_MAX_ATTEMPTS=3)
@DRAINS
def test_a_failure_in_a_drain_is_retried_on_its_own_schedule(client, calls):
    broken = True

    @handler("customer.updated")
    def flaky(event, **kwargs):
        if broken and event.data["object"]["id"] == "cus_d1":
            raise RuntimeError("not yet")

    events, _ = customer_events(customers=2, versions=1)
    for event in events:
        post(client, event)
    before = timezone.now()
    run_worker()

    failed = WebhookEventTrigger.objects.get(event_id=events[1]["id"])
    assert not failed.processed and "not yet" in failed.exception
    assert WebhookEventTrigger.objects.get(event_id=events[0]["id"]).processed
    retry = DBTaskResult.objects.get(
        task_path=tasks.process_webhook_trigger.module_path
    )
    assert retry.status == "READY" and retry.args_kwargs["args"] == [failed.pk, 2]
    assert retry.run_after >= before + tasks.retry_delay(1)
    assert drain(5).claimed == 0  # tried once: no drain picks it up again

    broken = False
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    failed.refresh_from_db()
    assert failed.processed and failed.attempts == 2
    # Handlers ran once per attempt of the failed event, once for the other.
    assert calls == Counter({events[0]["id"]: 1, events[1]["id"]: 2})


@worker_db
@DRAINS
def test_a_drain_that_cannot_be_queued_is_queued_by_the_next_request(
    client, monkeypatch, calls
):
    events, finals = customer_events(customers=1, versions=2)

    def down():
        raise ConnectionError("queue down")

    with monkeypatch.context() as patch:
        patch.setattr(tasks, "drain_webhook_triggers", Queue(down))
        response = post(client, events[0])
    assert response.status_code == 503
    assert not QueuedDrain.objects.exists()  # not left marked as queued

    assert post(client, events[1]).status_code == 200
    assert drain_tasks().count() == 1
    run_worker()
    assert emails() == finals  # the stored first request was drained too
    assert calls == Counter(event["id"] for event in events)


@pytest.mark.django_db
def test_drain_all_drains_batches_until_nothing_is_left(calls):
    handler("customer.updated")(
        lambda event, **kw: 1 / 0 if event.data["object"]["id"] == "cus_d2" else None
    )
    events, _ = customer_events(customers=3, versions=3)
    for event in events:
        store(event)
    want_drain()

    report = drain_all(2)

    assert report.claimed == 9 and report.processed == 6
    assert len(report.failed) == 3  # tried once, left to their retries
    assert not QueuedDrain.objects.exists()
    assert not WebhookEventTrigger.objects.filter(processed=False, attempts=0).exists()


@pytest.mark.django_db
def test_a_drain_asks_for_help_after_each_full_batch(calls):
    events, _ = customer_events(customers=1, versions=5)
    for event in events:
        store(event)
    asked = []
    report = drain_all(2, backlog=lambda: asked.append(1))
    assert report.claimed == 5 and len(asked) == 2  # batches of 2, 2 and 1
    assert calls == Counter(event["id"] for event in events)


@pytest.mark.django_db
@override_settings(
    DJSTRIPE_WEBHOOK_PROCESSING="task",
    DJSTRIPE_WEBHOOK_BATCH_SIZE=2,
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
)
def test_with_a_backend_that_runs_tasks_at_once_help_does_not_nest(
    client, calls, monkeypatch
):
    events, finals = customer_events(customers=2, versions=3)
    for event in events[:-1]:
        store(event)  # a backlog
    started = []

    def counting(limit=None, *, backlog=None):
        started.append(backlog is not None)
        return drain_all(limit, backlog=backlog)

    monkeypatch.setattr("djstripe.webhooks.drain.drain_all", counting)
    assert post(client, events[-1]).status_code == 200
    # The request's drain asked for help once; the helper, run at once
    # inside that call, drained the rest and asked no further.
    assert started == [True, False]
    assert emails() == finals
    assert calls == Counter(event["id"] for event in events)


@pytest.mark.django_db
def test_a_batch_records_each_request_as_processed():
    events, _ = customer_events(customers=2, versions=1)
    queued_once = store(events[0], exception="Could not queue: ConnectionError")
    unlabeled = store(json.dumps(events[1]))  # stored without its event's id
    report = drain(10)
    assert report.batched == 2
    for trigger, event in ((queued_once, events[0]), (unlabeled, events[1])):
        trigger.refresh_from_db()
        assert trigger.processed and trigger.valid and trigger.attempts == 1
        assert (trigger.exception, trigger.traceback) == ("", "")
        assert (trigger.event_id, trigger.event_type) == (event["id"], event["type"])


# -- Signals ------------------------------------------------------------------------


@pytest.mark.django_db
def test_pre_process_is_sent_once_when_a_batch_falls_back_to_one_by_one(
    monkeypatch, calls
):
    events, finals = customer_events(customers=2, versions=2)
    for event in events:
        store(event)
    sent: Counter = Counter()

    def receiver(sender, event_data, trigger, **kwargs):
        sent.update([event_data["id"]])

    def refuse(events, api_key=None):
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr("djstripe.webhooks.drain.mirror_batch", refuse)
    signals.webhook_pre_process.connect(receiver)
    try:
        report = drain(10)
    finally:
        signals.webhook_pre_process.disconnect(receiver)

    assert (report.processed, report.batched) == (4, 0)  # one by one
    assert sent == Counter(event["id"] for event in events)  # once each
    assert emails() == finals


# -- Concurrency (PostgreSQL) -------------------------------------------------------

ENQUEUERS = 6
DRAINERS = 3


@pytest.mark.django_db(transaction=True)
@override_settings(DJSTRIPE_WEBHOOK_PROCESSING="task", DJSTRIPE_WEBHOOK_BATCH_SIZE=4)
def test_concurrent_requests_and_drains_process_each_event_once(monkeypatch, calls):
    """Requests posted from several threads while several drainers run the
    queued drain tasks: every request is processed, by exactly one drain."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers")
    events, finals = customer_events(customers=8, versions=6)
    delivered = events + random.Random(1).sample(events, 12)  # redeliveries
    random.Random(2).shuffle(delivered)
    queued: queue.Queue = queue.Queue()  # the task queue: one item per drain task
    task = tasks.drain_webhook_triggers
    monkeypatch.setattr(
        tasks, "drain_webhook_triggers", Queue(lambda: queued.put("drain"))
    )
    claimed: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(ENQUEUERS + DRAINERS)

    def guarded(work):
        def run():
            try:
                start.wait()
                work()
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()

        return run

    def enqueue(share):
        client = Client()
        for event in share:
            response = post(client, event)
            assert response.status_code == 200, response.content

    def work_the_queue():
        while queued.get() != "stop":
            result = task.call()  # what a worker runs: drains, may ask for help
            assert result.endswith("failed 0"), result
            claimed.append(int(result.split(",")[0].removeprefix("claimed ")))

    enqueuers = [
        threading.Thread(target=guarded(lambda s=delivered[i::ENQUEUERS]: enqueue(s)))
        for i in range(ENQUEUERS)
    ]
    drainers = [
        threading.Thread(target=guarded(work_the_queue)) for _ in range(DRAINERS)
    ]
    for thread in enqueuers + drainers:
        thread.start()
    for thread in enqueuers:
        thread.join(timeout=120)
    for _ in drainers:  # after every drain task the requests queued
        queued.put("stop")
    for thread in drainers:
        thread.join(timeout=120)

    assert errors == []
    assert sum(claimed) == len(delivered)  # each request claimed once
    assert len(claimed) < len(delivered) // 2  # far fewer tasks than requests
    assert not WebhookEventTrigger.objects.filter(processed=False).exists()
    assert Event.objects.count() == len(events)
    assert calls == Counter(event["id"] for event in events)  # handlers once
    assert emails() == finals


# -- Indexes (PostgreSQL) -------------------------------------------------------------


@pytest.mark.django_db
def test_the_drains_claim_reads_the_index_of_waiting_requests():
    """Among many processed requests, the claim finds the few waiting ones
    through the partial index, not by scanning the table."""
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's query plan")
    WebhookEventTrigger.objects.bulk_create(
        [
            WebhookEventTrigger(valid=True, processed=True, attempts=1)
            for _ in range(5000)
        ]
        + [WebhookEventTrigger(valid=True) for _ in range(5)]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE djstripe_webhookeventtrigger")
    waiting = WebhookEventTrigger.objects.filter(
        valid=True, processed=False, attempts=0
    ).order_by("created", "id")[:100]
    assert "djstripe_trigger_waiting" in waiting.explain()
