"""No input yields a 500, and every request leaves a row with its reason (#13).

The reproductions of the issue first, then property tests that fuzz the
signature header, the body, and signed events of the wrong shape through the
real view. Allowed answers: 2xx, 4xx; 503 only when the database is down
(never here). Run on SQLite and on PostgreSQL (``DATABASE_URL``).
"""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djstripe import stripe_api
from djstripe.models import Customer, Event, WebhookEventTrigger
from djstripe.webhooks import registry
from djstripe.webhooks.signature import sign

from .conftest import stripe_fixture
from .webhook_utils import SECRET, ScriptedStripe, make_event

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def isolated():
    with registry.isolated(), stripe_api.use_http_client(ScriptedStripe()):
        yield


def send(body: bytes, signature: str | None = None, **headers):
    """POST raw ``body``; signed with the test secret unless ``signature``."""
    if signature is None:
        signature = sign(body, SECRET)
    before = WebhookEventTrigger.objects.count()
    response = Client().post(
        reverse("djstripe:webhook"),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
        **headers,
    )
    assert response.status_code < 500, response.content
    assert WebhookEventTrigger.objects.count() == before + 1
    trigger = WebhookEventTrigger.objects.latest("id")
    if response.status_code == 200:
        assert trigger.valid and trigger.processed
    else:
        assert trigger.exception, "a rejected request must say why"
        assert not trigger.processed
    return response, trigger


def customer_event(**changes) -> dict:
    return make_event(
        "customer.updated",
        stripe_fixture("customer", id="cus_in", **changes),
        int(time.time()),
    )


# -- The reproductions ------------------------------------------------------------


def test_a_non_ascii_digit_in_the_timestamp_is_a_400():
    response, trigger = send(b"{}", signature="t=\u00b2,v1=00")
    assert response.status_code == 400
    assert "numeric t=" in trigger.exception


def test_a_timestamp_too_long_for_int_is_a_400():
    response, _ = send(b"{}", signature="t=" + "1" * 5000 + ",v1=00")
    assert response.status_code == 400


def test_a_long_malformed_item_is_quoted_short():
    response, trigger = send(b"{}", signature="x" * 10_000)
    assert response.status_code == 400
    assert len(trigger.exception) < 200 and len(response.content) < 200


def test_deep_nesting_is_a_400():
    body = ('{"a":' * 5000 + "1" + "}" * 5000).encode()
    response, trigger = send(body)
    assert response.status_code == 400
    assert "nested too deeply" in trigger.exception


@pytest.mark.parametrize(
    "change",
    [
        {"data": [1]},
        {"data": {"object": [1]}},
        {"data": {"object": {"id": 5, "object": "customer"}}},
        {"data": {"object": {"id": "cus_x", "object": ["customer"]}}},
        {"data": {"object": {"id": "cus_x"}, "previous_attributes": [1]}},
        {"id": {"a": 1}},
        {"type": "x" * 300},
        {"account": 12},
        {"created": "²"},
        {"created": 10**30},
    ],
)
def test_signed_events_of_the_wrong_shape_are_400(change):
    event = {**customer_event(), **change}
    response, trigger = send(json.dumps(event).encode())
    assert response.status_code == 400
    assert "not a Stripe event" in trigger.exception
    assert not Event.objects.exists()


def test_nan_is_not_json():
    body = json.dumps(customer_event(balance=float("nan"))).encode()
    response, trigger = send(body)
    assert response.status_code == 400 and "NaN" in trigger.exception


def test_a_signed_event_the_engine_cannot_store_is_kept_and_400():
    event = customer_event(created=10**40)  # no datetime column can hold it
    response, trigger = send(json.dumps(event).encode())
    assert response.status_code == 400
    assert trigger.valid and not trigger.processed
    assert "cannot be mirrored" in trigger.exception
    assert b"djstripe_process_events --failed" in response.content


def test_nul_bytes_in_the_body_are_a_400_not_a_503():
    for body in (b'{"id": "\x00"}', b"\x00" * 100):
        for signature in (None, "t=1,v1=00"):
            response, trigger = send(body, signature=signature)
            assert response.status_code == 400
            assert "\x00" not in trigger.body and "\ufffd" in trigger.body


def test_nul_bytes_in_a_header_are_stored_replaced():
    response, trigger = send(b"{}", signature="t=1,v1=00", HTTP_X_EVIL="a\x00b")
    assert response.status_code == 400
    assert trigger.headers["X-Evil"] == "a\ufffdb"


def test_a_non_utf8_signed_body_is_a_400():
    body = json.dumps(customer_event()).encode().replace(b"cus_in", b"cus_\xff")
    response, trigger = send(body)
    assert response.status_code == 400
    assert "not valid JSON" in trigger.exception


def test_a_signed_event_with_a_value_of_the_wrong_type_is_400():
    response, trigger = send(json.dumps(customer_event(livemode="x")).encode())
    assert response.status_code == 400
    assert "ValidationError" in trigger.exception


def test_a_well_formed_signed_event_still_applies():
    response, _ = send(json.dumps(customer_event(email="ok@x.com")).encode())
    assert response.status_code == 200
    assert Customer.objects.get(id="cus_in").email == "ok@x.com"


# -- Property tests -----------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@FUZZ
@given(header=st.text(max_size=200))
def test_any_signature_header(header):
    # Header values reach Django as latin-1 text.
    header = header.encode("latin-1", "replace").decode("latin-1")
    send(json.dumps(customer_event()).encode(), signature=header)


@FUZZ
@given(
    body=st.binary(max_size=300)
    | st.integers(1, 3000).map(lambda n: ("[" * n + "]" * n).encode())
    | json_values.map(lambda v: json.dumps(v).encode()),
    signed=st.booleans(),
)
def test_any_body(body, signed):
    send(body, signature=None if signed else "t=1,v1=00")


top_level_fields = st.sampled_from(
    ["id", "type", "created", "data", "account", "livemode", "api_version", "request"]
)
object_fields = st.sampled_from(
    ["id", "object", "email", "balance", "created", "metadata", "livemode", "name"]
)


@FUZZ
@given(
    top=st.dictionaries(top_level_fields, json_values, max_size=2),
    obj=st.dictionaries(object_fields | st.text(max_size=5), json_values, max_size=3),
)
def test_any_signed_event_of_the_wrong_shape(top, obj):
    event = customer_event()
    event["data"]["object"].update(obj)
    event.update(top)
    send(json.dumps(event).encode())
