import json

import stripe

from djstripe.testing import FakeStripe
from djstripe.testing.http_client import FakeHTTPClient


def test_stripe_client_with_the_fake_http_client():
    fake = FakeStripe()
    client = stripe.StripeClient("sk_test_x", http_client=fake.http_client)
    customer = client.v1.customers.create(params={"email": "a@b.c"})
    assert [c.id for c in client.v1.customers.list().data] == [customer.id]
    assert isinstance(fake.http_client, stripe.HTTPClient)
    assert fake.http_client is fake.http_client  # one client per fake


def test_request_ignores_the_host_and_returns_stripe_python_shapes():
    fake = FakeStripe()
    http = FakeHTTPClient(fake)
    body, status, headers = http.request(
        "post",
        "https://example.invalid/v1/customers?expand[]=test_clock",
        {"Authorization": "Bearer sk_test_x"},
        "name=Ann",
    )
    assert status == 200 and json.loads(body)["name"] == "Ann"
    assert headers["request-id"] == headers["Request-Id"]  # case-insensitive
    assert "request-id" in headers


def test_request_stream_and_close():
    fake = FakeStripe()
    http = FakeHTTPClient(fake)
    stream, status, _ = http.request_stream(
        "get", "http://x/v1/customers", {"Authorization": "Bearer sk_test_x"}
    )
    assert status == 200 and json.loads(stream.read())["object"] == "list"
    http.close()
