"""dj-stripe's event APIs: djstripe_receiver, WEBHOOK_SIGNALS, webhooks.handler,
Event.process / invoke_webhook_handlers, WebhookEventTrigger.from_request /
validate and ProcessWebhookView, each running djstripe's engine underneath."""

import json

import pytest
from django.test import RequestFactory

from djstripe import webhooks
from djstripe.event_handlers import djstripe_receiver
from djstripe.models import Customer, Event, WebhookEventTrigger
from djstripe.signals import WEBHOOK_SIGNALS
from djstripe.testing.webhooks import sign_payload
from djstripe.views import ProcessWebhookView
from djstripe.webhooks import registry
from tests.conftest import stripe_fixture
from tests.webhook_utils import SECRET, make_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Calls recorded by receivers and handlers connected in the test."""
    calls: list = []
    connected: list = []
    yield calls, connected
    for signal, func in connected:
        signal.disconnect(func, sender=Event)


def _customer_event(event_type="customer.updated", **changes):
    return make_event(event_type, stripe_fixture("customer", id="cus_ev", **changes))


# -- djstripe_receiver / WEBHOOK_SIGNALS -------------------------------------------


def test_receiver_gets_sender_and_event_after_the_mirror_write(received):
    calls, connected = received

    @djstripe_receiver("customer.updated")
    def on_update(sender, event, **kwargs):
        calls.append((sender, event.id, Customer.objects.get(id="cus_ev").email))

    connected.append((WEBHOOK_SIGNALS["customer.updated"], on_update))
    data = _customer_event(email="new@example.com")
    Event.process(data)
    assert calls == [(Event, data["id"], "new@example.com")]


def test_receiver_for_several_types(received):
    calls, connected = received

    @djstripe_receiver(["customer.created", "customer.updated"])
    def on_either(sender, event, **kwargs):
        calls.append(event.type)

    for name in ("customer.created", "customer.updated"):
        connected.append((WEBHOOK_SIGNALS[name], on_either))
    Event.process(_customer_event("customer.created"))
    Event.process(_customer_event("customer.updated"))
    assert calls == ["customer.created", "customer.updated"]


def test_receiver_refuses_what_is_not_an_event_type():
    with pytest.raises(RuntimeError, match="not a Stripe event type"):
        djstripe_receiver("customer")
    with pytest.raises(RuntimeError):
        djstripe_receiver([None])


def test_webhook_signals_hold_dj_stripes_event_types():
    for name in ("invoice.paid", "customer.subscription.deleted", "file.created"):
        assert WEBHOOK_SIGNALS.get(name) is WEBHOOK_SIGNALS[name]
    assert WEBHOOK_SIGNALS.get("made.up") is None
    assert WEBHOOK_SIGNALS["made.up"] is WEBHOOK_SIGNALS.get("made.up")


# -- webhooks.handler ---------------------------------------------------------------


def test_handler_by_category_prefix_as_in_dj_stripe():
    calls = []
    with registry.isolated():

        @webhooks.handler("customer")
        def on_customer(event, **kwargs):
            calls.append(("customer", event.type))

        @webhooks.handler("customer.subscription")
        def on_subscription(event, **kwargs):
            calls.append(("subscription", event.type))

        @webhooks.handler_all
        def on_all(event, **kwargs):
            calls.append(("all", event.type))

        assert registry.handlers_for("customerx.created") == [on_all]
        Event.process(_customer_event("customer.updated"))
        sub = stripe_fixture("subscription", id="sub_ev", customer="cus_ev")
        Event.process(make_event("customer.subscription.created", sub))
    assert calls == [
        ("customer", "customer.updated"),
        ("all", "customer.updated"),
        ("customer", "customer.subscription.created"),
        ("subscription", "customer.subscription.created"),
        ("all", "customer.subscription.created"),
    ]


# -- Event.process / invoke_webhook_handlers -------------------------------------------


def test_process_runs_once_and_returns_the_event():
    calls = []
    with registry.isolated():
        webhooks.handler("customer.updated")(lambda event, **kw: calls.append(event))
        data = _customer_event()
        first = Event.process(data)
        second = Event.process(data)
    assert isinstance(first, Event) and first.id == data["id"] == second.id
    assert len(calls) == 1


def _purged(customer_id):
    return Customer._base_manager.get(id=customer_id).date_purged is not None


def test_invoke_webhook_handlers_mirrors_purges_and_calls(received):
    calls, connected = received
    Event.process(_customer_event("customer.created"))
    assert Customer.objects.filter(id="cus_ev").exists()

    data = _customer_event("customer.deleted", created=1_767_225_700)
    event = Event.sync_from_stripe_data(data)  # stored, not processed
    assert not _purged("cus_ev")

    @djstripe_receiver("customer.deleted")
    def on_delete(sender, event, **kwargs):
        calls.append(("signal", _purged("cus_ev")))

    connected.append((WEBHOOK_SIGNALS["customer.deleted"], on_delete))
    with registry.isolated():
        webhooks.handler("customer.deleted")(
            lambda event, **kw: calls.append(("handler", event.id))
        )
        event.invoke_webhook_handlers()
        event.invoke_webhook_handlers()  # unlike process(), runs again
    assert calls == [("handler", event.id), ("signal", True)] * 2
    assert _purged("cus_ev")


# -- WebhookEventTrigger / ProcessWebhookView -----------------------------------------


def _request(data, secret=SECRET, method="post"):
    body = json.dumps(data)
    factory = RequestFactory()
    return getattr(factory, method)(
        "/stripe/webhook/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_payload(body, secret),
    )


def test_from_request_stores_verifies_processes_and_returns_the_trigger():
    data = _customer_event("customer.created")
    trigger = WebhookEventTrigger.from_request(_request(data))
    assert isinstance(trigger, WebhookEventTrigger) and trigger.pk
    trigger.refresh_from_db()
    assert trigger.valid and trigger.processed
    assert trigger.event_id == data["id"]
    assert Customer.objects.filter(id="cus_ev").exists()


def test_from_request_with_a_bad_signature_keeps_an_invalid_trigger():
    trigger = WebhookEventTrigger.from_request(
        _request(_customer_event(), secret="whsec_wrong")
    )
    trigger.refresh_from_db()
    assert not trigger.valid and not trigger.processed
    assert not Customer.objects.filter(id="cus_ev").exists()


def test_validate_checks_the_stored_request_again():
    trigger = WebhookEventTrigger.from_request(_request(_customer_event()))
    trigger.refresh_from_db()
    trigger.valid = False
    assert trigger.validate() is True and trigger.valid
    trigger.body = trigger.body.replace("cus_ev", "cus_other")
    assert trigger.validate() is False and not trigger.valid


def test_process_webhook_view_answers_like_the_function_view():
    view = ProcessWebhookView.as_view()
    data = _customer_event("customer.created")
    assert view(_request(data)).status_code == 200
    assert view(_request(data, secret="whsec_wrong")).status_code == 400
    assert view(RequestFactory().get("/stripe/webhook/")).status_code == 405
    assert WebhookEventTrigger.objects.count() == 3


def test_call_handlers_calls_with_the_event_keyword():
    calls = []
    event = Event.sync_from_stripe_data(_customer_event("customer.updated"))
    with registry.isolated():
        webhooks.handler("customer.updated")(lambda **kw: calls.append(kw))
        webhooks.call_handlers(event)
    assert calls == [{"event": event}]
