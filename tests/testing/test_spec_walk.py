"""Walk Stripe's contract, operation by operation, for every resource dj-stripe
mirrors: the fake must serve it (or say here why not) and reject what Stripe
rejects, so code that relies on something Stripe would not do fails in tests.
"""

from urllib.parse import urlencode

import pytest
import stripe
from django.apps import apps

from djstripe.models.base import StripeModel
from djstripe.testing import FakeStripe, contract

from .test_contract import populated

KEY = {"Authorization": "Bearer sk_test_walk"}
FORM = {**KEY, "Content-Type": "application/x-www-form-urlencoded"}

_CONNECT_ONBOARDING = (
    "Connect onboarding (people, capabilities, login links, rejection) is not "
    "modelled: the fake's connected accounts are created ready."
)
_DEPRECATED_DISCOUNT = (
    "the single legacy `discount` of customers and subscriptions is only read "
    "from the object; today's API manages `discounts` through updates."
)
_NOT_MODELLED = {
    "DELETE /v1/accounts/{id}/people/{id}": _CONNECT_ONBOARDING,
    "DELETE /v1/accounts/{id}/persons/{id}": _CONNECT_ONBOARDING,
    "GET /v1/accounts/{id}/capabilities": _CONNECT_ONBOARDING,
    "GET /v1/accounts/{id}/capabilities/{id}": _CONNECT_ONBOARDING,
    "GET /v1/accounts/{id}/people": _CONNECT_ONBOARDING,
    "GET /v1/accounts/{id}/people/{id}": _CONNECT_ONBOARDING,
    "GET /v1/accounts/{id}/persons": _CONNECT_ONBOARDING,
    "GET /v1/accounts/{id}/persons/{id}": _CONNECT_ONBOARDING,
    "POST /v1/accounts/{id}/capabilities/{id}": _CONNECT_ONBOARDING,
    "POST /v1/accounts/{id}/login_links": _CONNECT_ONBOARDING,
    "POST /v1/accounts/{id}/people": _CONNECT_ONBOARDING,
    "POST /v1/accounts/{id}/people/{id}": _CONNECT_ONBOARDING,
    "POST /v1/accounts/{id}/persons": _CONNECT_ONBOARDING,
    "POST /v1/accounts/{id}/persons/{id}": _CONNECT_ONBOARDING,
    "POST /v1/accounts/{id}/reject": _CONNECT_ONBOARDING,
    "POST /v1/accounts/{id}/unreject": _CONNECT_ONBOARDING,
    "DELETE /v1/customers/{id}/subscriptions/{id}/discount": _DEPRECATED_DISCOUNT,
    "DELETE /v1/subscriptions/{id}/discount": _DEPRECATED_DISCOUNT,
    "GET /v1/customers/{id}/discount": _DEPRECATED_DISCOUNT,
    "GET /v1/customers/{id}/subscriptions/{id}/discount": _DEPRECATED_DISCOUNT,
    "GET /v1/customers/{id}/cash_balance": "cash balances are not modelled.",
    "POST /v1/customers/{id}/cash_balance": "cash balances are not modelled.",
    "GET /v1/customers/{id}/cash_balance_transactions": "cash balances are not "
    "modelled.",
    "GET /v1/customers/{id}/cash_balance_transactions/{id}": "cash balances are "
    "not modelled.",
    "POST /v1/customers/{id}/funding_instructions": "bank transfers are not modelled.",
    "GET /v1/payment_intents/{id}/amount_details_line_items": "Level 3 line items "
    "are not modelled.",
    "POST /v1/payment_intents/{id}/apply_customer_balance": "cash balances are not "
    "modelled.",
    "POST /v1/payment_intents/{id}/increment_authorization": "incremental "
    "authorization is not modelled.",
    "POST /v1/payment_intents/{id}/verify_microdeposits": "microdeposits are only "
    "modelled for legacy bank account sources.",
    "POST /v1/setup_intents/{id}/verify_microdeposits": "microdeposits are only "
    "modelled for legacy bank account sources.",
    "POST /v1/invoices/{id}/add_lines": "editing a draft invoice's lines is not "
    "modelled; invoice items are.",
    "POST /v1/invoices/{id}/remove_lines": "editing a draft invoice's lines is not "
    "modelled; invoice items are.",
    "POST /v1/invoices/{id}/update_lines": "editing a draft invoice's lines is not "
    "modelled; invoice items are.",
    "POST /v1/invoices/{id}/lines/{id}": "editing a draft invoice's lines is not "
    "modelled; invoice items are.",
    "POST /v1/invoices/{id}/attach_payment": "out-of-band invoice payments are not "
    "modelled.",
    "POST /v1/payouts/{id}/reverse": "payout reversals are not modelled.",
    "GET /v1/subscription_items/{id}/usage_record_summaries": "legacy usage "
    "records (removed from today's API in favour of meters) are not modelled.",
    "POST /v1/subscription_items/{id}/usage_records": "legacy usage records "
    "(removed from today's API in favour of meters) are not modelled.",
    "POST /v1/subscriptions/{id}/migrate": "billing mode migration is not modelled.",
    "POST /v1/subscriptions/{id}/pause": "pausing is not modelled.",
    "POST /v1/subscriptions/{id}/resume": "pausing is not modelled.",
    "GET /v1/sources/{id}/mandate_notifications/{id}": "Source mandate "
    "notifications are not modelled.",
    "GET /v1/sources/{id}/source_transactions": "Source transactions are not modelled.",
    "GET /v1/sources/{id}/source_transactions/{id}": "Source transactions are not "
    "modelled.",
    "POST /v1/sources/{id}/verify": "Source verification is not modelled.",
}
"""Operations of mirrored resources the fake does not serve, and why."""


