"""The admin index by area of Stripe, not one alphabetical list of 50 models.

:func:`group_app_list` splits djstripe's app in the admin's app list (the
index, the app page and the navigation sidebar all read it) into one section
per area, models in the order an operator looks for them. Other apps are left
as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Areas in index order, each with its models (by model name) in display order.
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Core payments",
        (
            "customer",
            "paymentintent",
            "charge",
            "refund",
            "dispute",
            "balancetransaction",
            "payout",
            "setupintent",
            "file",
            "filelink",
            "scheduledqueryrun",
        ),
    ),
    (
        "Billing",
        (
            "subscription",
            "invoice",
            "product",
            "price",
            "coupon",
            "promotioncode",
            "discount",
            "subscriptionitem",
            "subscriptionschedule",
            "invoiceitem",
            "lineitem",
            "taxrate",
            "taxid",
            "taxcode",
            "shippingrate",
        ),
    ),
    ("Checkout", ("session",)),
    (
        "Payment methods",
        (
            "paymentmethod",
            "djstripepaymentsource",
            "card",
            "bankaccount",
            "source",
            "mandate",
        ),
    ),
    (
        "Connect",
        (
            "account",
            "transfer",
            "transferreversal",
            "applicationfee",
            "applicationfeerefund",
            "countryspec",
        ),
    ),
    ("Fraud", ("review", "earlyfraudwarning")),
    (
        "Issuing",
        (
            "issuingcardholder",
            "issuingcard",
            "issuingauthorization",
            "issuingtransaction",
            "issuingdispute",
        ),
    ),
    ("Identity", ("verificationsession", "verificationreport")),
    ("Entitlements", ("feature", "productfeature", "activeentitlement")),
    ("Webhooks and events", ("event", "webhookeventtrigger", "queueddrain")),
    ("Sync state", ("synccheckpoint", "deletedstripeobject", "confirmation")),
    ("Settings", ("apikey", "webhookendpoint", "idempotencykey")),
)
#: Where a model no area names goes.
OTHER = "Other"

_POSITION = {
    model: (area_index, model_index)
    for area_index, (_, models) in enumerate(AREAS)
    for model_index, model in enumerate(models)
}


def area_of(model_name: str) -> str:
    """The area ``model_name`` is listed under."""
    position = _POSITION.get(model_name)
    return AREAS[position[0]][0] if position else OTHER


def group_app_list(app_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``app_list`` with the djstripe app split into one entry per area."""
    grouped: list[dict[str, Any]] = []
    for app in app_list:
        if app["app_label"] != "djstripe":
            grouped.append(app)
            continue
        sections: dict[str, list[dict[str, Any]]] = {}
        for model in sorted(app["models"], key=_order):
            area = area_of(model["object_name"].lower())
            sections.setdefault(area, []).append(model)
        grouped += [
            {**app, "name": f"Stripe · {area}", "models": models}
            for area, models in sections.items()
        ]
    return grouped


def _order(model: dict[str, Any]) -> tuple[int, int, str]:
    name = model["object_name"].lower()
    return (*_POSITION.get(name, (len(AREAS), 0)), name)


def grouped(get_app_list: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    """Wrap an admin site's ``get_app_list`` to group djstripe by area."""
    if getattr(get_app_list, "djstripe_grouped", False):
        return get_app_list

    def get_grouped_app_list(request: Any, app_label: str | None = None) -> list[Any]:
        return group_app_list(get_app_list(request, app_label))

    get_grouped_app_list.djstripe_grouped = True  # type: ignore[attr-defined]
    return get_grouped_app_list
