"""One process contract: success, or ``ProcessingError``; every caller says which."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from djstripe import stripe_api
from djstripe.exceptions import DjstripeError, NotVerifiedError, ProcessingError
from djstripe.models import Customer, Event, WebhookEventTrigger
from djstripe.tasks import WebhookProcessingFailed, process_webhook_trigger
from djstripe.webhooks import handler, registry

from .conftest import stripe_fixture
from .webhook_utils import ScriptedStripe, make_event, post

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def isolated():
    with registry.isolated(), stripe_api.use_http_client(ScriptedStripe()):
        yield


@pytest.fixture
def broken():
    """A handler that fails while ``state["broken"]`` is true."""
    state = {"broken": True}

    @handler("customer.updated")
    def flaky(event, **kwargs):
        if state["broken"]:
            raise RuntimeError("handler down")

    return state


def customer_event():
    customer = stripe_fixture("customer", id="cus_c", email="c@x.com")
    return make_event("customer.updated", customer)


@pytest.fixture
def failed_trigger(client, broken):
    assert post(client, customer_event()).status_code == 500
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.valid and not trigger.processed
    return trigger


def test_exceptions_derive_from_djstripe_error():
    assert issubclass(ProcessingError, DjstripeError)
    assert issubclass(NotVerifiedError, ProcessingError)
    assert issubclass(WebhookProcessingFailed, ProcessingError)


def test_event_process_raises_processing_error_with_the_cause(broken):
    with pytest.raises(ProcessingError, match="RuntimeError: handler down") as raised:
        Event.process(customer_event())
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert not Event.objects.exists() and not Customer.objects.exists()


def test_a_malformed_event_is_a_processing_error():
    with pytest.raises(ProcessingError, match="not a Stripe event"):
        Event.process({"object": "event", "id": "evt_x"})


def test_trigger_process_records_then_raises(failed_trigger, broken):
    with pytest.raises(ProcessingError, match="handler down") as raised:
        failed_trigger.process()
    assert isinstance(raised.value.__cause__, RuntimeError)
    failed_trigger.refresh_from_db()
    assert failed_trigger.attempts == 2 and not failed_trigger.processed
    assert failed_trigger.exception == "RuntimeError: handler down"
    assert "flaky" in failed_trigger.traceback

    broken["broken"] = False
    outcome = failed_trigger.process()
    assert outcome.new and outcome.event_id == failed_trigger.event_id
    again = failed_trigger.process()
    assert not again.new  # applied once; a second call is "already processed"


def test_the_admin_action_reports_each_outcome(failed_trigger, broken, admin_client):
    url = reverse("admin:djstripe_webhookeventtrigger_changelist")

    def reprocess() -> list[str]:
        response = admin_client.post(
            url,
            {"action": "reprocess", "_selected_action": [failed_trigger.pk]},
            follow=True,
        )
        return [str(m) for m in response.context["messages"]]

    messages = reprocess()
    assert len(messages) == 1
    assert messages[0].startswith("Could not re-process")
    assert "handler down" in messages[0]
    assert not any("Re-processed" in m for m in messages)

    broken["broken"] = False
    assert reprocess() == ["Re-processed 1 webhook event triggers."]
    assert reprocess() == [
        "1 webhook event triggers already processed: nothing new was applied."
    ]


def test_the_command_reports_a_failure_and_exits_non_zero(failed_trigger):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 event"):
        call_command("djstripe_process_events", "--failed", stdout=out, stderr=err)
    assert "failed" in out.getvalue()
    assert "RuntimeError: handler down" in err.getvalue()
    failed_trigger.refresh_from_db()
    assert failed_trigger.attempts == 2


@override_settings(TASKS=IMMEDIATE)
def test_the_task_reports_a_failure(failed_trigger, broken):
    with pytest.raises(WebhookProcessingFailed, match="handler down") as raised:
        process_webhook_trigger.call(failed_trigger.pk)
    assert isinstance(raised.value.__cause__, ProcessingError)
    broken["broken"] = False
    assert process_webhook_trigger.call(failed_trigger.pk) == "processed"
