"""Poison-proof data: NUL and lone surrogates are stored alike everywhere (#13).

PostgreSQL refuses both in ``text`` and ``jsonb``; SQLite takes them. Both
are replaced by U+FFFD where data enters (webhook bodies, Stripe responses),
so the same event is applied the same way on both, and never fails forever.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from djstripe import stripe_api, sync
from djstripe._text import REPLACEMENT, clean_json, clean_text
from djstripe.models import Customer, Event, WebhookEventTrigger
from djstripe.webhooks import handler, registry

from .conftest import stripe_fixture
from .webhook_utils import ScriptedStripe, make_event, post

pytestmark = pytest.mark.django_db

POISON = "a\u0000b\ud800c\udfffd"
CLEAN = f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}d"


@pytest.fixture(autouse=True)
def stripe():
    with registry.isolated(), stripe_api.use_http_client(ScriptedStripe()) as scripted:
        yield scripted


def poisoned_customer(**changes) -> dict:
    return stripe_fixture(
        "customer",
        id="cus_poison",
        email=POISON,
        metadata={POISON: POISON, "list": [POISON, {"deep": POISON}]},
        **changes,
    )


def assert_clean_customer():
    customer = Customer.objects.get(id="cus_poison")
    assert customer.email == CLEAN
    assert customer.stripe_data["metadata"] == {
        CLEAN: CLEAN,
        "list": [CLEAN, {"deep": CLEAN}],
    }


def test_a_signed_poisoned_event_is_applied(client):
    event = make_event("customer.updated", poisoned_customer())
    body = json.dumps(event)  # ensure_ascii: the poison travels as \u escapes
    assert "\\u0000" in body and "\\ud800" in body

    response = post(client, body)

    assert response.status_code == 200, response.content
    assert_clean_customer()
    stored = Event.objects.get(id=event["id"])
    assert stored.data["object"]["email"] == CLEAN
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.processed and trigger.body == body  # kept as sent


def test_a_poisoned_event_replays_the_same_way(client):
    broken = True

    @handler("customer.updated")
    def flaky(event, **kwargs):
        if broken:
            raise RuntimeError("not yet")

    event = make_event("customer.updated", poisoned_customer())
    assert post(client, json.dumps(event)).status_code == 500
    assert not Customer.objects.exists()
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.json_body["data"]["object"]["email"] == CLEAN

    broken = False
    out = StringIO()
    call_command("djstripe_process_events", "--failed", stdout=out)
    assert "1 processed" in out.getvalue()
    assert_clean_customer()


def test_a_poisoned_raw_body_and_header_are_stored(client):
    response = post(
        client,
        b'{"id": "\x00\xed\xa0\x80"}',
        signature="t=1,v1=00",
        HTTP_X_NOTE="x\x00y",
    )
    assert response.status_code == 400
    trigger = WebhookEventTrigger.objects.get()
    assert "\x00" not in trigger.body and trigger.headers["X-Note"] == "x\ufffdy"


def test_a_poisoned_api_response_is_cleaned_and_mirrored(stripe):
    stripe.objects["/v1/customers/cus_poison"] = poisoned_customer()
    data = stripe_api.retrieve("/v1/customers", "cus_poison", api_key="sk_test_x")
    assert data["email"] == CLEAN and data.observed_at is not None
    sync.upsert([data])
    assert_clean_customer()


def test_clean_data_is_returned_as_is():
    data = {"a": ["b", {"c": "\u00e9\U0001f600"}]}
    raw = json.dumps(data)
    assert clean_json(data, raw) is data
    assert clean_json(data) == data


def test_deep_data_is_cleaned_without_recursion():
    data: list = []
    node = data
    for _ in range(10_000):
        node.append([])
        node = node[0]
    node.append("\x00")
    clean_json(data)
    for _ in range(10_000):
        data = data[0]
    assert data == [REPLACEMENT]


@given(st.text())
def test_clean_text_leaves_nothing_unstorable(text):
    cleaned = clean_text(text)
    cleaned.encode("utf-8")  # no lone surrogate left
    assert "\x00" not in cleaned
    assert len(cleaned) == len(text)
    assert clean_text(cleaned) == cleaned
