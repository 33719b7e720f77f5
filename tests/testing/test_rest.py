import json

import pytest
import stripe

from djstripe.testing import FakeStripe

from .conftest import call


def test_create_retrieve_update_delete_customer(client, fake):
    customer = client.v1.customers.create(
        params={"email": "a@b.c", "metadata": {"plan": "pro"}}
    )
    assert customer.id.startswith("cus_")
    assert customer.created == fake.now
    assert customer.livemode is False
    assert customer.metadata.to_dict() == {"plan": "pro"}

    fake.advance(60)
    updated = client.v1.customers.update(
        customer.id, params={"name": "Jo", "metadata": {"plan": ""}}
    )
    assert updated.name == "Jo"
    assert updated.metadata.to_dict() == {}  # "" unsets a metadata key
    assert client.v1.customers.retrieve(customer.id).name == "Jo"

    deleted = client.v1.customers.delete(customer.id)
    assert deleted.to_dict() == {
        "id": customer.id,
        "object": "customer",
        "deleted": True,
    }
    assert client.v1.customers.list().data == []


def test_ids_and_responses_are_deterministic_per_seed():
    def run(seed):
        fake = FakeStripe(seed=seed)
        ids = [fake.client().v1.customers.create().id for _ in range(3)]
        return ids, [e["id"] for e in fake.events]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_list_is_newest_first_and_paginates(client, fake):
    ids = []
    for _ in range(5):
        ids.append(client.v1.customers.create().id)
        fake.advance(1)
    newest_first = list(reversed(ids))

    page = client.v1.customers.list(params={"limit": 2})
    assert [c.id for c in page.data] == newest_first[:2]
    assert page.has_more is True
    assert page.url == "/v1/customers"

    page2 = client.v1.customers.list(
        params={"limit": 2, "starting_after": page.data[-1].id}
    )
    assert [c.id for c in page2.data] == newest_first[2:4]

    before = client.v1.customers.list(
        params={"limit": 2, "ending_before": newest_first[3]}
    )
    assert [c.id for c in before.data] == newest_first[1:3]

    assert [c.id for c in page.auto_paging_iter()] == newest_first


def test_same_second_objects_keep_creation_order(client):
    ids = [client.v1.customers.create().id for _ in range(3)]
    assert [c.id for c in client.v1.customers.list().data] == ids[::-1]


def test_list_filters(client, fake):
    first = client.v1.customers.create(params={"email": "x@example.com"})
    fake.advance(100)
    client.v1.customers.create(params={"email": "y@example.com"})
    by_email = client.v1.customers.list(params={"email": "x@example.com"})
    assert [c.id for c in by_email.data] == [first.id]
    created = client.v1.customers.list(params={"created": {"lt": fake.now}})
    assert [c.id for c in created.data] == [first.id]
    exact = client.v1.customers.list(params={"created": fake.now})
    assert len(exact.data) == 1 and exact.data[0].id != first.id

    product = client.v1.products.create(params={"name": "P"})
    client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 5,
            "lookup_key": "basic",
        }
    )
    client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "eur",
            "unit_amount": 7,
            "active": False,
        }
    )
    assert [
        p.currency for p in client.v1.prices.list(params={"active": True}).data
    ] == ["usd"]
    assert [
        p.lookup_key
        for p in client.v1.prices.list(params={"lookup_keys": ["basic"]}).data
    ] == ["basic"]
    assert len(client.v1.prices.list(params={"product": product.id}).data) == 2


@pytest.mark.parametrize("limit", ["0", "101"])
def test_limit_out_of_range_is_a_400(fake, limit):
    status, body, _ = call(fake, "GET", f"/v1/customers?limit={limit}")
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["param"] == "limit"


def test_expand_nested_paths_on_retrieve_and_list(client):
    customer = client.v1.customers.create(params={"payment_method": "pm_card_visa"})
    pm = client.v1.payment_methods.list(params={"customer": customer.id}).data[0]
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    intent = client.v1.payment_intents.create(
        params={
            "amount": 500,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": pm.id,
            "confirm": True,
        }
    )
    charge = client.v1.charges.retrieve(
        intent.latest_charge,
        params={
            "expand": [
                "customer.invoice_settings.default_payment_method",
                "balance_transaction",
            ]
        },
    )
    assert charge.customer.id == customer.id
    assert charge.customer.invoice_settings.default_payment_method.id == pm.id
    assert charge.balance_transaction.object == "balance_transaction"

    listed = client.v1.payment_intents.list(params={"expand": ["data.customer"]})
    assert listed.data[0].customer.email is None
    assert listed.data[0].customer.object == "customer"
    assert isinstance(client.v1.payment_intents.retrieve(intent.id).customer, str)


def test_unknown_id_is_a_404_shaped_like_stripe(fake):
    status, body, headers = call(fake, "GET", "/v1/customers/cus_missing")
    assert status == 404
    request_id = headers["Request-Id"]
    assert request_id.startswith("req_")
    assert body == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
            "message": "No such customer: 'cus_missing'",
            "param": "id",
            "request_log_url": (
                f"https://dashboard.stripe.com/test/logs/{request_id}?t={fake.now}"
            ),
        }
    }


def test_stripe_python_raises_invalid_request_error(client):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.products.retrieve("prod_nope")
    assert exc.value.http_status == 404
    assert exc.value.code == "resource_missing"
    assert exc.value.request_id.startswith("req_")


def test_unknown_parameter_is_rejected(fake):
    status, body, _ = call(fake, "POST", "/v1/customers", "emali=a%40b.c")
    assert status == 400
    assert body["error"]["code"] == "parameter_unknown"
    assert body["error"]["param"] == "emali"


