"""A dj-stripe user's tests patch stripe-python's resource methods; djstripe's
model calls go through those methods, so the patches intercept them, while
unpatched calls keep the transport's retries, idempotency and ``Date`` stamp."""

import datetime
import json
from unittest import mock
from urllib.parse import urlsplit

import pytest
import stripe
from django.contrib.auth import get_user_model
from stripe import HTTPClient

from djstripe import stripe_api, sync
from djstripe.models import Charge, Customer, Invoice, Refund, Subscription
from tests.conftest import stripe_fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create(username="ada", email="ada@example.com")


def _mirror_earlier(data):
    """Mirror ``data`` as observed a minute ago, so the call under test is
    newer (a same-second copy would be a tie that the engine re-reads)."""
    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    sync.upsert([data], observed_at=earlier.replace(microsecond=0))


def _no_requests():
    """A block in which any request that reaches the transport fails the test."""
    return stripe_api.use_http_client(_Refuse())


class _Refuse(HTTPClient):
    name = "refuse"

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        raise AssertionError(f"unexpected request {method} {url}")


def test_patched_customer_create_intercepts_customer_create(user, settings):
    data = stripe_fixture(
        "customer",
        id="cus_mocked",
        email="ada@example.com",
        metadata={"djstripe_subscriber": str(user.pk)},
    )
    with (
        _no_requests(),
        mock.patch("stripe.Customer.create", return_value=data) as create,
    ):
        customer = Customer.create(user)
    assert customer.id == "cus_mocked"
    assert Customer.objects.get(id="cus_mocked").subscriber == user
    kwargs = create.call_args.kwargs
    assert kwargs["api_key"] == settings.STRIPE_TEST_SECRET_KEY
    assert kwargs["stripe_version"] == stripe.api_version
    assert kwargs["idempotency_key"]
    assert kwargs["email"] == "ada@example.com"
    assert kwargs["metadata"] == {"djstripe_subscriber": str(user.pk)}


def test_a_patch_may_return_a_stripe_object(user):
    data = stripe_fixture("customer", id="cus_obj", email="ada@example.com")
    obj = stripe.Customer.construct_from(data, "sk_test_x")
    with _no_requests(), mock.patch("stripe.Customer.create", return_value=obj):
        customer = Customer.create(user)
    assert customer.id == "cus_obj"
    assert customer.stripe_data["email"] == "ada@example.com"


def test_patched_retrieve_intercepts_api_retrieve():
    data = stripe_fixture("subscription", id="sub_mocked", status="past_due")
    Subscription.sync_from_stripe_data(stripe_fixture("subscription", id="sub_mocked"))
    with (
        _no_requests(),
        mock.patch("stripe.Subscription.retrieve", return_value=data) as retrieve,
    ):
        fresh = Subscription.objects.get(id="sub_mocked").api_retrieve()
    assert fresh["status"] == "past_due"
    assert retrieve.call_args.args == ("sub_mocked",)


def test_patched_cancel_intercepts_subscription_cancel():
    _mirror_earlier(stripe_fixture("subscription", id="sub_c", status="active"))
    canceled = stripe_fixture("subscription", id="sub_c", status="canceled")
    with (
        _no_requests(),
        mock.patch("stripe.Subscription.cancel", return_value=canceled) as cancel,
    ):
        sub = Subscription.objects.get(id="sub_c").cancel()
    assert cancel.call_args.args == ("sub_c",)
    assert sub.status == "canceled"
    assert Subscription.objects.get(id="sub_c").status == "canceled"


def test_patched_refund_create_intercepts_charge_refund():
    _mirror_earlier(stripe_fixture("charge", id="ch_r", amount=2000, currency="usd"))
    refund = stripe_fixture("refund", id="re_r", charge="ch_r", amount=500)
    with (
        _no_requests(),
        mock.patch("stripe.Refund.create", return_value=refund) as create,
    ):
        result = Charge.objects.get(id="ch_r").refund(amount=5)
    assert isinstance(result, Refund) and result.id == "re_r"
    assert create.call_args.kwargs["charge"] == "ch_r"
    assert create.call_args.kwargs["amount"] == 500


def test_patched_action_intercepts_invoice_pay():
    _mirror_earlier(stripe_fixture("invoice", id="in_p", status="open"))
    paid = stripe_fixture("invoice", id="in_p", status="paid")
    with _no_requests(), mock.patch("stripe.Invoice.pay", return_value=paid) as pay:
        invoice = Invoice.objects.get(id="in_p").pay()
    assert pay.call_args.args == ("in_p",)
    assert invoice.status == "paid"


def test_patched_modify_intercepts_updates():
    _mirror_earlier(stripe_fixture("subscription", id="sub_u"))
    updated = stripe_fixture("subscription", id="sub_u", cancel_at_period_end=True)
    with (
        _no_requests(),
        mock.patch("stripe.Subscription.modify", return_value=updated) as modify,
    ):
        Subscription.objects.get(id="sub_u").cancel(at_period_end=True)
    assert modify.call_args.args == ("sub_u",)
    assert modify.call_args.kwargs["cancel_at_period_end"] is True


