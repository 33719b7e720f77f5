"""Task mode: the view stores, verifies, enqueues and answers at once."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from djstripe import stripe_api
from djstripe.models import Customer, Event, WebhookEventTrigger
from djstripe.tasks import process_webhook_trigger, retry_delay
from djstripe.webhooks import handler, registry

from .conftest import stripe_fixture
from .webhook_utils import ScriptedStripe, make_event, post

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
#: The worker closes "old" database connections between tasks, as in production;
#: on PostgreSQL that would end a test wrapped in a transaction, so these commit.
worker_db = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def isolated():
    with registry.isolated(), stripe_api.use_http_client(ScriptedStripe()):
        yield


def customer_event(email="q@x.com"):
    return make_event(
        "customer.updated", stripe_fixture("customer", id="cus_q", email=email)
    )


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


@override_settings(DJSTRIPE_WEBHOOK_PROCESSING="task", TASKS=IMMEDIATE)
def test_immediate_backend_processes_during_the_request(client):
    event = customer_event()
    response = post(client, event)
    assert response.status_code == 200
    assert b"queued" in response.content
    assert Customer.objects.get(id="cus_q").email == "q@x.com"
    (trigger,) = WebhookEventTrigger.objects.all()
    assert trigger.valid and trigger.processed and trigger.event_id == event["id"]


@override_settings(DJSTRIPE_WEBHOOK_PROCESSING="task", TASKS=IMMEDIATE)
def test_task_failure_is_recorded_but_the_answer_is_200(client):
    handler("customer.updated")(lambda event, **kw: 1 / 0)
    response = post(client, customer_event())
    assert response.status_code == 200
    (trigger,) = WebhookEventTrigger.objects.all()
    assert trigger.valid and not trigger.processed
    assert "ZeroDivisionError" in trigger.exception
    assert not Event.objects.exists()


@worker_db
@override_settings(DJSTRIPE_WEBHOOK_PROCESSING="task", TASKS=DATABASE)
def test_database_backend_processes_when_the_worker_runs(client):
    event = customer_event()
    response = post(client, event)
    assert response.status_code == 200
    # Answered before anything was applied: the work waits in the queue.
    assert not Event.objects.exists()
    assert DBTaskResult.objects.count() == 1

    run_worker()

    assert Event.objects.filter(id=event["id"]).exists()
    assert Customer.objects.get(id="cus_q").email == "q@x.com"
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.processed and trigger.attempts == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@worker_db
@override_settings(
    DJSTRIPE_WEBHOOK_PROCESSING="task",
    TASKS=DATABASE,
    DJSTRIPE_WEBHOOK_TASK_MAX_ATTEMPTS=2,
)
def test_failed_task_schedules_a_retry_with_backoff(client):
    broken = True

    @handler("customer.updated")
    def flaky(event, **kwargs):
        if broken:
            raise RuntimeError("not yet")

    post(client, customer_event())
    before = timezone.now()
    run_worker()

    trigger = WebhookEventTrigger.objects.get()
    assert not trigger.processed and "not yet" in trigger.exception
    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == "FAILED"
    assert retry.status == "READY" and retry.args_kwargs["args"] == [trigger.pk, 2]
    assert retry.run_after >= before + retry_delay(1)

    run_worker()  # not due yet: nothing happens
    assert DBTaskResult.objects.get(pk=retry.pk).status == "READY"

    broken = False
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    trigger.refresh_from_db()
    assert trigger.processed and trigger.attempts == 2
    assert Customer.objects.get(id="cus_q").email == "q@x.com"


@worker_db
@override_settings(TASKS=DATABASE, DJSTRIPE_WEBHOOK_TASK_MAX_ATTEMPTS=1)
def test_no_retry_after_the_last_attempt(client):
    handler("customer.updated")(lambda event, **kw: 1 / 0)
    post(client, customer_event())  # inline: fails, recorded
    trigger = WebhookEventTrigger.objects.get()
    process_webhook_trigger.enqueue(trigger.pk)
    run_worker()
    assert DBTaskResult.objects.count() == 1  # no retry was scheduled
    assert DBTaskResult.objects.get().status == "FAILED"


@override_settings(DJSTRIPE_WEBHOOK_PROCESSING="task", TASKS=IMMEDIATE)
def test_enqueue_failure_answers_503(client, monkeypatch):
    from djstripe import tasks

    def down(trigger):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "enqueue_trigger", down)
    response = post(client, customer_event())
    assert response.status_code == 503
    assert "queue down" in WebhookEventTrigger.objects.get().exception
