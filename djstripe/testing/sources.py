"""Legacy payment sources and Connect external accounts.

Before PaymentMethods, cards and bank accounts were attached to a customer as
*sources*: ``POST /v1/customers/{id}/sources`` with a token (``tok_visa``,
``btok_us_verified``) makes a ``card_...`` or ``ba_...`` owned by the
customer, and an existing ``src_...`` Source can be attached the same way.
A connected account's payout destinations are the same objects, under
``/v1/accounts/{id}/external_accounts``.  These collections hold objects of
several types, so they are served here rather than by the one-type generic
resource table; ``object=card`` narrows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import contract, hooks
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


@dataclass(frozen=True)
class Owner:
    """Who a card or bank account belongs to, and how Stripe names it."""

    object: str
    """The owner's object name, also the field of the owned object."""
    param: str
    """The create parameter carrying the token."""
    events: str
    """Event type prefix (``customer.source``)."""
    default_field: str | None
    """The owner's field naming its default one, if any."""


CUSTOMER = Owner("customer", "source", "customer.source", "default_source")
ACCOUNT = Owner("account", "external_account", "account.external_account", None)


def sources_of(fake: FakeStripe, owner_id: str, owner: Owner = CUSTOMER) -> list[dict]:
    """The owner's cards, bank accounts and Sources, oldest first."""
    found = [
        obj
        for object_name in SOURCE_TYPES
        for obj in fake.all(object_name, **{owner.object: owner_id})
    ]
    return sorted(found, key=lambda obj: fake._order[obj["id"]])