NESTED_ONLY = {
    "/v1/bank_accounts",
    "/v1/cards",
    "/v1/fee_refunds",
    "/v1/line_items",
    "/v1/transfer_reversals",
}
"""Class URLs stripe-python gives objects that only live under a parent
(``/v1/customers/{id}/sources``, ``/v1/accounts/{id}/external_accounts``)."""


NOT_SERVED_RESOURCES = {
    "/v1/identity/verification_reports": "Identity is mirrored (dj-stripe's "
    "models) but not modelled by the fake.",
    "/v1/identity/verification_sessions": "Identity is mirrored (dj-stripe's "
    "models) but not modelled by the fake.",
    "/v1/issuing/authorizations": "Issuing is mirrored (dj-stripe's models) but "
    "not modelled by the fake.",
    "/v1/issuing/cardholders": "Issuing is mirrored (dj-stripe's models) but not "
    "modelled by the fake.",
    "/v1/issuing/cards": "Issuing is mirrored (dj-stripe's models) but not "
    "modelled by the fake.",
    "/v1/issuing/disputes": "Issuing is mirrored (dj-stripe's models) but not "
    "modelled by the fake.",
    "/v1/issuing/transactions": "Issuing is mirrored (dj-stripe's models) but not "
    "modelled by the fake.",
}
"""Mirrored resources the fake serves none of, and why (the walk skips them)."""


def _mirrored_prefixes() -> set[str]:
    """The API paths of every model dj-stripe mirrors (``/v1/customers``)."""
    prefixes = set()
    for model in apps.get_models():
        stripe_class = getattr(model, "stripe_class", None)
        if not issubclass(model, StripeModel) or stripe_class is None:
            continue
        try:
            prefixes.add(stripe_class.class_url())
        except (NotImplementedError, AttributeError, stripe.InvalidRequestError):
            continue  # nested only (reversals): walked with their parent
    return prefixes - NESTED_ONLY - set(NOT_SERVED_RESOURCES)


def _in_scope(key: str, prefixes: set[str]) -> bool:
    path = key.split(" ", 1)[1]
    return any(path == p or path.startswith(p + "/") for p in prefixes)


PREFIXES = _mirrored_prefixes()
OPERATIONS = sorted(k for k in contract.operation_keys() if _in_scope(k, PREFIXES))


def _request(fake: FakeStripe, key: str, params: dict) -> tuple[int, dict]:
    method, path = key.split(" ", 1)
    path = path.replace("{id}", "zz_walk")
    form = urlencode(params, doseq=True)
    if method == "POST":
        status, body, _ = fake.handle(method, path, form, FORM)
    else:
        status, body, _ = fake.handle(
            method, f"{path}?{form}" if form else path, None, KEY
        )
    return status, body


def _is_unrecognized(status: int, body: dict) -> bool:
    return status == 404 and "Unrecognized request URL" in body["error"]["message"]


def _assert_stripe_error(body: dict, param: str | None, code: str | None) -> None:
    error = body["error"]
    allowed = {"type", "code", "message", "param", "doc_url", "request_log_url"}
    assert set(error) <= allowed, error
    assert error["request_log_url"].startswith(
        "https://dashboard.stripe.com/test/logs/req_"
    )
    if code:
        assert error[
            "doc_url"
        ] == "https://stripe.com/docs/error-codes/" + code.replace("_", "-")
    assert error["type"] == "invalid_request_error"
    assert error["message"]
    assert error.get("code") == code
    assert error.get("param") == param


def test_the_walk_covers_every_mirrored_resource():
    for prefix in PREFIXES:
        assert any(_in_scope(k, {prefix}) for k in OPERATIONS), prefix
    assert len(OPERATIONS) > 150


def test_the_skip_list_names_only_operations_stripe_has():
    assert set(_NOT_MODELLED) <= set(OPERATIONS)


