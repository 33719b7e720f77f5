"""A customer's legacy payment sources: ``/v1/customers/{id}/sources``.

Before PaymentMethods, cards and bank accounts were attached to a customer as
*sources*: ``POST /v1/customers/{id}/sources`` with a token (``tok_visa``,
``btok_us_verified``) makes a ``card_...`` or ``ba_...`` owned by the
customer, and an existing ``src_...`` Source can be attached the same way.
The collection holds objects of several types, so it is served here rather
than by the one-type generic resource table; ``object=card`` narrows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hooks
from .errors import FakeStripeError, invalid, missing
from .payments import TEST_CARDS, check_attachable

if TYPE_CHECKING:
    from .fake import FakeStripe

SOURCE_TYPES = ("card", "bank_account", "source")
"""The objects a customer's ``sources`` list holds (``object`` filter values)."""
_CARD_FIELDS = {
    "address_city",
    "address_country",
    "address_line1",
    "address_line2",
    "address_state",
    "address_zip",
    "exp_month",
    "exp_year",
    "name",
}
_BANK_FIELDS = {"account_holder_name", "account_holder_type"}
_PATH = r"/v1/customers/(?P<customer>[^/]+)/sources"


def sources_of(fake: FakeStripe, customer_id: str) -> list[dict]:
    """The customer's cards, bank accounts and Sources, oldest first."""
    found = [
        obj
        for object_name in SOURCE_TYPES
        for obj in fake.all(object_name, customer=customer_id)
    ]
    return sorted(found, key=lambda obj: fake._order[obj["id"]])


def add_card(fake: FakeStripe, customer: dict, token: str, param: str) -> dict:
    """A card made from a test token and owned by ``customer``."""
    name = token.removeprefix("tok_")
    if not token.startswith("tok_") or name not in TEST_CARDS:
        raise missing("token", token, param)
    spec = TEST_CARDS[name]
    card = fake.build("card")
    card.update(
        id=fake.new_id("card"),
        customer=customer["id"],
        brand=spec.brand.title() if spec.brand != "amex" else "American Express",
        last4=spec.last4,
        exp_month=12,
        exp_year=2034,
        fingerprint=fake.random_token(16),
        name=None,
        country="US",
        cvc_check="pass",
        _test_card=name,
    )
    check_attachable(card)
    return fake.store(card)


def _add_bank_account(fake: FakeStripe, customer: dict, token: str) -> dict:
    account = fake.build("bank_account")
    account.update(
        id=fake.new_id("ba"),
        customer=customer["id"],
        status="verified" if token.endswith("_verified") else "new",
        fingerprint=fake.random_token(16),
        account_holder_name=None,
    )
    return fake.store(account)


def _attach_source(fake: FakeStripe, customer: dict, source_id: str) -> dict:
    source = fake.get("source", source_id, "source")
    if source.get("customer") not in (None, customer["id"]):
        raise invalid(
            f"The source {source_id} has already been attached to a customer.",
            param="source",
        )
    source["customer"] = customer["id"]
    fake.reindex(source)
    return source


def _new_source(fake: FakeStripe, customer: dict, params: dict) -> dict:
    token = params.get("source")
    if not isinstance(token, str) or not token:
        raise invalid(
            "Missing required param: source.", param="source", code="parameter_missing"
        )
    if token.startswith("src_"):
        return _attach_source(fake, customer, token)
    if token.startswith("btok_"):
        return _add_bank_account(fake, customer, token)
    return add_card(fake, customer, token, "source")


def _find(fake: FakeStripe, customer: dict, source_id: str) -> dict:
    obj = fake._objects.get(source_id)
    if (
        obj is None
        or obj["object"] not in SOURCE_TYPES
        or obj.get("customer") != customer["id"]
        or obj.get("_deleted")
        or not fake.exists(source_id)
    ):
        raise missing("source", source_id)
    return obj


