"""Batched processing of stored webhook requests (djstripe.webhooks.drain)."""

from __future__ import annotations

import json
import os
import random
import signal
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from djstripe import signals, stripe_api
from djstripe.exceptions import ProcessingError
from djstripe.models import Customer, Event, Price, WebhookEventTrigger
from djstripe.webhooks import handler, handler_all, registry
from djstripe.webhooks.drain import drain
from djstripe.webhooks.processing import apply_event

from .conftest import stripe_fixture
from .webhook_utils import T0, ScriptedStripe, make_event, post

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def isolated():
    with registry.isolated(), stripe_api.use_http_client(ScriptedStripe()) as stripe:
        yield stripe


@pytest.fixture
def calls():
    """Event ids, once per handler call."""
    seen: Counter = Counter()
    handler_all(lambda event, **kw: seen.update([event.id]))
    return seen


def store(event: dict | str, **fields) -> WebhookEventTrigger:
    """A verified request waiting to be processed, as task mode stores it."""
    body = event if isinstance(event, str) else json.dumps(event)
    defaults = {"valid": True}
    if isinstance(event, dict):
        defaults.update(event_id=event["id"], event_type=event["type"])
    return WebhookEventTrigger.objects.create(body=body, **{**defaults, **fields})


def customer_events(customers=3, versions=4, start=T0) -> tuple[list, dict]:
    """``customer.updated`` events, several per customer; the final emails."""
    events, finals = [], {}
    for n in range(customers):
        for version in range(versions):
            email = f"c{n}-v{version}@x.com"
            obj = stripe_fixture("customer", id=f"cus_d{n}", email=email)
            events.append(make_event("customer.updated", obj, start + version))
            finals[f"cus_d{n}"] = email
    return events, finals


def emails() -> dict:
    return dict(Customer.objects.values_list("id", "email"))


def test_a_batch_ends_as_one_by_one_processing_would(calls):
    events, finals = customer_events()
    price = stripe_fixture("price", id="price_d")
    events.append(make_event("price.created", price, T0))
    shuffled = random.Random(3).sample(events, len(events))  # late arrivals too
    triggers = [store(event) for event in shuffled]

    report = drain(100)

    assert (report.claimed, report.processed, report.batched) == (13, 13, 13)
    assert report.failed == []
    assert emails() == finals  # the newest event of each customer won
    assert Price.objects.filter(id="price_d").exists()
    assert Event.objects.count() == len(events)
    assert calls == Counter(event["id"] for event in events)
    for trigger in triggers:
        trigger.refresh_from_db()
        assert trigger.processed and trigger.attempts == 1 and not trigger.exception