def test_invalid_value_is_rejected(fake):
    status, body, _ = call(
        fake, "POST", "/v1/payment_intents", "amount=ten&currency=usd"
    )
    assert status == 400
    assert body["error"]["param"] == "amount"


@pytest.mark.parametrize("key", [None, "pk_test_123", "sk_live_123", "garbage"])
def test_missing_or_malformed_key_is_a_401(fake, key):
    status, body, headers = call(fake, "GET", "/v1/customers", key=key)
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"
    assert "Request-Id" in headers


def test_unrecognized_url_is_a_404(fake):
    status, body, _ = call(fake, "GET", "/v1/nothing_here")
    assert status == 404
    assert "Unrecognized request URL" in body["error"]["message"]


def test_delete_only_where_stripe_allows_it(fake, client):
    price_product = client.v1.products.create(params={"name": "P"})
    price = client.v1.prices.create(
        params={"product": price_product.id, "currency": "usd", "unit_amount": 5}
    )
    status, _, _ = call(fake, "DELETE", f"/v1/prices/{price.id}")
    assert status == 404
    status, body, _ = call(fake, "DELETE", f"/v1/products/{price_product.id}")
    assert status == 400  # products with prices cannot be deleted
    coupon = client.v1.coupons.create(params={"percent_off": 10, "id": "TEN"})
    assert coupon.id == "TEN"
    assert client.v1.coupons.delete("TEN").deleted is True


def test_deleted_objects_are_gone_except_customers(fake, client):
    customer = client.v1.customers.create(params={"email": "a@b.c"})
    client.v1.customers.delete(customer.id)
    status, body, _ = call(fake, "GET", f"/v1/customers/{customer.id}")
    assert (status, body) == (
        200,
        {"id": customer.id, "object": "customer", "deleted": True},
    )

    product = client.v1.products.create(params={"name": "P"})
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/h", "enabled_events": ["*"]}
    )
    feature = client.v1.entitlements.features.create(
        params={"name": "API", "lookup_key": "api"}
    )
    link = client.v1.products.features.create(
        product.id, params={"entitlement_feature": feature.id}
    )
    client.v1.products.features.delete(product.id, link.id)
    client.v1.products.delete(product.id)
    client.v1.coupons.delete(coupon.id)
    client.v1.webhook_endpoints.delete(endpoint.id)
    for path in (
        f"/v1/products/{product.id}",
        f"/v1/coupons/{coupon.id}",
        f"/v1/webhook_endpoints/{endpoint.id}",
        f"/v1/products/{product.id}/features/{link.id}",
    ):
        status, body, _ = call(fake, "GET", path)
        assert status == 404, path
        assert body["error"]["code"] == "resource_missing"


def test_idempotent_replay_returns_the_same_response(fake):
    headers = {"Idempotency-Key": "k1"}
    first = call(fake, "POST", "/v1/customers", "email=a%40b.c", **headers)
    again = call(fake, "POST", "/v1/customers", "email=a%40b.c", **headers)
    assert again[0] == first[0] == 200
    assert again[1] == first[1]
    assert again[2]["Idempotent-Replayed"] == "true"
    assert len(fake.all("customer")) == 1
    assert [e["type"] for e in fake.events] == ["customer.created"]

    status, body, _ = call(fake, "POST", "/v1/customers", "email=other", **headers)
    assert status == 400
    assert body["error"]["type"] == "idempotency_error"


def test_idempotent_replay_of_an_error(fake):
    headers = {"Idempotency-Key": "k2"}
    first = call(fake, "POST", "/v1/payment_intents", "currency=usd", **headers)
    again = call(fake, "POST", "/v1/payment_intents", "currency=usd", **headers)
    assert first[0] == again[0] == 400
    assert first[1] == again[1]


def test_event_request_carries_request_id_and_idempotency_key(fake):
    _, _, headers = call(
        fake, "POST", "/v1/customers", "", **{"Idempotency-Key": "abc"}
    )
    event = fake.events[-1]
    assert event["request"] == {"id": headers["Request-Id"], "idempotency_key": "abc"}


def test_fail_next_rate_limit_then_recovers(fake, client):
    fake.fail_next(2, status=429, retry_after=3)
    status, body, headers = call(fake, "GET", "/v1/customers")
    assert status == 429
    assert headers["Retry-After"] == "3"
    assert body["error"]["code"] == "rate_limit"
    with pytest.raises(stripe.RateLimitError):
        client.v1.customers.list()
    assert call(fake, "GET", "/v1/customers")[0] == 200


def test_fail_next_server_error_is_retried_by_stripe_python(fake, monkeypatch):
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, n: 0)
    fake.fail_next(1, status=500)
    client = fake.client(max_network_retries=2)
    customer = client.v1.customers.create(params={"email": "r@x.y"})
    assert customer.email == "r@x.y"
    posts = [r for r in fake.requests if r[0] == "POST"]
    assert len(posts) == 2  # one failure, one retry with the same idempotency key
    assert len(fake.all("customer")) == 1


def test_requests_are_recorded(fake, client):
    client.v1.customers.create(params={"email": "a@b.c"})
    client.v1.customers.list(params={"limit": 3})
    assert fake.requests == [
        ("POST", "/v1/customers", {"email": "a@b.c"}),
        ("GET", "/v1/customers", {"limit": 3}),
    ]


def test_handle_accepts_bytes_and_full_urls(fake):
    status, body, _ = call(
        fake, "POST", "https://api.stripe.com/v1/customers", b"name=B"
    )
    assert status == 200 and body["name"] == "B"
    json.dumps(body)  # JSON-ready


def test_basic_auth_like_curl_u(fake):
    import base64

    token = base64.b64encode(b"sk_test_123:").decode()
    status, _, _ = call(
        fake, "GET", "/v1/customers", key=None, Authorization=f"Basic {token}"
    )
    assert status == 200