@hooks.route("GET", _PATH, "/v1/customers/{id}/sources")
def _list_sources(fake: FakeStripe, match, params: dict):
    customer = fake.get("customer", match["customer"], "customer")
    expand = params.pop("expand", None) or []
    wanted = params.pop("object", None)
    if wanted is not None and wanted not in (*SOURCE_TYPES, "alipay_account"):
        raise invalid(
            f"Invalid object: must be one of {', '.join(SOURCE_TYPES)}", param="object"
        )
    items = [
        s for s in sources_of(fake, customer["id"]) if wanted in (None, s["object"])
    ]
    url = f"/v1/customers/{customer['id']}/sources"
    return 200, fake.page(items, params, url, expand)


@hooks.route("POST", _PATH, "/v1/customers/{id}/sources")
def _create_source(fake: FakeStripe, match, params: dict):
    customer = fake.get("customer", match["customer"], "customer")
    expand = params.pop("expand", None) or []
    obj = _new_source(fake, customer, params)
    if params.get("metadata"):
        fake.apply(obj, {"metadata": params["metadata"]})
    fake.emit("customer.source.created", obj)
    if not customer.get("default_source"):
        fake.update(customer, {"default_source": obj["id"]})
    return 200, fake.render(obj, expand)


@hooks.route("GET", _PATH + r"/(?P<id>[^/]+)", "/v1/customers/{id}/sources/{id}")
def _retrieve_source(fake: FakeStripe, match, params: dict):
    customer = fake.get("customer", match["customer"], "customer")
    obj = _find(fake, customer, match["id"])
    return 200, fake.render(obj, params.get("expand") or [])


@hooks.route("POST", _PATH + r"/(?P<id>[^/]+)", "/v1/customers/{id}/sources/{id}")
def _update_source(fake: FakeStripe, match, params: dict):
    customer = fake.get("customer", match["customer"], "customer")
    obj = _find(fake, customer, match["id"])
    expand = params.pop("expand", None) or []
    allowed = {"card": _CARD_FIELDS, "bank_account": _BANK_FIELDS}.get(
        obj["object"], {"owner"}
    ) | {"metadata"}
    for key in params:
        if key not in allowed:
            raise invalid(
                f"You cannot update the {key} of a {obj['object'].replace('_', ' ')}.",
                param=key,
            )
    before = fake.render(obj)
    fake.apply(obj, params)
    fake.emit_changed(obj, before, "customer.source.updated")
    return 200, fake.render(obj, expand)


@hooks.route("DELETE", _PATH + r"/(?P<id>[^/]+)", "/v1/customers/{id}/sources/{id}")
def _delete_source(fake: FakeStripe, match, params: dict):
    """Detach: a card or bank account is deleted, a Source is ``consumed``."""
    customer = fake.get("customer", match["customer"], "customer")
    obj = _find(fake, customer, match["id"])
    fake.emit("customer.source.deleted", obj)
    if obj["object"] == "source":
        fake.update(obj, {"customer": None, "status": "consumed"}, None)
        response = fake.render(obj)
    else:
        obj["_deleted"] = True
        response = fake.render(obj)
    if customer.get("default_source") == obj["id"]:
        remaining = sources_of(fake, customer["id"])
        fake.update(
            customer, {"default_source": remaining[-1]["id"] if remaining else None}
        )
    return 200, response


@hooks.route(
    "POST", _PATH + r"/(?P<id>[^/]+)/verify", "/v1/customers/{id}/sources/{id}/verify"
)
def _verify_bank_account(fake: FakeStripe, match, params: dict):
    """Microdeposits: Stripe's test amounts are 32 and 45 cents."""
    customer = fake.get("customer", match["customer"], "customer")
    obj = _find(fake, customer, match["id"])
    if obj["object"] != "bank_account":
        raise invalid("Only bank accounts can be verified.", param="id")
    if sorted(params.get("amounts") or []) != [32, 45]:
        raise FakeStripeError(
            "The amounts provided do not match the amounts that were sent to the "
            "bank account.",
            status=402,
            type="card_error",
            code="bank_account_verification_failed",
            param="amounts",
        )
    before = fake.render(obj)
    obj["status"] = "verified"
    fake.emit_changed(obj, before, "customer.source.updated")
    return 200, fake.render(obj, params.get("expand") or [])