def test_the_batch_goes_to_the_engine_together():
    events, _ = customer_events(customers=10, versions=2)
    for event in events:
        store(event)
    with CaptureQueriesContext(connection) as queries:
        drain(100)
    statements = [
        q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    # One by one, each event costs several statements; together, a handful.
    assert Event.objects.count() == 20
    assert len(statements) < len(events)


def test_a_second_delivery_in_the_batch_runs_no_handler_again(calls):
    event = make_event("customer.updated", stripe_fixture("customer", id="cus_dup"))
    first, second = store(event), store(event)
    apply_event(dict(event, id="evt_before"))  # an event already processed
    third = store(dict(event, id="evt_before"))

    report = drain(10)

    assert report.processed == 3
    assert calls == Counter({event["id"]: 1, "evt_before": 1})
    for trigger in (first, second, third):
        trigger.refresh_from_db()
        assert trigger.processed


def test_a_failing_handler_is_recorded_on_its_request_and_the_others_are_applied(
    calls,
):
    events, finals = customer_events(customers=2, versions=1)
    bad = make_event("invoice.paid", stripe_fixture("invoice", id="in_bad"))
    handler("invoice.paid")(lambda event, **kw: 1 / 0)
    triggers = [store(events[0]), store(bad), store(events[1]), store(bad)]

    report = drain(10)

    assert report.failed == [triggers[1].pk, triggers[3].pk]
    assert report.processed == report.batched == 2
    assert emails() == finals
    assert not Event.objects.filter(id=bad["id"]).exists()
    assert calls == Counter({events[0]["id"]: 1, events[1]["id"]: 1, bad["id"]: 1})
    for trigger in (triggers[1], triggers[3]):  # both deliveries of it
        trigger.refresh_from_db()
        assert not trigger.processed and trigger.attempts == 1
        assert "ZeroDivisionError" in trigger.exception and trigger.traceback
    # Tried once: the next drains leave it to its retry schedule (or --failed).
    assert drain(10).claimed == 0
    registry.unregister(registry.handlers_for("invoice.paid")[-1])
    call_command("djstripe_process_events", "--failed")
    assert Event.objects.filter(id=bad["id"]).exists()
    assert calls[bad["id"]] == 2  # the handler runs again on the replay


def test_what_cannot_join_a_batch_is_processed_on_its_own(calls):
    customer = stripe_fixture("customer", id="cus_gone")
    apply_event(make_event("customer.created", customer, T0))
    deletion = make_event("customer.deleted", customer, T0 + 1)
    update = make_event("customer.updated", stripe_fixture("customer", id="cus_o"))
    good, gone, broken = store(update), store(deletion), store('{"not": "an event"}')

    report = drain(10)

    assert report.claimed == 3 and report.batched == 1
    assert report.failed == [broken.pk]
    assert Customer.objects.get(id="cus_gone").date_purged is not None
    broken.refresh_from_db()
    assert "not a Stripe event" in broken.exception
    for trigger in (good, gone):
        trigger.refresh_from_db()
        assert trigger.processed


def test_only_verified_untried_requests_are_claimed_oldest_first():
    events, _ = customer_events(customers=1, versions=5)
    store(events[0], valid=False)
    store(events[1], processed=True)
    store(events[2], attempts=1, exception="KeyError: x")
    waiting = [store(events[3]), store(events[4])]

    report = drain(1)
    assert report.claimed == 1
    assert WebhookEventTrigger.objects.get(pk=waiting[0].pk).processed
    assert not WebhookEventTrigger.objects.get(pk=waiting[1].pk).processed
    assert drain(10).claimed == 1
    assert drain(10).claimed == 0
    assert set(Event.objects.values_list("id", flat=True)) == {
        events[3]["id"],
        events[4]["id"],
    }


def test_post_process_is_sent_once_per_new_event_after_the_batch():
    events, _ = customer_events(customers=2, versions=1)
    sent = []

    def receiver(sender, event, trigger, **kwargs):
        sent.append((event.id, trigger.pk))

    signals.webhook_post_process.connect(receiver)
    try:
        triggers = [store(events[0]), store(events[1]), store(events[1])]
        drain(10)
    finally:
        signals.webhook_post_process.disconnect(receiver)
    assert sent == [
        (events[0]["id"], triggers[0].pk),
        (events[1]["id"], triggers[1].pk),
    ]


@override_settings(
    DJSTRIPE_WEBHOOK_PROCESSING="task",
    TASKS=IMMEDIATE,
    DJSTRIPE_WEBHOOK_BATCH_SIZE=50,
)
def test_task_mode_with_a_batch_size_queues_drains(client, calls):
    events, finals = customer_events(customers=2, versions=2)
    for event in events:
        response = post(client, event)
        assert response.status_code == 200, response.content
    assert emails() == finals
    assert calls == Counter(event["id"] for event in events)
    assert WebhookEventTrigger.objects.filter(processed=True).count() == 4


def test_follow_once_drains_everything_then_exits(calls, capsys):
    events, finals = customer_events(customers=3, versions=3)
    for event in events:
        store(event)
    call_command("djstripe_process_events", "--follow", "--once", "--batch-size", "4")
    assert emails() == finals
    assert calls == Counter(event["id"] for event in events)
    out = capsys.readouterr().out
    assert "Stopped: 9 processed, 0 failed." in out


def test_follow_reports_failures_with_a_non_zero_exit():
    store('{"object": "event"}')
    with pytest.raises(CommandError, match="1 request"):
        call_command("djstripe_process_events", "--follow", "--once")


def test_follow_stops_on_sigterm_after_the_batch_at_hand(calls):
    events, _ = customer_events(customers=1, versions=3)
    for event in events:
        store(event)
    handler("customer.updated")(
        lambda event, **kw: os.kill(os.getpid(), signal.SIGTERM)
    )
    # No --once: only the signal ends it; the batch at hand is finished first.
    call_command("djstripe_process_events", "--follow", "--batch-size", "2")
    assert Event.objects.count() == 2
    assert WebhookEventTrigger.objects.filter(processed=False).count() == 1
    assert signal.getsignal(signal.SIGTERM) is not None


def test_follow_refuses_replay_options():
    with pytest.raises(CommandError, match="--follow"):
        call_command("djstripe_process_events", "--follow", "--failed")


def test_a_failed_mirror_write_falls_back_to_one_by_one(monkeypatch, calls):
    events, finals = customer_events(customers=2, versions=2)
    triggers = [store(event) for event in events]

    def refuse(events, api_key=None):
        Event.objects.create(id="evt_half_written", type="x", created=None)
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr("djstripe.webhooks.drain.mirror_batch", refuse)
    report = drain(10)

    assert (report.processed, report.batched, report.failed) == (4, 0, [])
    assert not Event.objects.filter(id="evt_half_written").exists()  # rolled back
    assert emails() == finals
    assert calls == Counter(event["id"] for event in events)
    for trigger in triggers:
        trigger.refresh_from_db()
        assert trigger.processed and trigger.attempts == 1


# -- process(), in dj-stripe's call forms --------------------------------------


def test_process_accepts_dj_stripes_save_and_api_key(isolated, calls):
    event = make_event("customer.updated", stripe_fixture("customer", id="cus_p"))
    trigger = store(event)

    outcome = trigger.process(save=False, api_key="sk_test_other")

    assert outcome.new and trigger.processed and trigger.attempts == 1
    assert not WebhookEventTrigger.objects.get(pk=trigger.pk).processed  # not saved
    assert Customer.objects.filter(id="cus_p").exists()
    trigger.process(True, None)  # positional, as dj-stripe's tasks call it
    assert WebhookEventTrigger.objects.get(pk=trigger.pk).processed
    assert calls == Counter({event["id"]: 1})


def test_process_with_save_false_still_raises_on_failure():
    trigger = store('{"object": "event"}')
    with pytest.raises(ProcessingError):
        trigger.process(save=False)
    assert "not a Stripe event" in trigger.exception
    assert WebhookEventTrigger.objects.get(pk=trigger.pk).exception == ""


def test_two_events_of_one_object_in_one_second_are_settled_as_one_by_one(isolated):
    first = stripe_fixture("customer", id="cus_tie", email="a@x.com")
    second = stripe_fixture("customer", id="cus_tie", email="b@x.com")
    isolated.objects["/v1/customers/cus_tie"] = second  # Stripe's current state
    older = make_event("customer.updated", first, T0)
    newer = make_event(
        "customer.updated", second, T0, previous_attributes={"email": "a@x.com"}
    )
    store(newer), store(older)  # arrived in the wrong order, in the same second

    report = drain(10)

    assert report.processed == 2
    # The later arrival ties with the stored row: Stripe is asked, as it would
    # be one by one; keeping the later arrival would roll the customer back.
    assert emails() == {"cus_tie": "b@x.com"}
    assert any("cus_tie" in path for path in isolated.paths)


@override_settings(DJSTRIPE_WEBHOOK_PROCESSING="store")
def test_store_mode_leaves_requests_to_follow_workers(client, calls):
    events, finals = customer_events(customers=2, versions=2)
    for event in events:
        response = post(client, event)
        assert response.status_code == 200 and b"stored" in response.content
    assert not Event.objects.exists()  # answered before anything was applied
    assert WebhookEventTrigger.objects.filter(valid=True, processed=False).count() == 4

    call_command("djstripe_process_events", "--follow", "--once")

    assert emails() == finals
    assert calls == Counter(event["id"] for event in events)