@pytest.mark.parametrize("key", OPERATIONS)
def test_operation_is_served_or_listed_as_not_modelled(key):
    status, body = _request(FakeStripe(), key, {"zz_walk_unknown": "1"})
    if key in _NOT_MODELLED:
        assert _is_unrecognized(status, body), f"{key} is served now: unlist it"
        return
    assert not _is_unrecognized(status, body), f"{key} is not served"


@pytest.mark.parametrize("key", [k for k in OPERATIONS if k not in _NOT_MODELLED])
def test_unknown_parameter_is_rejected(key):
    status, body = _request(FakeStripe(), key, {"zz_walk_unknown": "1"})
    assert status == 400, body
    _assert_stripe_error(body, "zz_walk_unknown", "parameter_unknown")


def _required(key: str) -> list[str]:
    method, path = key.split(" ", 1)
    return contract.operation(method, path).get("r", [])


@pytest.mark.parametrize(
    "key", [k for k in OPERATIONS if k not in _NOT_MODELLED and _required(k)]
)
def test_missing_required_parameter_is_rejected(key):
    status, body = _request(FakeStripe(), key, {})
    assert status == 400, body
    _assert_stripe_error(body, body["error"].get("param"), "parameter_missing")
    assert body["error"]["param"] in _required(key)


def _enum_params(key: str) -> list[str]:
    method, path = key.split(" ", 1)
    known = contract.operation(method, path).get("o", {})
    return sorted(name for name, node in known.items() if node.get("e"))


@pytest.mark.parametrize(
    "key", [k for k in OPERATIONS if k not in _NOT_MODELLED and _enum_params(k)]
)
def test_value_outside_an_enum_is_rejected(key):
    for name in _enum_params(key):
        status, body = _request(FakeStripe(), key, {name: "zz_not_a_value"})
        assert status == 400, (name, body)
        _assert_stripe_error(body, name, None)


def test_expand_is_taken_everywhere():
    fake = FakeStripe()
    status, body = _request(fake, "GET /v1/customers/{id}", {"expand[]": "sources"})
    assert status == 404  # routed and checked: only the customer is missing
    assert body["error"]["code"] == "resource_missing"


# -- list filters: each works or is rejected, never silently ignored -----------


def _top_level_lists() -> list[str]:
    """Lists of stored objects that need no parameter (not searches, not the
    upcoming-invoice preview)."""
    return [
        k
        for k in OPERATIONS
        if k.startswith("GET ")
        and "{id}" not in k
        and k not in _NOT_MODELLED
        and not k.endswith(("/search", "/upcoming", "/upcoming/lines"))
        and not _required(k)
    ]


_PAGING = {"limit", "starting_after", "ending_before", "expand", "created"}


def _no_match(node: dict, seen: list):
    """A filter value that none of the listed objects ``seen`` values match."""
    if node.get("e"):
        # ``all`` is the documented "no filter" value (subscriptions' status).
        unused = [v for v in node["e"] if v not in seen and v != "all"]
        return unused[0] if unused else None
    if "o" in node:
        if set(node["o"]) & {"gt", "gte", "lt", "lte"}:
            return {"gt": 4_102_444_800}  # after 2100
        sub = {}
        for name, child in node["o"].items():
            value = _no_match(child, [s.get(name) for s in seen if isinstance(s, dict)])
            if value is not None:
                sub[name] = value
                return sub
        return None
    if "a" in node:
        return ["zz_no_match"]
    kinds = node.get("k", [])
    if "bool" in kinds:
        return None if {True, False} <= set(seen) else not (seen[0] if seen else True)
    if "int" in kinds:
        return 1
    return "zz_no_match"


def _flatten(prefix: str, value) -> dict:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flatten(f"{prefix}[{k}]", v))
        return out
    if isinstance(value, list):
        return {f"{prefix}[{i}]": v for i, v in enumerate(value)}
    if isinstance(value, bool):
        return {prefix: str(value).lower()}
    return {prefix: value}


@pytest.mark.parametrize("key", _top_level_lists())
def test_every_documented_list_filter_works_or_is_rejected(key):
    fake, _ = populated()
    method, path = key.split(" ", 1)
    status, everything = _request(fake, key, {"limit": 100})
    assert status == 200 and everything["data"], f"{key}: nothing listed"
    all_ids = [o.get("id") for o in everything["data"]]
    filters = contract.operation(method, path)["o"]
    for name, node in filters.items():
        if name in _PAGING or name in _required(key):
            continue
        value = _no_match(node, [o.get(name) for o in everything["data"]])
        if value is None:
            continue
        status, body = _request(fake, key, {"limit": 100, **_flatten(name, value)})
        if status == 200:
            ids = [o.get("id") for o in body["data"]]
            assert ids != all_ids, f"{key}: filter {name}={value!r} was ignored"
        else:
            assert status in (400, 404), body