def add_card(
    fake: FakeStripe, holder: dict, token: str, param: str, owner: Owner = CUSTOMER
) -> dict:
    """A card made from a test token and owned by ``holder``."""
    name = token.removeprefix("tok_")
    if not token.startswith("tok_") or name not in TEST_CARDS:
        raise missing("token", token, param)
    spec = TEST_CARDS[name]
    card = fake.build("card")
    card.update(
        id=fake.new_id("card"),
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
    card[owner.object] = holder["id"]
    check_attachable(card)
    return fake.store(card)


def _add_bank_account(fake: FakeStripe, holder: dict, token: str, owner: Owner) -> dict:
    account = fake.build("bank_account")
    account.update(
        id=fake.new_id("ba"),
        status="verified" if token.endswith("_verified") else "new",
        fingerprint=fake.random_token(16),
        account_holder_name=None,
    )
    account[owner.object] = holder["id"]
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


def _new_source(fake: FakeStripe, holder: dict, params: dict, owner: Owner) -> dict:
    token = params.get(owner.param)
    if not isinstance(token, str) or not token:
        raise invalid(
            f"Missing required param: {owner.param}.",
            param=owner.param,
            code="parameter_missing",
        )
    if token.startswith("src_") and owner is CUSTOMER:
        return _attach_source(fake, holder, token)
    if token.startswith("btok_"):
        return _add_bank_account(fake, holder, token, owner)
    return add_card(fake, holder, token, owner.param, owner)


@dataclass(frozen=True)
class _Collection:
    owner: Owner
    name: str
    """The path segment: ``sources``, ``cards``, ``external_accounts``."""
    kinds: tuple[str, ...]

    def holder(self, fake: FakeStripe, match) -> dict:
        return fake.get(self.owner.object, match["owner"], self.owner.object)

    def find(self, fake: FakeStripe, holder: dict, object_id: str) -> dict:
        obj = fake._objects.get(object_id)
        if (
            obj is None
            or obj["object"] not in self.kinds
            or obj.get(self.owner.object) != holder["id"]
            or obj.get("_deleted")
            or not fake.exists(object_id)
        ):
            label = self.kinds[0] if len(self.kinds) == 1 else "source"
            raise missing(label, object_id)
        return obj


def _list(fake: FakeStripe, match, params: dict, where: _Collection):
    holder = where.holder(fake, match)
    expand = params.pop("expand", None) or []
    wanted = params.pop("object", None)
    if wanted is not None and wanted not in (*SOURCE_TYPES, "alipay_account"):
        raise invalid(
            f"Invalid object: must be one of {', '.join(SOURCE_TYPES)}", param="object"
        )
    items = [
        s
        for s in sources_of(fake, holder["id"], where.owner)
        if s["object"] in where.kinds and wanted in (None, s["object"])
    ]
    url = f"/v1/{where.owner.object}s/{holder['id']}/{where.name}"
    return 200, fake.page(items, params, url, expand)


def _create(fake: FakeStripe, match, params: dict, where: _Collection):
    holder = where.holder(fake, match)
    expand = params.pop("expand", None) or []
    obj = _new_source(fake, holder, params, where.owner)
    if params.get("metadata"):
        fake.apply(obj, {"metadata": params["metadata"]})
    fake.emit(f"{where.owner.events}.created", obj)
    default = where.owner.default_field
    if default and not holder.get(default):
        fake.update(holder, {default: obj["id"]})
    return 200, fake.render(obj, expand)


def _retrieve(fake: FakeStripe, match, params: dict, where: _Collection):
    obj = where.find(fake, where.holder(fake, match), match["id"])
    return 200, fake.render(obj, params.get("expand") or [])


def _update(fake: FakeStripe, match, params: dict, where: _Collection):
    obj = where.find(fake, where.holder(fake, match), match["id"])
    expand = params.pop("expand", None) or []
    allowed = {"card": _CARD_FIELDS, "bank_account": _BANK_FIELDS}.get(
        obj["object"], {"owner"}
    ) | {"metadata", "default_for_currency"}
    for key in params:
        if key not in allowed:
            raise invalid(
                f"You cannot update the {key} of a {obj['object'].replace('_', ' ')}.",
                param=key,
            )
    before = fake.render(obj)
    fake.apply(obj, params)
    fake.emit_changed(obj, before, f"{where.owner.events}.updated")
    return 200, fake.render(obj, expand)


def _delete(fake: FakeStripe, match, params: dict, where: _Collection):
    """Detach: a card or bank account is deleted, a Source is ``consumed``."""
    holder = where.holder(fake, match)
    obj = where.find(fake, holder, match["id"])
    fake.emit(f"{where.owner.events}.deleted", obj)
    if obj["object"] == "source":
        fake.update(obj, {"customer": None, "status": "consumed"}, None)
    else:
        obj["_deleted"] = True
    response = fake.render(obj)
    default = where.owner.default_field
    if default and holder.get(default) == obj["id"]:
        remaining = sources_of(fake, holder["id"], where.owner)
        fake.update(holder, {default: remaining[-1]["id"] if remaining else None})
    return 200, response


def _verify(fake: FakeStripe, match, params: dict, where: _Collection):
    """Microdeposits: Stripe's test amounts are 32 and 45 cents."""
    obj = where.find(fake, where.holder(fake, match), match["id"])
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
    fake.emit_changed(obj, before, f"{where.owner.events}.updated")
    return 200, fake.render(obj, params.get("expand") or [])


COLLECTIONS = (
    _Collection(CUSTOMER, "sources", SOURCE_TYPES),
    _Collection(CUSTOMER, "cards", ("card",)),
    _Collection(CUSTOMER, "bank_accounts", ("bank_account",)),
    _Collection(ACCOUNT, "external_accounts", ("card", "bank_account")),
    _Collection(ACCOUNT, "bank_accounts", ("bank_account",)),
)
"""``sources`` and its two older aliases; a connected account's external
accounts and their older alias."""
_VERBS = (
    ("GET", "", _list),
    ("POST", "", _create),
    ("GET", "/{id}", _retrieve),
    ("POST", "/{id}", _update),
    ("DELETE", "/{id}", _delete),
    ("POST", "/{id}/verify", _verify),
)


def _register(where: _Collection) -> None:
    """Serve each operation Stripe's contract has for the collection."""
    base = f"/v1/{where.owner.object}s"
    for method, suffix, handler in _VERBS:
        key = f"{base}/{{id}}/{where.name}{suffix}"
        if contract.operation(method, key) is None:
            continue
        pattern = rf"{base}/(?P<owner>[^/]+)/{where.name}" + suffix.replace(
            "{id}", "(?P<id>[^/]+)"
        )

        def serve(fake, match, params, handler=handler):
            return handler(fake, match, params, where)

        hooks.route(method, pattern, key)(serve)


for _collection in COLLECTIONS:
    _register(_collection)
