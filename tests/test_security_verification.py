"""Only verified requests reach the mirror, whichever path asks (issue #13).

A forged request (``Stripe-Signature: t=1,v1=00``) is stored for diagnosis
and answered 400; then every way of processing a stored request is tried on
it: the model method, the function behind it, the replay command (``--failed``
and ``--ids``), the task, the admin action. None may create or change a row.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from djstripe import stripe_api, sync
from djstripe.exceptions import NotVerifiedError, ProcessingError
from djstripe.models import Customer, Event, WebhookEventTrigger
from djstripe.tasks import process_webhook_trigger
from djstripe.webhooks import handler, registry
from djstripe.webhooks.processing import process_trigger

from .conftest import stripe_fixture
from .webhook_utils import T0, ScriptedStripe, make_event, post

pytestmark = pytest.mark.django_db

FORGED_SIGNATURE = "t=1,v1=00"


@pytest.fixture(autouse=True)
def isolated():
    with registry.isolated(), stripe_api.use_http_client(ScriptedStripe()) as stripe:
        yield stripe


@pytest.fixture
def handled():
    calls = []
    handler("customer.*")(lambda event, **kw: calls.append(event.id))
    return calls


@pytest.fixture
def forged(client, handled):
    """A stored forged request that targets an existing customer."""
    sync.upsert([stripe_fixture("customer", id="cus_victim", email="real@x.com")])
    event = make_event(
        "customer.updated",
        stripe_fixture("customer", id="cus_victim", email="attacker@x.com"),
        T0 + 10**8,
    )
    response = post(client, event, signature=FORGED_SIGNATURE)
    assert response.status_code == 400
    trigger = WebhookEventTrigger.objects.get()
    assert not trigger.valid
    return trigger


def mirror_state() -> dict:
    """Every row of every djstripe model but the request log, as values."""
    state = {}
    for model in apps.get_app_config("djstripe").get_models():
        if model is WebhookEventTrigger:
            continue
        state[model._meta.label] = sorted(
            map(repr, model._base_manager.order_by().values_list())
        )
    return state


def assert_untouched(before: dict, trigger: WebhookEventTrigger, handled) -> None:
    assert mirror_state() == before
    assert Customer.objects.get(id="cus_victim").email == "real@x.com"
    assert not Event.objects.exists()
    assert handled == []
    trigger.refresh_from_db()
    assert not trigger.valid and not trigger.processed and trigger.attempts == 0


def test_the_model_method_refuses(forged, handled):
    before = mirror_state()
    for force in (False, True):
        with pytest.raises(NotVerifiedError, match="failed verification"):
            forged.process(force=force)
    with pytest.raises(NotVerifiedError):
        process_trigger(WebhookEventTrigger.objects.get(pk=forged.pk))
    assert_untouched(before, forged, handled)


def test_the_refusal_is_a_processing_error(forged):
    with pytest.raises(ProcessingError):
        forged.process()


def test_the_replay_command_never_reads_a_forged_request(forged, handled):
    before = mirror_state()
    out = StringIO()
    call_command("djstripe_process_events", "--failed", stdout=out, stderr=out)
    assert "0 event(s) to process." in out.getvalue()

    # By id: the forged request is not a source; Stripe (here: 404) is asked.
    event_id = forged.json_body["id"]
    with pytest.raises(Exception, match="No such"):
        call_command("djstripe_process_events", "--ids", event_id, stdout=out)
    assert_untouched(before, forged, handled)


def test_the_replay_command_reports_a_refusal_as_a_failure(forged, handled):
    from djstripe.management.commands import djstripe_process_events

    before = mirror_state()
    command = djstripe_process_events.Command(stdout=StringIO(), stderr=StringIO())
    original = command._failed_triggers
    command._failed_triggers = lambda: [forged]  # as if it were selected
    try:
        with pytest.raises(CommandError, match="1 event"):
            command.handle(
                failed=True, ids=[], types=[], since=None, force=True, api_key=None
            )
    finally:
        command._failed_triggers = original
    assert "failed verification" in command.stderr._out.getvalue()
    assert "1 refused" in command.stdout._out.getvalue()
    assert_untouched(before, forged, handled)


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
)
def test_the_task_refuses(forged, handled):
    before = mirror_state()
    with pytest.raises(NotVerifiedError):
        process_webhook_trigger.call(forged.pk)
    result = process_webhook_trigger.enqueue(forged.pk)
    assert result.status == "FAILED"
    assert_untouched(before, forged, handled)


def test_the_admin_action_refuses_and_says_so(forged, handled, admin_client):
    before = mirror_state()
    response = admin_client.post(
        reverse("admin:djstripe_webhookeventtrigger_changelist"),
        {"action": "reprocess", "_selected_action": [forged.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert messages[0].startswith("Refused ")
    assert "failed verification" in messages[0]
    assert not any("Re-processed" in m for m in messages)
    assert_untouched(before, forged, handled)


def test_a_verified_request_next_to_it_is_still_applied(client, forged, handled):
    event = make_event(
        "customer.updated",
        stripe_fixture("customer", id="cus_victim", email="new@x.com"),
        T0 + 10**8,
    )
    assert post(client, event).status_code == 200
    assert Customer.objects.get(id="cus_victim").email == "new@x.com"
    assert handled == [event["id"]]
