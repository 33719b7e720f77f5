"""The Stripe transport: retries, backoff, rate limiting, idempotency, counting.

A stub HTTP client stands in for the network; everything above it (the
retry loop, the limiter, the counter, stripe-python's request building) is
the real code.
"""

from __future__ import annotations

import datetime
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from django.test import override_settings
from stripe import HTTPClient

from djstripe import stripe_api


class StubHTTPClient(HTTPClient):
    """Answers from a script of (status, body, headers); records each request."""

    name = "stub"

    def __init__(self, *responses):
        super().__init__()
        self.responses = list(responses)
        self.calls: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.calls.append(
            {"method": method, "url": url, "headers": dict(headers), "body": post_data}
        )
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        status, body, headers = (*item, {})[:3]
        return json.dumps(body), status, {"Request-Id": "req_stub", **headers}


OK = (200, {"id": "cus_1", "object": "customer"})
RATE_LIMITED = (
    429,
    {"error": {"type": "rate_limit_error", "message": "slow"}},
    {"Retry-After": "7"},
)
SERVER_ERROR = (500, {"error": {"type": "api_error", "message": "boom"}})
BAD_REQUEST = (
    400,
    {"error": {"type": "invalid_request_error", "message": "no", "param": "x"}},
)


@pytest.fixture
def sleeps(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(stripe_api, "_sleep", slept.append)
    return slept


def run(stub, func=stripe_api.retrieve, *args, **kwargs):
    with stripe_api.use_http_client(stub):
        return (
            func(*args, **kwargs) if args else func("/v1/customers", "cus_1", **kwargs)
        )


def test_retrieve_returns_the_decoded_object_and_pins_the_version(sleeps):
    stub = StubHTTPClient(OK)
    assert run(stub, expand=["default_source"]) == {"id": "cus_1", "object": "customer"}
    call = stub.calls[0]
    assert call["method"] == "get"
    assert urlsplit(call["url"]).path == "/v1/customers/cus_1"
    assert parse_qs(urlsplit(call["url"]).query) == {"expand[0]": ["default_source"]}
    assert call["headers"]["Stripe-Version"] == stripe.api_version
    assert call["headers"]["Authorization"] == "Bearer sk_test_djstripe_tests"
    assert sleeps == []


@override_settings(DJSTRIPE_STRIPE_API_VERSION="2024-06-20")
def test_api_version_can_be_overridden(sleeps):
    stub = StubHTTPClient(OK)
    run(stub)
    assert stub.calls[0]["headers"]["Stripe-Version"] == "2024-06-20"


def test_429_is_retried_honouring_retry_after(sleeps):
    stub = StubHTTPClient(RATE_LIMITED, RATE_LIMITED, OK)
    assert run(stub)["id"] == "cus_1"
    assert len(stub.calls) == 3
    assert sleeps[0] >= 7 and sleeps[1] >= 7


def test_5xx_and_network_errors_are_retried_with_growing_backoff(sleeps):
    error = stripe.APIConnectionError("network down", should_retry=True)
    stub = StubHTTPClient(SERVER_ERROR, error, SERVER_ERROR, OK)
    assert run(stub)["id"] == "cus_1"
    assert len(stub.calls) == 4
    assert sleeps[0] < sleeps[2]  # 0.5s, 1s, 2s with +-25% jitter


def test_400_is_not_retried(sleeps):
    stub = StubHTTPClient(BAD_REQUEST, OK)
    with pytest.raises(stripe.InvalidRequestError) as info:
        run(stub)
    assert info.value.param == "x"
    assert len(stub.calls) == 1
    assert sleeps == []


@override_settings(DJSTRIPE_MAX_RETRIES=2)
def test_retries_give_up_with_stripes_error(sleeps):
    stub = StubHTTPClient(RATE_LIMITED)
    with pytest.raises(stripe.RateLimitError):
        run(stub)
    assert len(stub.calls) == 3


@override_settings(DJSTRIPE_RETRY_MAX_DELAY=2)
def test_backoff_is_capped():
    assert stripe_api.backoff_delay(10) <= 2
    assert stripe_api.backoff_delay(1, {"Retry-After": "60"}) == 2


def test_a_write_keeps_its_idempotency_key_across_retries(sleeps):
    stub = StubHTTPClient(SERVER_ERROR, OK)
    with stripe_api.use_http_client(stub):
        stripe_api.create("/v1/customers", {"email": "a@example.com"})
    keys = {call["headers"]["Idempotency-Key"] for call in stub.calls}
    assert len(stub.calls) == 2 and len(keys) == 1
    assert parse_qs(stub.calls[0]["body"]) == {"email": ["a@example.com"]}


def test_callers_can_choose_the_idempotency_key(sleeps):
    stub = StubHTTPClient(OK)
    with stripe_api.use_http_client(stub):
        stripe_api.update(
            "/v1/customers", "cus_1", {"name": "x"}, idempotency_key="k-1"
        )
    assert stub.calls[0]["headers"]["Idempotency-Key"] == "k-1"


def test_reads_carry_no_idempotency_key(sleeps):
    stub = StubHTTPClient(OK)
    run(stub)
    assert "Idempotency-Key" not in stub.calls[0]["headers"]


def test_connected_account_header(sleeps):
    stub = StubHTTPClient(OK)
    run(stub, stripe_account="acct_1")
    assert stub.calls[0]["headers"]["Stripe-Account"] == "acct_1"


def test_iter_pages_follows_starting_after(sleeps):
    page1 = (
        200,
        {"object": "list", "has_more": True, "data": [{"id": "a"}, {"id": "b"}]},
    )
    page2 = (200, {"object": "list", "has_more": False, "data": [{"id": "c"}]})
    stub = StubHTTPClient(page1, page2)
    with stripe_api.use_http_client(stub):
        pages = list(stripe_api.iter_pages("/v1/customers", {"expand": ["data.x"]}))
    assert [[o["id"] for o in page] for page in pages] == [["a", "b"], ["c"]]
    second = parse_qs(urlsplit(stub.calls[1]["url"]).query)
    assert second["starting_after"] == ["b"] and second["limit"] == ["100"]


def test_request_counter_counts_every_attempt(sleeps):
    stub = StubHTTPClient(SERVER_ERROR, OK)
    with stripe_api.counter.counting() as block:
        run(stub)
    assert block.total == 2 and block.retries == 1
    assert block.by_endpoint == {"GET /v1/customers/cus_1": 2}


def test_every_retry_is_logged_with_status_attempt_delay_and_request_id(sleeps, caplog):
    stub = StubHTTPClient(RATE_LIMITED, SERVER_ERROR, OK)
    with caplog.at_level("WARNING", logger="djstripe.transport"):
        with stripe_api.counter.counting() as block:
            run(stub)
    first, second = [r.getMessage() for r in caplog.records]
    assert first == (
        "Stripe GET /v1/customers/cus_1 answered 429 (request req_stub); "
        f"retry 1 of 5 in {sleeps[0]:.1f} s"
    )
    assert "answered 500" in second and "retry 2 of 5" in second
    assert (block.total, block.retries, block.rate_limited) == (3, 2, 1)


def test_a_network_error_that_a_retry_cannot_cure_is_final(sleeps):
    stub = StubHTTPClient(stripe.APIConnectionError("bad certificate"), OK)
    with pytest.raises(stripe.APIConnectionError):
        run(stub)
    assert len(stub.calls) == 1 and sleeps == []


def test_the_http_client_gets_the_configured_timeouts(monkeypatch):
    made = []
    monkeypatch.setattr(stripe_api, "_default_http_clients", {})
    monkeypatch.setattr(
        stripe, "new_default_http_client", lambda **kw: made.append(kw) or object()
    )
    saved = stripe_api._global_override[:]
    stripe_api._global_override.clear()  # no test client: the real one
    try:
        with override_settings(DJSTRIPE_HTTP_TIMEOUT=(2, 7)):
            first = stripe_api._http_client()
            assert stripe_api._http_client() is first
        stripe_api._http_client()  # the default: well under stripe-python's 80 s
    finally:
        stripe_api._global_override[:] = saved
    assert made == [{"timeout": (2.0, 7.0)}, {"timeout": (10.0, 30.0)}]


def test_failures_are_described_in_one_line_without_the_key():
    refused = stripe.APIConnectionError(
        "Unexpected error communicating with Stripe.\n\n(Network error: "
        "ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9): Max "
        "retries exceeded (Caused by NewConnectionError('<urllib3.connection."
        "HTTPConnection object>: Failed to establish a new connection: [Errno "
        "111] Connection refused')))"
    )
    key = "sk_test_secret1234"
    with override_settings(DJSTRIPE_API_BASE="http://127.0.0.1:9"):
        line = stripe_api.describe_failure(refused, key)
        refused_key = stripe_api.describe_failure(
            stripe.AuthenticationError("Invalid API Key provided: sk_test_****"),
            "sk_live_x",
        )
    assert line == (
        "Cannot reach Stripe at http://127.0.0.1:9 with a test-mode key: "
        "Connection refused."
    )
    assert refused_key == (
        "Stripe at http://127.0.0.1:9 with a live-mode key: the key was "
        "refused (401 invalid API key)."
    )
    assert "\n" not in line and key not in line
    assert stripe_api.is_fatal(refused)
    assert not stripe_api.is_fatal(stripe.PermissionError("no"))


@override_settings(STRIPE_TEST_SECRET_KEY="", STRIPE_LIVE_MODE=False)
def test_missing_key_is_a_clear_error():
    with pytest.raises(stripe.AuthenticationError, match="STRIPE_TEST_SECRET_KEY"):
        stripe_api.get_client()


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_rate_limiter_spaces_requests_after_a_burst():
    clock = FakeClock()
    limiter = stripe_api.RateLimiter(25, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        assert limiter.acquire() == 0
    for _ in range(25):
        limiter.acquire()
    # 30 requests: a burst of 5, then 25 at 25/s take one second.
    assert clock.now == pytest.approx(1.0)


@override_settings(DJSTRIPE_RATE_LIMIT=None)
def test_limits_follow_the_mode():
    assert stripe_api._limiter_for("sk_test_x").rate == 25
    assert stripe_api._limiter_for("sk_live_x").rate == 100


@override_settings(DJSTRIPE_RATE_LIMIT=0)
def test_rate_limit_can_be_disabled():
    assert stripe_api._limiter_for("sk_test_x") is None


def test_responses_carry_stripes_clock(sleeps):
    date = {"Date": "Thu, 01 Jan 2026 00:00:05 GMT"}
    page = (200, {"object": "list", "has_more": False, "data": [{"id": "a"}]}, date)
    stub = StubHTTPClient(page)
    with stripe_api.use_http_client(stub):
        [objects] = stripe_api.iter_pages("/v1/customers")
        single = stripe_api.retrieve("/v1/customers", "a")
    expected = datetime.datetime(2026, 1, 1, 0, 0, 5, tzinfo=datetime.UTC)
    assert objects.observed_at == expected
    assert single.observed_at == expected
    assert single == {"object": "list", "has_more": False, "data": [{"id": "a"}]}
