"""The webhook view: store first, verify, process; every rejection explained."""

from __future__ import annotations

import datetime
import json
import logging
import time
import uuid
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from djstripe import stripe_api, sync
from djstripe.models import (
    Customer,
    Event,
    WebhookEndpoint,
    WebhookEventTrigger,
)
from djstripe.webhooks import handler, registry

from .conftest import stripe_fixture
from .webhook_utils import SECRET, T0, ScriptedStripe, make_event, post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated_handlers():
    with registry.isolated():
        yield


@pytest.fixture(autouse=True)
def stripe():
    """Nothing here may reach Stripe: a scripted client answers 404 to all."""
    with stripe_api.use_http_client(ScriptedStripe()) as scripted:
        yield scripted


def at(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(T0 + seconds, tz=datetime.UTC)


def customer(**changes) -> dict:
    changes.setdefault("id", "cus_hook")
    return stripe_fixture("customer", **changes)


def only_trigger() -> WebhookEventTrigger:
    (trigger,) = WebhookEventTrigger.objects.all()
    return trigger


def test_valid_event_is_stored_mirrored_and_answered_200(client):
    event = make_event("customer.created", customer(email="a@example.com"))
    response = post(
        client,
        event,
        HTTP_COOKIE="sessionid=secret",
        HTTP_AUTHORIZATION="Bearer x",
        HTTP_USER_AGENT="Stripe/1.0",
    )

    assert response.status_code == 200, response.content
    assert event["id"].encode() in response.content
    assert Customer.objects.get(id="cus_hook").email == "a@example.com"
    stored = Event.objects.get(id=event["id"])
    assert stored.type == "customer.created"
    assert stored.data["object"]["id"] == "cus_hook"

    trigger = only_trigger()
    assert trigger.valid and trigger.processed
    assert trigger.event == stored
    assert trigger.event_type == "customer.created"
    assert json.loads(trigger.body) == event
    assert trigger.remote_ip == "127.0.0.1"
    assert trigger.headers["User-Agent"] == "Stripe/1.0"
    assert "Stripe-Signature" in trigger.headers
    assert not {"Cookie", "Authorization"} & set(trigger.headers)
    assert trigger.exception == "" and trigger.attempts == 1


def test_view_is_csrf_exempt():
    client = Client(enforce_csrf_checks=True)
    response = post(client, make_event("customer.created", customer()))
    assert response.status_code == 200


@override_settings(DJSTRIPE_WEBHOOK_SECRET=["whsec_old", "whsec_new"])
def test_settings_secrets_may_be_a_list_for_rotation(client):
    for secret in ("whsec_old", "whsec_new"):
        event = make_event("customer.updated", customer())
        assert post(client, event, secret=secret).status_code == 200
    assert post(client, make_event("customer.updated", customer())).status_code == 400


def endpoint(**changes) -> WebhookEndpoint:
    data = {
        "id": "we_1",
        "object": "webhook_endpoint",
        "url": "https://example.com/stripe/webhook/",
        "enabled_events": ["*"],
        "status": "enabled",
        "api_version": None,
        "created": T0,
        "livemode": False,
        "metadata": {},
        "secret": "whsec_endpoint_secret_1234",
        **changes,
    }
    sync.upsert([data], observed_at=at(0))
    return WebhookEndpoint.objects.get(id=data["id"])


def test_each_endpoint_has_its_own_url_secret_and_tolerance(client):
    row = endpoint()
    url = reverse("djstripe:webhook_by_uuid", kwargs={"uuid": row.djstripe_uuid})
    event = make_event("customer.created", customer())

    assert post(client, event, url=url).status_code == 400  # the settings secret
    response = post(client, event, url=url, secret=row.secret)
    assert response.status_code == 200
    assert WebhookEventTrigger.objects.filter(webhook_endpoint=row).count() == 2

    WebhookEndpoint.objects.filter(pk=row.pk).update(tolerance=10)
    old = make_event("customer.updated", customer())
    stale = post(
        client, old, url=url, secret=row.secret, timestamp=int(time.time()) - 60
    )
    assert stale.status_code == 400
    assert b"tolerance 10 s" in stale.content


def test_unknown_endpoint_uuid_is_404_and_kept(client):
    url = reverse("djstripe:webhook_by_uuid", kwargs={"uuid": uuid.uuid4()})
    response = post(client, make_event("customer.created", customer()), url=url)
    assert response.status_code == 404
    assert b"No webhook endpoint" in response.content
    assert not only_trigger().valid


def test_endpoint_secret_is_local_and_masked():
    row = endpoint()
    assert row.secret == "whsec_endpoint_secret_1234"
    assert "secret" not in row.stripe_data  # never stored with the Stripe data
    assert row.secret_hint == "whsec_…1234"
    assert "endpoint_secret" not in repr(row) and "1234" in repr(row)
    # A later mirror write (lists and retrieves carry no secret) keeps it,
    # and keeps the local URL token and tolerance.
    WebhookEndpoint.objects.filter(pk=row.pk).update(tolerance=42)
    sync.upsert(
        [{**row.stripe_data, "url": "https://example.com/new/"}], observed_at=at(1)
    )
    fresh = WebhookEndpoint.objects.get(pk=row.pk)
    assert fresh.url == "https://example.com/new/"
    assert (fresh.secret, fresh.tolerance, fresh.djstripe_uuid) == (
        row.secret,
        42,
        row.djstripe_uuid,
    )


BAD_INPUTS = [
    pytest.param(
        {"signature": ""}, 400, "Missing Stripe-Signature header", id="missing"
    ),
    pytest.param(
        {"signature": "t=1,v1"}, 400, "Malformed Stripe-Signature", id="malformed"
    ),
    pytest.param(
        {"secret": "whsec_wrong"}, 400, "No signature matches", id="wrong-secret"
    ),
    pytest.param({"age": 3600}, 400, "s ago", id="stale"),
    pytest.param({"age": -3600}, 400, "in the future", id="future"),
    pytest.param({"body": "not json{"}, 400, "not valid JSON", id="not-json"),
    pytest.param(
        {"body": '{"object": "customer", "id": "cus_1"}'},
        400,
        "not a Stripe event",
        id="not-event",
    ),
    pytest.param(
        {"body": '{"object": "event", "id": "evt_1"}'},
        400,
        "missing type, created, data.object",
        id="partial-event",
    ),
    pytest.param({"body": "[1, 2]"}, 400, "not a JSON object", id="json-list"),
]


@pytest.mark.parametrize(("case", "status", "message"), BAD_INPUTS)
def test_bad_input_is_rejected_kept_and_explained(
    client, caplog, case, status, message
):
    event = make_event("customer.created", customer())
    body = case.get("body", json.dumps(event))
    timestamp = int(time.time()) - case["age"] if "age" in case else None
    with caplog.at_level(logging.WARNING, logger="djstripe.webhooks"):
        response = post(
            client,
            body,
            secret=case.get("secret", SECRET),
            timestamp=timestamp,
            signature=case.get("signature"),
        )

    assert response.status_code == status
    assert message in response.content.decode()
    assert message in caplog.text
    trigger = only_trigger()
    assert not trigger.valid and not trigger.processed
    assert message in trigger.exception
    assert trigger.body == body
    assert not Event.objects.exists() and not Customer.objects.exists()


@override_settings(DJSTRIPE_WEBHOOK_MAX_BODY_SIZE=100)
def test_oversized_body_is_413(client, caplog):
    event = make_event("customer.created", customer())
    response = post(client, event)
    assert response.status_code == 413
    assert b"Body too large" in response.content
    trigger = only_trigger()
    assert not trigger.valid and "Body too large" in trigger.exception
    assert not Event.objects.exists()


def test_get_is_405_and_kept(client):
    response = client.get(reverse("djstripe:webhook"))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert b"use POST" in response.content
    assert "GET not allowed" in only_trigger().exception


@override_settings(DJSTRIPE_WEBHOOK_SECRET="")
def test_missing_secret_configuration_is_a_server_error(client):
    response = post(client, make_event("customer.created", customer()))
    assert response.status_code == 500
    assert b"No webhook secret configured" in response.content
    assert not only_trigger().valid


def test_unknown_types_and_unmirrored_objects_are_stored_and_acknowledged(client):
    unknown = make_event("something.new_happened", {"id": "x_1", "object": "novelty"})
    payout = make_event("payout.paid", stripe_fixture("payout"))
    for event in (unknown, payout):
        assert post(client, event).status_code == 200
    assert set(Event.objects.values_list("type", flat=True)) == {
        "something.new_happened",
        "payout.paid",
    }
    assert all(t.processed for t in WebhookEventTrigger.objects.all())


def test_duplicate_event_is_acknowledged_and_processed_once(client):
    calls = []
    handler("customer.updated")(lambda event, **kw: calls.append(event.id))
    event = make_event("customer.updated", customer(email="first@example.com"))

    assert post(client, event).status_code == 200
    redelivery = {**event, "pending_webhooks": 0}
    assert post(client, redelivery).status_code == 200

    assert calls == [event["id"]]
    assert Event.objects.count() == 1
    assert [t.processed for t in WebhookEventTrigger.objects.all()] == [True, True]
    assert {t.event_id for t in WebhookEventTrigger.objects.all()} == {event["id"]}


def test_failing_handler_rolls_back_and_answers_500_then_replays(client):
    sync.upsert([customer(email="before@example.com")], observed_at=at(0))
    broken = True

    @handler("customer.updated")
    def flaky(event, **kwargs):
        if broken:
            raise RuntimeError("handler exploded")

    event = make_event(
        "customer.updated", customer(email="after@example.com"), T0 + 100
    )
    response = post(client, event)

    assert response.status_code == 500
    assert b"handler exploded" in response.content
    # The mirror write of the failed event was rolled back with it.
    assert Customer.objects.get(id="cus_hook").email == "before@example.com"
    assert not Event.objects.exists()
    trigger = only_trigger()
    assert trigger.valid and not trigger.processed and trigger.failed
    assert trigger.exception == "RuntimeError: handler exploded"
    assert "Traceback" in trigger.traceback and "flaky" in trigger.traceback

    broken = False
    assert trigger.process() is True
    trigger.refresh_from_db()
    assert trigger.processed and trigger.exception == "" and trigger.attempts == 2
    assert Customer.objects.get(id="cus_hook").email == "after@example.com"


def test_database_unavailable_answers_503(client, caplog):
    failure = OperationalError("could not connect to server")
    with mock.patch.object(WebhookEventTrigger.objects, "create", side_effect=failure):
        response = post(client, make_event("customer.created", customer()))
    assert response.status_code == 503
    assert b"Database unavailable" in response.content
    assert "could not connect" in caplog.text


def test_database_error_while_processing_is_recorded_and_5xx(client):
    failure = OperationalError("database is locked")
    with mock.patch.object(sync, "upsert", side_effect=failure):
        response = post(client, make_event("customer.created", customer()))
    assert response.status_code >= 500
    trigger = only_trigger()
    assert not trigger.processed and "database is locked" in trigger.exception


def test_one_event_costs_at_most_five_queries_and_no_stripe_request(client):
    sync.upsert([customer(email="old@example.com")], observed_at=at(0))
    event = make_event(
        "customer.updated", customer(email="new@example.com"), T0 + 10**8
    )
    with (
        CaptureQueriesContext(connection) as queries,
        stripe_api.counter.counting() as requests,
    ):
        response = post(client, event)
    assert response.status_code == 200
    trigger_table = WebhookEventTrigger._meta.db_table
    counted = [
        q["sql"]
        for q in queries.captured_queries
        if trigger_table not in q["sql"]
        and not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    assert len(counted) <= 5, "\n".join(counted)
    assert requests.total == 0
    assert Customer.objects.get(id="cus_hook").email == "new@example.com"


def test_validation_stage_signals(client):
    from djstripe import signals

    seen = []

    def pre(sender, trigger, **kwargs):
        seen.append(("pre", sender, trigger.pk is not None))

    def post_validate(sender, trigger, valid, **kwargs):
        seen.append(("post", sender, valid))

    signals.webhook_pre_validate.connect(pre)
    signals.webhook_post_validate.connect(post_validate)
    try:
        post(client, make_event("customer.created", customer()))
        post(client, make_event("customer.created", customer()), secret="whsec_bad")
    finally:
        signals.webhook_pre_validate.disconnect(pre)
        signals.webhook_post_validate.disconnect(post_validate)
    assert seen == [
        ("pre", WebhookEventTrigger, True),
        ("post", WebhookEventTrigger, True),
        ("pre", WebhookEventTrigger, True),
        ("post", WebhookEventTrigger, False),
    ]


def test_thin_event_is_verified_stored_and_its_object_mirrored(client, stripe):
    stripe.objects["/v1/customers/cus_thin"] = customer(id="cus_thin", email="t@x.com")
    thin = {
        "id": "evt_thin_view",
        "object": "v2.core.event",
        "type": "v1.customer.updated",
        "created": "2026-01-01T00:00:00.000Z",
        "livemode": False,
        "related_object": {
            "id": "cus_thin",
            "type": "customer",
            "url": "/v1/customers/cus_thin",
        },
    }
    assert post(client, thin, secret="whsec_bad").status_code == 400
    assert stripe.calls == []  # nothing fetched for an unverified event
    assert post(client, thin).status_code == 200
    assert Customer.objects.get(id="cus_thin").email == "t@x.com"
    assert Event.objects.get(id="evt_thin_view").stripe_data["thin"] is True
    assert WebhookEventTrigger.objects.filter(processed=True).count() == 1


@pytest.mark.django_db
def test_an_endpoint_created_for_the_site_receives_its_own_events(client, fake_stripe):
    from djstripe.models import Customer, WebhookEndpoint

    endpoint = WebhookEndpoint.create_for_site(
        "http://testserver", enabled_events=["customer.created"]
    )
    stored = fake_stripe.get("webhook_endpoint", endpoint.id)
    assert stored["url"].endswith(f"/webhook/{endpoint.djstripe_uuid}/")
    assert endpoint.secret.startswith("whsec_")

    def deliver(url, body, headers):
        path = url.removeprefix("http://testserver")
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        return client.post(
            path, data=body, content_type="application/json", **extra
        ).status_code

    fake_stripe.webhook_transport = deliver
    fake_stripe.client().v1.customers.create({"email": "hooked@example.com"})
    results = fake_stripe.deliver_webhooks()
    assert results and all(status == 200 for _, _, status in results)
    assert Customer.objects.get(email="hooked@example.com")
