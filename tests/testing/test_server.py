import pytest
import stripe

from djstripe.testing import FakeStripe
from djstripe.testing.server import FakeStripeServer, main


def test_stripe_client_over_loopback_http():
    fake = FakeStripe()
    with FakeStripeServer(fake) as server:
        assert server.url.startswith("http://127.0.0.1:")
        client = stripe.StripeClient(
            "sk_test_123", base_addresses={"api": server.url}, max_network_retries=0
        )
        customer = client.v1.customers.create(params={"email": "http@example.com"})
        listed = client.v1.customers.list()
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.customers.retrieve("cus_missing")
    assert [c.id for c in listed.data] == [customer.id]
    assert fake.all("customer")[0]["email"] == "http@example.com"
    assert exc.value.http_status == 404
    assert exc.value.request_id.startswith("req_")


def test_unauthenticated_http_request_is_a_401():
    import json
    import urllib.error
    import urllib.request

    with FakeStripeServer() as server:
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(server.url + "/v1/customers")
    assert exc.value.code == 401
    assert "error" in json.loads(exc.value.read())


def test_only_loopback_is_allowed():
    with pytest.raises(ValueError):
        FakeStripeServer(host="0.0.0.0")
    with pytest.raises(SystemExit):
        main(["--host", "0.0.0.0", "--port", "0"])


def test_populate_builds_a_realistic_deterministic_account():
    from djstripe.testing.scenarios import populate

    def run():
        fake = FakeStripe(seed=4)
        made = populate(fake)
        return fake, made

    fake, made = run()
    statuses = sorted(fake.get("subscription", s)["status"] for s in made["subscription"])
    assert statuses == ["active", "active", "past_due"]
    kinds = {e["type"] for e in fake.events}
    assert {
        "charge.refunded",
        "charge.dispute.created",
        "checkout.session.completed",
    } <= kinds
    assert [e["id"] for e in run()[0].events] == [e["id"] for e in fake.events]
