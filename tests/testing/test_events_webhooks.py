import json
import random
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe

from djstripe.testing.webhooks import post_event, sign_payload, urllib_transport


def test_create_update_delete_events(client, fake):
    customer = client.v1.customers.create(params={"email": "a@b.c"})
    fake.advance(10)
    client.v1.customers.update(
        customer.id, params={"name": "Jo", "metadata": {"k": "v"}}
    )
    client.v1.customers.delete(customer.id)

    created, updated, deleted = fake.events
    assert [created["type"], updated["type"], deleted["type"]] == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
    ]
    assert created["data"]["object"]["email"] == "a@b.c"
    assert updated["data"]["previous_attributes"] == {
        "name": None,
        "metadata": {"k": None},
    }
    assert updated["data"]["object"]["name"] == "Jo"
    assert updated["created"] == fake.now
    for event in fake.events:
        assert event["id"].startswith("evt_")
        assert event["object"] == "event"
        assert event["api_version"] == fake.api_version
        assert event["livemode"] is False
        assert event["request"]["id"].startswith("req_")


def test_no_event_for_an_update_that_changes_nothing(client, fake):
    customer = client.v1.customers.create(params={"name": "A"})
    client.v1.customers.update(customer.id, params={"name": "A"})
    assert [e["type"] for e in fake.events] == ["customer.created"]


def test_events_list_filters_and_retrieve(client, fake):
    customer = client.v1.customers.create()
    fake.advance(5)
    client.v1.products.create(params={"name": "P"})
    client.v1.customers.update(customer.id, params={"name": "N"})

    def types(**params):
        return [e.type for e in client.v1.events.list(params=params).data]

    assert types() == ["customer.updated", "product.created", "customer.created"]
    assert types(type="customer.*") == ["customer.updated", "customer.created"]
    assert types(type="product.created") == ["product.created"]
    assert types(types=["product.created", "customer.updated"]) == [
        "customer.updated",
        "product.created",
    ]
    assert types(created={"gte": fake.now}) == ["customer.updated", "product.created"]
    first = fake.events[0]
    assert client.v1.events.retrieve(first["id"]).type == "customer.created"


def test_events_are_read_only(fake):
    from .conftest import call

    assert call(fake, "POST", "/v1/events", "type=x")[0] == 404


def test_signature_verifies_with_stripe_python():
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "customer.created"})
    header = sign_payload(payload, "whsec_test")
    assert header.startswith("t=") and ",v1=" in header
    event = stripe.Webhook.construct_event(payload, header, "whsec_test")
    assert event.id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")


def test_signature_is_hmac_of_timestamp_and_payload():
    import hashlib
    import hmac

    expected = hmac.new(b"s", b"100.{}", hashlib.sha256).hexdigest()
    assert sign_payload(b"{}", "s", timestamp=100) == f"t=100,v1={expected}"


def test_post_event_uses_the_django_test_client_shape():
    class Recorder:
        def post(self, url, **kwargs):
            self.call = (url, kwargs)
            return "response"

    recorder = Recorder()
    event = {"id": "evt_1", "type": "ping"}
    assert post_event(recorder, "/hook/", event, "whsec_x", timestamp=5) == "response"
    url, kwargs = recorder.call
    assert url == "/hook/"
    assert kwargs["content_type"] == "application/json"
    assert json.loads(kwargs["data"]) == event
    assert kwargs["HTTP_STRIPE_SIGNATURE"] == sign_payload(kwargs["data"], "whsec_x", 5)


def test_endpoint_secret_only_on_create(client):
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
    )
    assert endpoint.secret.startswith("whsec_")
    assert "secret" not in client.v1.webhook_endpoints.retrieve(endpoint.id).to_dict()
    listed = client.v1.webhook_endpoints.list().data[0].to_dict()
    assert "secret" not in listed


def _capture(fake):
    sent = []

    def transport(url, body, headers):
        sent.append((url, json.loads(body), headers))
        return 200

    fake.webhook_transport = transport
    return sent


def test_deliver_webhooks_respects_enabled_events(client, fake):
    sent = _capture(fake)
    client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/all", "enabled_events": ["*"]}
    )
    secret = client.v1.webhook_endpoints.create(
        params={
            "url": "http://127.0.0.1:9/products",
            "enabled_events": ["product.created"],
        }
    ).secret
    customer = client.v1.customers.create()
    client.v1.products.create(params={"name": "P"})

    results = fake.deliver_webhooks()
    assert [(url.rsplit("/", 1)[1], body["type"]) for url, body, _ in sent] == [
        ("all", "customer.created"),
        ("all", "product.created"),
        ("products", "product.created"),
    ]
    assert all(status == 200 for _, _, status in results)
    assert fake.deliver_webhooks() == []  # each event is delivered once
    url, body, headers = sent[2]
    stripe.Webhook.construct_event(
        json.dumps(body), headers["Stripe-Signature"], secret
    )  # raises if the signature is wrong
    assert (
        client.v1.events.list(params={"type": "customer.created"})
        .data[0]
        .pending_webhooks
        == 0
    )
    assert customer.id == sent[0][1]["data"]["object"]["id"]


def test_events_before_an_endpoint_existed_are_not_sent(client, fake):
    sent = _capture(fake)
    client.v1.customers.create()
    client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]}
    )
    assert fake.deliver_webhooks() == []
    assert sent == []


def test_auto_deliver_sends_at_each_change(client, fake):
    sent = _capture(fake)
    client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/x", "enabled_events": ["customer.created"]}
    )
    fake.auto_deliver = True
    client.v1.customers.create()
    assert [body["type"] for _, body, _ in sent] == ["customer.created"]


def test_chaos_duplicates_and_reorders_deterministically(client, fake):
    _capture(fake)
    client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/x", "enabled_events": ["*"]}
    )
    for _ in range(10):
        client.v1.customers.create()
    in_order = [e["id"] for e in fake.events]
    results = fake.deliver_webhooks(chaos=random.Random(3), duplicate=0.5, reorder=True)
    delivered = [event_id for event_id, _, _ in results]
    assert sorted(set(delivered)) == sorted(in_order)
    assert len(delivered) > len(in_order)  # some duplicates
    assert delivered != sorted(delivered, key=in_order.index)  # shuffled


def test_urllib_transport_refuses_non_loopback():
    with pytest.raises(ValueError):
        urllib_transport("https://example.com/hook", b"{}", {})


def test_default_transport_posts_to_a_loopback_server(client, fake):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append((self.headers["Stripe-Signature"], self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        endpoint = client.v1.webhook_endpoints.create(
            params={
                "url": f"http://127.0.0.1:{server.server_address[1]}/hook",
                "enabled_events": ["customer.created"],
            }
        )
        client.v1.customers.create()
        results = fake.deliver_webhooks()
    finally:
        server.shutdown()
        server.server_close()
    assert [status for _, _, status in results] == [204]
    signature, body = received[0]
    event = stripe.Webhook.construct_event(body.decode(), signature, endpoint.secret)
    assert event.type == "customer.created"
