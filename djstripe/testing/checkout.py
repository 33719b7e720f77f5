"""Checkout Sessions: created open, then completed or expired by the test.

A real Checkout Session is completed by a shopper in a browser.  Tests do it
with :meth:`FakeStripe.complete_checkout_session`, which creates what Stripe
creates (customer, PaymentIntent, Subscription or SetupIntent) and records
``checkout.session.completed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hooks
from .errors import card_declined, invalid
from .payments import (
    DAY,
    attach,
    confirm_intent,
    resolve_payment_method,
    test_card,
)

if TYPE_CHECKING:
    from .fake import FakeStripe

MODES = ("payment", "subscription", "setup")


def _line_item(fake: FakeStripe, session: dict, entry: dict, index: int) -> dict:
    param = f"line_items[{index}][price]"
    if entry.get("price_data"):
        price = fake.create("price", {**entry["price_data"], "active": False})
    else:
        price = fake.get("price", entry.get("price"), param)
    quantity = entry.get("quantity") or 1
    amount = (price["unit_amount"] or 0) * quantity
    product = fake._objects.get(price["product"], {})
    item = fake.build(
        "item",
        {
            "amount_subtotal": amount,
            "amount_total": amount,
            "currency": price["currency"],
            "description": product.get("name"),
            "price": fake.render(price),
            "quantity": quantity,
            "adjustable_quantity": None,
        },
    )
    item.update(id=fake.new_id("li"), _session=session["id"], price=fake.render(price))
    return fake.store(item)


def line_items(fake: FakeStripe, session: dict) -> list[dict]:
    return fake.all("item", _session=session["id"])


@hooks.prepare("checkout.session")
def _prepare_session(fake: FakeStripe, session: dict, params: dict) -> None:
    mode = params.get("mode")
    if mode not in MODES:
        raise invalid("Missing required param: mode.", param="mode")
    if mode != "setup" and not params.get("line_items"):
        raise invalid("Missing required param: line_items.", param="line_items")
    if params.get("customer"):
        fake.get("customer", params["customer"], "customer")
    session.update(
        status="open",
        payment_status="no_payment_required" if mode == "setup" else "unpaid",
        expires_at=params.get("expires_at") or fake.now + DAY,
        url=f"https://checkout.stripe.com/c/pay/{session['id']}",
        customer_creation=params.get("customer_creation")
        or (None if params.get("customer") else "if_required"),
        currency=params.get("currency"),
        _params=params,
    )


@hooks.after_create("checkout.session")
def _after_session(fake: FakeStripe, session: dict, params: dict) -> None:
    items = [
        _line_item(fake, session, e, i)
        for i, e in enumerate(params.get("line_items") or [])
    ]
    if items:
        total = sum(item["amount_total"] for item in items)
        session.update(
            amount_subtotal=total,
            amount_total=total,
            currency=items[0]["currency"],
            total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        )


@hooks.route(
    "GET",
    r"/v1/checkout/sessions/(?P<id>[^/]+)/line_items",
    "/v1/checkout/sessions/{id}/line_items",
)
def _list_line_items(fake: FakeStripe, match, params: dict):
    session = fake.get("checkout.session", match["id"])
    expand = params.pop("expand", None) or []
    url = f"/v1/checkout/sessions/{session['id']}/line_items"
    return 200, fake.page(line_items(fake, session), params, url, expand)


def _customer_for(fake: FakeStripe, session: dict, email: str | None) -> str | None:
    if session.get("customer"):
        return session["customer"]
    needs_customer = (
        session["mode"] != "payment" or session["customer_creation"] == "always"
    )
    if not needs_customer:
        return None
    customer = fake.create("customer", {"email": email, "name": "Jenny Rosen"})
    return customer["id"]


def complete(
    fake: FakeStripe,
    session_id: str,
    payment_method: str = "pm_card_visa",
    email: str | None = None,
) -> dict:
    """Finish ``session_id`` as a shopper would; see the module docstring."""
    session = fake.get("checkout.session", session_id)
    if session["status"] != "open":
        raise invalid(f"This Checkout Session is {session['status']}.")
    params = session["_params"]
    email = email or session.get("customer_email") or "jenny.rosen@example.com"
    pm = resolve_payment_method(fake, payment_method, "payment_method")
    customer = _customer_for(fake, session, email)
    if customer and not pm.get("customer") and test_card(pm).attaches:
        # A card declined on attach is declined by the payment that follows.
        attach(fake, pm, {"customer": customer})
    changes = {
        "status": "complete",
        "customer": customer,
        "customer_details": {
            "address": None,
            "email": email,
            "name": "Jenny Rosen",
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
            "business_name": None,
            "individual_name": None,
        },
    }
    handler = {
        "payment": _complete_payment,
        "subscription": _complete_subscription,
    }.get(session["mode"], _complete_setup)
    changes.update(handler(fake, session, params, pm, customer))
    return fake.update(session, changes, "checkout.session.completed")


def _complete_payment(fake, session, params, pm, customer) -> dict:
    data = params.get("payment_intent_data") or {}
    intent = fake.create(
        "payment_intent",
        {
            "amount": session["amount_total"],
            "currency": session["currency"],
            "customer": customer,
            "payment_method": pm["id"],
            "metadata": data.get("metadata") or {},
            "description": data.get("description"),
            "capture_method": data.get("capture_method") or "automatic",
        },
    )
    confirm_intent(fake, intent, {}, raise_on_decline=False)
    if intent["status"] == "requires_payment_method":
        raise card_declined(
            intent.get("latest_charge"), payment_intent=fake.render(intent)
        )
    return {"payment_intent": intent["id"], "payment_status": "paid"}


def _complete_subscription(fake, session, params, pm, customer) -> dict:
    data = params.get("subscription_data") or {}
    items = [
        {"price": item["price"]["id"], "quantity": item["quantity"]}
        for item in line_items(fake, session)
        if item["price"]["type"] == "recurring"
    ]
    sub_params = {
        "customer": customer,
        "items": items,
        "default_payment_method": pm["id"],
        "metadata": data.get("metadata") or {},
        "trial_period_days": data.get("trial_period_days"),
        "trial_end": data.get("trial_end"),
        "discounts": params.get("discounts"),
    }
    sub = fake.create(
        "subscription", {k: v for k, v in sub_params.items() if v is not None}
    )
    if sub["status"] == "incomplete":
        raise card_declined(None)
    invoice = fake._objects.get(sub["latest_invoice"]) or {}
    paid = invoice.get("amount_paid", 0) > 0
    return {
        "subscription": sub["id"],
        "invoice": sub["latest_invoice"],
        "payment_status": "paid" if paid else "no_payment_required",
    }


def _complete_setup(fake, session, params, pm, customer) -> dict:
    intent = fake.create(
        "setup_intent",
        {"customer": customer, "payment_method": pm["id"], "confirm": True},
    )
    return {"setup_intent": intent["id"], "payment_status": "no_payment_required"}


@hooks.action("checkout.session", "expire")
def expire(fake: FakeStripe, session: dict, params: dict | None = None) -> dict:
    if session["status"] != "open":
        raise invalid(
            f'Only Checkout Sessions with a status in ["open"] can be expired. '
            f'This Checkout Session has a status of "{session["status"]}".',
        )
    return fake.update(
        session, {"status": "expired", "url": None}, "checkout.session.expired"
    )