def test_patching_the_whole_class_intercepts_too():
    data = stripe_fixture("product", id="prod_mocked", name="Gold")
    with _no_requests(), mock.patch("stripe.Product") as product_class:
        product_class.retrieve.return_value = data
        fresh = stripe_api.retrieve("/v1/products", "prod_mocked")
    assert fresh["name"] == "Gold"
    assert product_class.retrieve.call_args.args == ("prod_mocked",)


def test_patching_a_namespaced_class_intercepts_too():
    session = {"id": "cs_1", "object": "checkout.session", "status": "expired"}
    with (
        _no_requests(),
        mock.patch("stripe.checkout.Session.expire", return_value=session) as expire,
    ):
        data = stripe_api.request("post", "/v1/checkout/sessions/cs_1/expire")
    assert data["status"] == "expired" and expire.call_args.args == ("cs_1",)


def test_a_patch_returning_a_mock_is_refused_with_a_clear_error(user):
    with _no_requests(), mock.patch("stripe.Customer.create"):
        with pytest.raises(TypeError, match="must return a dict or StripeObject"):
            Customer.create(user)


# -- Unpatched calls keep the transport ---------------------------------------------


class _Script(HTTPClient):
    """Answers from a list of (status, body); records each request."""

    name = "script"

    def __init__(self, *responses):
        super().__init__()
        self.responses = list(responses)
        self.calls = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.calls.append({"method": method, "url": url, "headers": dict(headers)})
        status, body = self.responses.pop(0)
        date = "Tue, 01 Dec 2026 10:00:00 GMT"
        return json.dumps(body), status, {"Request-Id": "req_1", "Date": date}


def test_resource_calls_retry_with_one_idempotency_key(monkeypatch):
    monkeypatch.setattr(stripe_api, "_sleep", lambda seconds: None)
    script = _Script(
        (500, {"error": {"type": "api_error", "message": "boom"}}),
        (200, {"id": "cus_1", "object": "customer"}),
    )
    with stripe_api.use_http_client(script):
        data = stripe_api.create("/v1/customers", {"email": "a@example.com"})
    assert data == {"id": "cus_1", "object": "customer"}
    assert [urlsplit(c["url"]).path for c in script.calls] == ["/v1/customers"] * 2
    keys = {c["headers"]["Idempotency-Key"] for c in script.calls}
    assert len(keys) == 1 and keys.pop().startswith("djstripe-")
    assert data.observed_at == datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC)


def test_resource_calls_are_counted_and_rebased(settings):
    settings.DJSTRIPE_API_BASE = "http://127.0.0.1:1"
    script = _Script((200, {"id": "in_1", "object": "invoice", "status": "void"}))
    with stripe_api.use_http_client(script), stripe_api.counter.counting() as count:
        stripe_api.request("post", "/v1/invoices/in_1/void")
    assert script.calls[0]["url"] == "http://127.0.0.1:1/v1/invoices/in_1/void"
    assert count.by_endpoint == {"POST /v1/invoices/in_1/void": 1}


def test_requests_without_a_resource_method_use_the_client():
    script = _Script((200, {"object": "list", "data": [], "has_more": False}))
    with stripe_api.use_http_client(script):
        assert list(stripe_api.iter_pages("/v1/customers")) == []
    assert urlsplit(script.calls[0]["url"]).path == "/v1/customers"


@pytest.mark.parametrize(
    "method, path, expected",
    [
        ("post", "/v1/customers", "Customer.create"),
        ("get", "/v1/customers/cus_1", "Customer.retrieve"),
        ("post", "/v1/customers/cus_1", "Customer.modify"),
        ("delete", "/v1/customers/cus_1", "Customer.delete"),
        ("delete", "/v1/subscriptions/sub_1", "Subscription.cancel"),
        ("post", "/v1/invoices/in_1/void", "Invoice.void_invoice"),
        ("post", "/v1/invoices/in_1/finalize", "Invoice.finalize_invoice"),
        ("post", "/v1/invoices/create_preview", "Invoice.create_preview"),
        ("post", "/v1/payment_methods/pm_1/attach", "PaymentMethod.attach"),
        ("post", "/v1/checkout/sessions/cs_1/expire", "checkout.Session.expire"),
        ("get", "/v1/account", "Account.retrieve"),
        ("get", "/v1/country_specs/US", "CountrySpec.retrieve"),
        ("delete", "/v1/customers/cus_1/discount", "Customer.delete_discount"),
    ],
)
def test_each_request_goes_through_its_resource_method(method, path, expected):
    target = "stripe." + expected
    with mock.patch(target, return_value={"id": "x", "object": "x"}) as patched:
        stripe_api.request(method, path)
    assert patched.called


def test_nested_and_list_requests_are_not_routed():
    assert stripe_api._resource_call("get", "/v1/customers") is None
    assert (
        stripe_api._resource_call("get", "/v1/transfers/tr_1/reversals/trr_1") is None
    )
    assert stripe_api._resource_call("get", "/v2/core/events/evt_1") is None
    # A dict method of StripeObject is not an action of the API.
    assert stripe_api._resource_call("post", "/v1/customers/cus_1/update") is None
