"""Active entitlements: the features a customer's subscriptions give them.

Stripe derives them: a subscription that is ``active``, ``trialing`` or
``past_due`` entitles its customer to every active feature attached (as a
``product_feature``) to the products of its items.  A customer has one active
entitlement per feature however many subscriptions grant it, and it keeps its
id for as long as it is granted.  When the set changes, Stripe sends
``entitlements.active_entitlement_summary.updated``.

The fake computes them on demand (when listed or retrieved) and after every
``customer.subscription.*`` event; attaching a feature to a product that
customers already pay for shows up at their next read, without an event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hooks
from .billing import items_of
from .errors import invalid, missing

if TYPE_CHECKING:
    from .fake import FakeStripe

GRANTING_STATUSES = ("active", "trialing", "past_due")
OBJECT = "entitlements.active_entitlement"


def _granted_features(fake: FakeStripe, customer_id: str) -> dict[str, dict]:
    """Feature id -> feature, in the order the subscriptions grant them."""
    features: dict[str, dict] = {}
    for sub in fake.all("subscription", customer=customer_id):
        if sub["status"] not in GRANTING_STATUSES:
            continue
        for si in items_of(fake, sub):
            product = si["price"]["product"]
            for link in fake.all("product_feature", _product=product):
                feature_id = link["entitlement_feature"]["id"]
                feature = fake._objects.get(feature_id)
                if feature and feature.get("active", True):
                    features.setdefault(feature_id, feature)
    return features


def refresh(fake: FakeStripe, customer_id: str) -> tuple[list[dict], bool]:
    """The customer's active entitlements, brought up to date; and whether
    they changed."""
    granted = _granted_features(fake, customer_id)
    held = {e["feature"]: e for e in fake.all(OBJECT, _customer=customer_id)}
    changed = False
    for feature_id, entitlement in held.items():
        if feature_id not in granted:
            entitlement["_deleted"] = True
            changed = True
    result = []
    for feature_id, feature in granted.items():
        entitlement = held.get(feature_id)
        if entitlement is None:
            entitlement = fake.build(OBJECT, {})
            entitlement.update(feature=feature_id, _customer=customer_id)
            fake.store(entitlement)
            changed = True
        entitlement["lookup_key"] = feature["lookup_key"]
        result.append(entitlement)
    return result, changed


def summary(fake: FakeStripe, customer_id: str, entitlements: list[dict]) -> dict:
    """The ``entitlements.active_entitlement_summary`` Stripe sends in events."""
    return {
        "object": "entitlements.active_entitlement_summary",
        "customer": customer_id,
        "entitlements": {
            "object": "list",
            "data": [fake.render(e) for e in entitlements],
            "has_more": False,
            "url": f"/v1/customer/{customer_id}/entitlements",
        },
        "livemode": False,
    }


@hooks.on_event("customer.subscription.")
def _subscription_changed(fake: FakeStripe, event: dict) -> None:
    customer_id = event["data"]["object"]["customer"]
    before = [fake.render(e) for e in fake.all(OBJECT, _customer=customer_id)]
    entitlements, changed = refresh(fake, customer_id)
    if changed:
        previous = {"entitlements": {"data": before}}
        fake.emit(
            "entitlements.active_entitlement_summary.updated",
            summary(fake, customer_id, entitlements),
            previous,
        )


@hooks.route(
    "GET",
    r"/v1/entitlements/active_entitlements",
    "/v1/entitlements/active_entitlements",
)
def _list(fake: FakeStripe, match, params: dict):
    customer_id = params.pop("customer", None)
    if not customer_id:
        raise invalid("Missing required param: customer.", param="customer")
    fake.get("customer", customer_id, "customer")
    expand = params.pop("expand", None) or []
    entitlements, _ = refresh(fake, customer_id)
    url = "/v1/entitlements/active_entitlements"
    return 200, fake.page(entitlements, params, url, expand)


@hooks.route(
    "GET",
    r"/v1/entitlements/active_entitlements/(?P<id>[^/]+)",
    "/v1/entitlements/active_entitlements/{id}",
)
def _retrieve(fake: FakeStripe, match, params: dict):
    entitlement = fake._objects.get(match["id"])
    if entitlement is None or entitlement["object"] != OBJECT:
        raise missing(OBJECT, match["id"])
    refresh(fake, entitlement["_customer"])  # it may have ended since
    entitlement = fake.get(OBJECT, match["id"])
    return 200, fake.render(entitlement, params.get("expand") or [])
