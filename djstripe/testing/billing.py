"""Billing behaviour: products, prices, coupons, subscriptions and invoices.

A subscription bills its first period at creation (or starts a trial), and
:func:`advance_subscriptions` bills each period that has ended on the fake's
clock: a new invoice, a PaymentIntent and Charge against the customer's
default card, and ``active`` or ``past_due`` depending on the card.
Prorations are not modelled: changes take effect from the next period.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import hooks
from .errors import FakeStripeError, card_declined, invalid
from .fake import range_matches
from .payments import DAY, confirm_intent, default_payment_method

if TYPE_CHECKING:
    from .fake import FakeStripe

LIVE_STATUSES = ("active", "trialing", "past_due", "unpaid", "incomplete")


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """``timestamp`` moved forward by ``count`` ``interval``s, as Stripe bills."""
    if interval == "day":
        return timestamp + count * DAY
    if interval == "week":
        return timestamp + count * 7 * DAY
    months = count * (12 if interval == "year" else 1)
    start = datetime.fromtimestamp(timestamp, UTC)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


# -- products and prices ------------------------------------------------------


@hooks.prepare("product")
def _prepare_product(fake: FakeStripe, product: dict, params: dict) -> None:
    if not params.get("name"):
        raise invalid("Missing required param: name.", param="name")
    if params.get("id"):
        if fake.exists(params["id"]):
            raise invalid(
                f"Product already exists: {params['id']}",
                code="resource_already_exists",
                param="id",
            )
        product["id"] = params["id"]
    product["updated"] = fake.now


@hooks.after_create("product")
def _after_product(fake: FakeStripe, product: dict, params: dict) -> None:
    data = params.get("default_price_data")
    if data:
        price = fake.create("price", {**data, "product": product["id"]})
        product["default_price"] = price["id"]


@hooks.on_update("product")
def _update_product(fake: FakeStripe, product: dict, params: dict, old) -> None:
    if params.get("default_price"):
        price = fake.get("price", params["default_price"], "default_price")
        if price["product"] != product["id"]:
            raise invalid(
                "The price must belong to this product.", param="default_price"
            )


@hooks.on_delete("product")
def _delete_product(fake: FakeStripe, product: dict, params: dict) -> None:
    if fake.all("price", product=product["id"]):
        raise invalid(
            "This product cannot be deleted because it has one or more user-created prices.",
        )


@hooks.prepare("price")
def _prepare_price(fake: FakeStripe, price: dict, params: dict) -> None:
    if params.get("product_data"):
        price["product"] = fake.create("product", params["product_data"])["id"]
    elif params.get("product"):
        fake.get("product", params["product"], "product")
    else:
        raise invalid("Missing required param: product.", param="product")
    if not params.get("currency"):
        raise invalid("Missing required param: currency.", param="currency")
    recurring = params.get("recurring")
    price["type"] = "recurring" if recurring else "one_time"
    if recurring:
        price["recurring"] = {
            "interval": recurring.get("interval", "month"),
            "interval_count": recurring.get("interval_count") or 1,
            "meter": recurring.get("meter"),
            "trial_period_days": recurring.get("trial_period_days"),
            "usage_type": recurring.get("usage_type") or "licensed",
        }
    amount = params.get("unit_amount")
    if amount is None and params.get("unit_amount_decimal"):
        amount = int(float(params["unit_amount_decimal"]))
    price["unit_amount"] = amount
    price["unit_amount_decimal"] = None if amount is None else str(amount)
    if params.get("transfer_lookup_key") and params.get("lookup_key"):
        for other in fake.all("price", lookup_key=params["lookup_key"]):
            other["lookup_key"] = None


@hooks.list_filter("price", "lookup_keys")
def _price_lookup_keys(fake: FakeStripe, price: dict, keys) -> bool:
    return price.get("lookup_key") in (keys if isinstance(keys, list) else [keys])


def plan_from_price(price: dict) -> dict:
    """The legacy ``plan`` view of a recurring price, still sent by Stripe."""
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": False,
        "metadata": price["metadata"],
        "meter": recurring.get("meter"),
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": price["tiers_mode"],
        "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type"),
    }


# -- coupons, promotion codes, discounts --------------------------------------


@hooks.prepare("coupon")
def _prepare_coupon(fake: FakeStripe, coupon: dict, params: dict) -> None:
    if params.get("id"):
        if fake.exists(params["id"]):
            raise invalid(
                "Coupon already exists.", code="resource_already_exists", param="id"
            )
        coupon["id"] = params["id"]
    if params.get("percent_off") is None and params.get("amount_off") is None:
        raise invalid(
            "You must pass either percent_off or amount_off.", param="percent_off"
        )
    if params.get("amount_off") is not None and not params.get("currency"):
        raise invalid(
            "You must pass currency when passing amount_off.", param="currency"
        )
    coupon["duration"] = params.get("duration") or "once"


@hooks.prepare("promotion_code")
def _prepare_promotion_code(fake: FakeStripe, promo: dict, params: dict) -> None:
    coupon_id = params.get("coupon") or (params.get("promotion") or {}).get("coupon")
    if not coupon_id:
        raise invalid("Missing required param: promotion[coupon].", param="promotion")
    fake.get("coupon", coupon_id, "promotion[coupon]")
    promo["promotion"] = {"type": "coupon", "coupon": coupon_id}
    promo["code"] = params.get("code") or fake.random_token(8).upper()
    promo["active"] = params.get("active", True) is not False


@hooks.list_filter("promotion_code", "coupon")
def _promotion_coupon(fake: FakeStripe, promo: dict, coupon_id) -> bool:
    return promo["promotion"].get("coupon") == coupon_id


def make_discount(
    fake: FakeStripe,
    *,
    coupon: str | None = None,
    promotion_code: str | None = None,
    customer: str | None = None,
    subscription: str | None = None,
    checkout_session: str | None = None,
) -> dict:
    """Redeem a coupon (directly or through a promotion code) as a Discount."""
    if promotion_code:
        promo = fake.get("promotion_code", promotion_code, "promotion_code")
        coupon = promo["promotion"]["coupon"]
        promo["times_redeemed"] += 1
    coupon_obj = fake.get("coupon", coupon, "coupon")
    if not coupon_obj["valid"]:
        raise invalid(f"Coupon expired: {coupon}", param="coupon")
    coupon_obj["times_redeemed"] += 1
    end = None
    if coupon_obj["duration"] == "repeating":
        end = add_interval(fake.now, "month", coupon_obj["duration_in_months"] or 1)
    discount = fake.build(
        "discount",
        {
            "customer": customer,
            "subscription": subscription,
            "checkout_session": checkout_session,
            "promotion_code": promotion_code,
            "start": fake.now,
            "end": end,
            "source": {"type": "coupon", "coupon": coupon},
        },
    )
    discount["id"] = fake.new_id("di")
    return fake.store(discount)


def _discounts_from(fake: FakeStripe, params: dict, **owner) -> list[str]:
    requested = list(params.get("discounts") or [])
    if params.get("coupon"):
        requested.append({"coupon": params["coupon"]})
    if params.get("promotion_code"):
        requested.append({"promotion_code": params["promotion_code"]})
    found = []
    for entry in requested:
        if entry.get("discount"):
            found.append(entry["discount"])
            continue
        discount = make_discount(
            fake,
            coupon=entry.get("coupon"),
            promotion_code=entry.get("promotion_code"),
            **owner,
        )
        found.append(discount["id"])
    return found


@hooks.after_create("customer")
def _customer_coupon(fake: FakeStripe, customer: dict, params: dict) -> None:
    _apply_customer_discount(fake, customer, params)


@hooks.on_update("customer")
def _update_customer_coupon(
    fake: FakeStripe, customer: dict, params: dict, before: dict
) -> None:
    """``coupon``/``promotion_code`` on update replace the customer's discount."""
    _apply_customer_discount(fake, customer, params)


def _apply_customer_discount(fake: FakeStripe, customer: dict, params: dict) -> None:
    discounts = _discounts_from(fake, params, customer=customer["id"])
    if not discounts:
        return
    replaced = customer.get("discount")
    discount = fake._objects[discounts[0]]
    customer["discount"] = fake.render(discount)
    if replaced:
        fake.emit("customer.discount.updated", discount, {"source": replaced["source"]})
    else:
        fake.emit("customer.discount.created", discount)


# -- customer balance ---------------------------------------------------------


@hooks.prepare("customer_balance_transaction")
def _prepare_balance_transaction(fake: FakeStripe, txn: dict, params: dict) -> None:
    """A manual adjustment moves the customer's ``balance`` (credit is negative)."""
    customer = fake.get("customer", txn["customer"])
    currency = customer.get("currency")
    if currency and params.get("currency") != currency:
        raise invalid(
            f"The currency of this transaction ({params.get('currency')}) must match "
            f"the customer's currency ({currency}).",
            param="currency",
        )
    txn["type"] = "adjustment"
    txn["ending_balance"] = customer["balance"] + txn["amount"]


@hooks.after_create("customer_balance_transaction")
def _after_balance_transaction(fake: FakeStripe, txn: dict, params: dict) -> None:
    customer = fake.get("customer", txn["customer"])
    changes = {"balance": txn["ending_balance"]}
    if not customer.get("currency"):
        changes["currency"] = txn["currency"]
    fake.update(customer, changes)


@hooks.route(
    "DELETE", r"/v1/customers/(?P<id>[^/]+)/discount", "/v1/customers/{id}/discount"
)
def _delete_customer_discount(fake: FakeStripe, match, params: dict):
    customer = fake.get("customer", match["id"])
    if not customer.get("discount"):
        raise FakeStripeError(
            f"No active discount for customer: {customer['id']}",
            status=404,
            code="resource_missing",
        )
    discount = fake._objects[customer["discount"]["id"]]
    fake.update(customer, {"discount": None})
    fake.emit("customer.discount.deleted", discount)
    return 200, {"object": "discount", "id": discount["id"], "deleted": True}


# -- subscriptions ------------------------------------------------------------


def _price_for(fake: FakeStripe, item: dict, currency: str | None, param: str) -> dict:
    if item.get("plan") and not item.get("price"):
        # Stripe still takes the legacy `plan`: a recurring price's id is a plan id.
        item = {**item, "price": item["plan"]}
    if item.get("price_data"):
        data = item["price_data"]
        return fake.create(
            "price",
            {**data, "currency": data.get("currency") or currency, "active": False},
        )
    if not item.get("price"):
        raise invalid("Missing required param: items[0][price].", param=param)
    price = fake.get("price", item["price"], param)
    if price["type"] != "recurring":
        raise invalid(
            "The price specified is set to `type=one_time` but this field only "
            "accepts prices with `type=recurring`.",
            param=param,
        )
    return price


def _period_end(price: dict, start: int) -> int:
    recurring = price["recurring"]
    return add_interval(start, recurring["interval"], recurring["interval_count"])


def add_item(fake: FakeStripe, sub: dict, item: dict, index: int = 0) -> dict:
    """A SubscriptionItem for ``sub`` billing the item's price from ``sub``'s anchor."""
    price = _price_for(fake, item, sub.get("currency"), f"items[{index}][price]")
    start = sub["_period_start"]
    fields = {
        "subscription": sub["id"],
        "price": fake.render(price),
        "plan": plan_from_price(price),
        "quantity": item.get("quantity") or 1,
        "metadata": item.get("metadata") or {},
        "current_period_start": start,
        "current_period_end": sub.get("_period_end") or _period_end(price, start),
        "tax_rates": item.get("tax_rates") or [],
    }
    si = fake.build("subscription_item", fields)
    si.update(fields)
    return fake.store(si)


def items_of(fake: FakeStripe, sub: dict) -> list[dict]:
    return fake.all("subscription_item", subscription=sub["id"])


@hooks.sublist("subscription", "items")
def _subscription_items(fake: FakeStripe, sub: dict):
    return items_of(fake, sub), f"/v1/subscription_items?subscription={sub['id']}"


@hooks.prepare("subscription")
def _prepare_subscription(fake: FakeStripe, sub: dict, params: dict) -> None:
    customer = fake.get("customer", params.get("customer"), "customer")
    items = params.get("items") or []
    if not items:
        raise invalid("Missing required param: items.", param="items")
    for index, item in enumerate(items):
        if item.get("price"):
            _price_for(fake, item, None, f"items[{index}][price]")
    if params.get("default_payment_method"):
        fake.get(
            "payment_method", params["default_payment_method"], "default_payment_method"
        )
    sub.update(
        customer=customer["id"],
        start_date=fake.now,
        billing_cycle_anchor=fake.now,
        billing_cycle_anchor_config=None,
        cancel_at_period_end=False,
        currency=None,
        status="incomplete",
        _period_start=fake.now,
        _payment_behavior=params.get("payment_behavior"),
    )
    trial_end = _trial_end(fake, params)
    if trial_end:
        sub.update(trial_start=fake.now, trial_end=trial_end, status="trialing")
        sub["_period_end"] = sub["billing_cycle_anchor"] = trial_end
    for index, item in enumerate(items):
        si = add_item(fake, sub, item, index)
        sub["currency"] = sub["currency"] or si["price"]["currency"]
    sub["discounts"] = _discounts_from(
        fake, params, customer=sub["customer"], subscription=sub["id"]
    )


def _trial_end(fake: FakeStripe, params: dict) -> int | None:
    trial_end = params.get("trial_end")
    if trial_end == "now":
        return None
    if trial_end is not None:
        if not isinstance(trial_end, int) or trial_end <= fake.now:
            raise invalid(
                "Invalid timestamp: must be in the future.", param="trial_end"
            )
        return trial_end
    days = params.get("trial_period_days")
    return fake.now + int(days) * DAY if days else None


@hooks.after_create("subscription")
def _after_subscription(fake: FakeStripe, sub: dict, params: dict) -> None:
    before = fake.render(sub)
    for extra in params.get("add_invoice_items") or []:
        _pending_item(fake, sub, extra)
    invoice = bill_period(fake, sub, "subscription_create")
    if sub["status"] != "trialing":
        if invoice["status"] == "paid" or sub["collection_method"] == "send_invoice":
            sub["status"] = "active"
    fake.emit_changed(sub, before)


def _pending_item(fake: FakeStripe, sub: dict, extra: dict) -> None:
    fake.create(
        "invoiceitem",
        {
            "customer": sub["customer"],
            "subscription": sub["id"],
            "price": extra.get("price"),
            "quantity": extra.get("quantity") or 1,
            "currency": sub["currency"],
        },
    )


def _sub_payment_method(fake: FakeStripe, sub: dict) -> dict | None:
    if sub.get("default_payment_method"):
        return fake.get("payment_method", sub["default_payment_method"])
    return default_payment_method(fake, sub["customer"])


def bill_period(fake: FakeStripe, sub: dict, reason: str) -> dict:
    """Invoice the subscription's current period; pay it if charged automatically."""
    trialing = sub["status"] == "trialing"
    invoice = new_invoice(
        fake,
        sub["customer"],
        subscription=sub,
        billing_reason=reason,
        currency=sub["currency"],
    )
    for si in items_of(fake, sub):
        add_subscription_line(fake, invoice, sub, si, trial=trialing)
    for ii in fake.all("invoiceitem", customer=sub["customer"], invoice=None):
        if ii.get("_subscription") in (None, sub["id"]):
            add_item_line(fake, invoice, ii)
    invoice["discounts"] = list(sub.get("discounts") or [])
    recompute(fake, invoice)
    fake.emit_created(invoice)
    sub["latest_invoice"] = invoice["id"]
    finalize(fake, invoice)
    if (
        invoice["status"] == "open"
        and invoice["collection_method"] == "charge_automatically"
    ):
        if (
            _payment_behavior(sub) != "default_incomplete"
            or reason != "subscription_create"
        ):
            pay(fake, invoice, {}, raise_on_decline=False, sub=sub)
    return invoice


def _payment_behavior(sub: dict) -> str | None:
    return sub.get("_payment_behavior")


@hooks.on_update("subscription")
def _update_subscription(
    fake: FakeStripe, sub: dict, params: dict, before: dict
) -> None:
    for index, item in enumerate(params.get("items") or []):
        _update_item_from_params(fake, sub, item, index)
    if "cancel_at_period_end" in params:
        end = _current_period_end(fake, sub)
        sub["cancel_at"] = end if params["cancel_at_period_end"] else None
    if params.get("trial_end") == "now":
        sub["trial_end"] = before["trial_end"]
        if sub["status"] == "trialing":
            sub["trial_end"] = fake.now
            _renew(fake, sub)
    if params.get("discounts") or params.get("coupon") or params.get("promotion_code"):
        sub["discounts"] = _discounts_from(
            fake, params, customer=sub["customer"], subscription=sub["id"]
        )


def _update_item_from_params(
    fake: FakeStripe, sub: dict, item: dict, index: int
) -> None:
    if item.get("id"):
        si = fake.get("subscription_item", item["id"], f"items[{index}][id]")
        if item.get("deleted"):
            si["_deleted"] = True
            return
        if item.get("price") or item.get("price_data") or item.get("plan"):
            price = _price_for(fake, item, sub["currency"], f"items[{index}][price]")
            si["price"], si["plan"] = fake.render(price), plan_from_price(price)
        if item.get("quantity") is not None:
            si["quantity"] = item["quantity"]
        if item.get("metadata") is not None:
            fake.apply(si, {"metadata": item["metadata"]})
        return
    sub["_period_start"] = _current_period_start(fake, sub)
    sub["_period_end"] = _current_period_end(fake, sub)
    add_item(fake, sub, item, index)


def _current_period_start(fake: FakeStripe, sub: dict) -> int:
    items = items_of(fake, sub)
    return items[0]["current_period_start"] if items else sub["start_date"]


def _current_period_end(fake: FakeStripe, sub: dict) -> int:
    items = items_of(fake, sub)
    return items[0]["current_period_end"] if items else fake.now


@hooks.on_delete("subscription")
def _cancel_subscription(fake: FakeStripe, sub: dict, params: dict) -> dict:
    """``DELETE /v1/subscriptions/{id}`` cancels now and returns the subscription."""
    if sub["status"] == "canceled":
        raise invalid(
            "A canceled subscription can only update its cancellation_details and metadata.",
            param="subscription",
        )
    cancel_now(fake, sub)
    return fake.render(sub)


def cancel_now(
    fake: FakeStripe, sub: dict, reason: str = "cancellation_requested"
) -> dict:
    details = {"comment": None, "feedback": None, "reason": reason}
    return fake.update(
        sub,
        {
            "status": "canceled",
            "canceled_at": fake.now,
            "ended_at": fake.now,
            "cancellation_details": details,
        },
        "customer.subscription.deleted",
    )


@hooks.list_filter("subscription", "status")
def _subscription_status(fake: FakeStripe, sub: dict, status) -> bool:
    if status == "all":
        return True
    if status == "ended":
        return sub["status"] in ("canceled", "incomplete_expired")
    return sub["status"] == status


@hooks.list_filter("subscription", "_default")
def _subscriptions_exclude_canceled(fake: FakeStripe, sub: dict, params: dict) -> bool:
    return "status" in params or sub["status"] not in ("canceled", "incomplete_expired")


@hooks.list_filter("subscription", "price")
def _subscription_price(fake: FakeStripe, sub: dict, price_id) -> bool:
    return any(si["price"]["id"] == price_id for si in items_of(fake, sub))


@hooks.list_filter("subscription", "plan")
def _subscription_plan(fake: FakeStripe, sub: dict, plan_id) -> bool:
    return any(si["plan"]["id"] == plan_id for si in items_of(fake, sub))


@hooks.list_filter("subscription", "current_period_start")
def _subscription_period_start(fake: FakeStripe, sub: dict, spec) -> bool:
    """Subscriptions keep their periods on their items in today's API."""
    return range_matches(_current_period_start(fake, sub), spec, "current_period_start")


@hooks.list_filter("subscription", "current_period_end")
def _subscription_period_end(fake: FakeStripe, sub: dict, spec) -> bool:
    return range_matches(_current_period_end(fake, sub), spec, "current_period_end")


@hooks.route(
    "POST",
    r"/v1/customers/(?P<id>[^/]+)/subscriptions",
    "/v1/customers/{id}/subscriptions",
)
def _create_customer_subscription(fake: FakeStripe, match, params: dict):
    customer = fake.get("customer", match["id"], "customer")
    expand = params.pop("expand", None) or []
    sub = fake.create("subscription", {**params, "customer": customer["id"]})
    return 200, fake.render(sub, expand)


@hooks.action("subscription_schedule", "cancel")
def _cancel_schedule(fake: FakeStripe, schedule: dict, params: dict) -> dict:
    _check_schedule_open(schedule)
    changes = {"status": "canceled", "canceled_at": fake.now}
    return fake.update(schedule, changes, "subscription_schedule.canceled")


@hooks.action("subscription_schedule", "release")
def _release_schedule(fake: FakeStripe, schedule: dict, params: dict) -> dict:
    _check_schedule_open(schedule)
    changes = {
        "status": "released",
        "released_at": fake.now,
        "released_subscription": schedule.get("subscription"),
        "subscription": None,
    }
    return fake.update(schedule, changes, "subscription_schedule.released")


def _check_schedule_open(schedule: dict) -> None:
    if schedule["status"] not in ("not_started", "active"):
        raise invalid(
            f"You cannot update a subscription schedule that is {schedule['status']}."
        )


@hooks.on_delete("customer")
def _delete_customer(fake: FakeStripe, customer: dict, params: dict) -> None:
    """Deleting a customer cancels their subscriptions first, as Stripe does."""
    for sub in fake.all("subscription", customer=customer["id"]):
        if sub["status"] not in ("canceled", "incomplete_expired"):
            cancel_now(fake, sub)


# -- subscription items as their own resource ---------------------------------


@hooks.route("POST", r"/v1/subscription_items", "/v1/subscription_items")
def _create_subscription_item(fake: FakeStripe, match, params: dict):
    sub = fake.get("subscription", params.get("subscription"), "subscription")
    before = fake.render(sub)
    sub["_period_start"] = _current_period_start(fake, sub)
    sub["_period_end"] = _current_period_end(fake, sub)
    si = add_item(fake, sub, params)
    fake.emit_changed(sub, before)
    return 200, fake.render(si, params.get("expand") or [])


@hooks.on_update("subscription_item")
def _update_subscription_item(fake: FakeStripe, si: dict, params: dict, before) -> None:
    sub = fake.get("subscription", si["subscription"])
    sub_before = fake.render(sub)
    if params.get("price") or params.get("price_data") or params.get("plan"):
        price = _price_for(fake, params, sub["currency"], "price")
        si["price"], si["plan"] = fake.render(price), plan_from_price(price)
    fake.emit_changed(sub, sub_before)


@hooks.on_delete("subscription_item")
def _delete_subscription_item(fake: FakeStripe, si: dict, params: dict) -> None:
    sub = fake.get("subscription", si["subscription"])
    if len(items_of(fake, sub)) == 1:
        raise invalid(
            "A subscription must have at least one active plan. To cancel a "
            "subscription, please use the cancel API endpoint on /v1/subscriptions.",
        )
    sub_before = fake.render(sub)
    si["_deleted"] = True
    fake.emit_changed(sub, sub_before)
    si.pop("_deleted")


# -- renewals -----------------------------------------------------------------


def advance_subscriptions(fake: FakeStripe, to: int | None = None) -> list[dict]:
    """Move the clock to ``to`` and bill every period that ended by then."""
    if to is not None and to > fake.now:
        fake.now = to
    invoices = []
    progressing = True
    while progressing:
        progressing = False
        for sub in fake.all("subscription"):
            if sub["status"] not in LIVE_STATUSES or sub["status"] == "incomplete":
                continue
            with fake.acting_as(sub.get("_account")):
                end = _current_period_end(fake, sub)
                if sub.get("cancel_at") and sub["cancel_at"] <= min(end, fake.now):
                    cancel_now(fake, sub)
                    continue
                if end <= fake.now:
                    invoices.append(_renew(fake, sub))
                    progressing = True
    return invoices


def _renew(fake: FakeStripe, sub: dict) -> dict:
    """Start the next period (trial → active) and bill it."""
    before = fake.render(sub)
    start = (
        sub["trial_end"]
        if sub["status"] == "trialing"
        else _current_period_end(fake, sub)
    )
    start = min(start, fake.now) if sub["status"] == "trialing" else start
    for si in items_of(fake, sub):
        si["current_period_start"] = start
        si["current_period_end"] = _period_end(si["price"], start)
    reason = "subscription_cycle"
    if sub["status"] == "trialing":
        sub["status"] = "active"
        sub["billing_cycle_anchor"] = start
    invoice = bill_period(fake, sub, reason)
    if invoice["status"] == "paid":
        sub["status"] = "active"
    elif invoice["collection_method"] == "charge_automatically":
        sub["status"] = "past_due"
    fake.emit_changed(sub, before)
    return invoice


# -- invoices -----------------------------------------------------------------


def new_invoice(
    fake: FakeStripe,
    customer_id: str,
    *,
    subscription: dict | None = None,
    billing_reason: str = "manual",
    currency: str | None = None,
    params: dict | None = None,
    store: bool = True,
) -> dict:
    customer = fake.get("customer", customer_id, "customer")
    invoice = fake.build("invoice", params or {})
    invoice.update(
        customer=customer_id,
        customer_email=customer["email"],
        customer_name=customer["name"],
        customer_phone=customer["phone"],
        customer_address=customer["address"],
        customer_tax_exempt=customer["tax_exempt"],
        billing_reason=billing_reason,
        currency=currency or invoice["currency"],
        status="draft",
        amount_paid=0,
        period_start=fake.now,
        period_end=fake.now,
        auto_advance=subscription is not None
        or (params or {}).get("auto_advance", True),
        account_country="US",
        account_name="FakeStripe test account",
        parent=None,
        subscription=None,
        amount_overpaid=0,
    )
    if subscription:
        invoice.update(
            collection_method=subscription["collection_method"],
            default_payment_method=subscription.get("default_payment_method"),
            subscription=subscription["id"],
            parent={
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "subscription": subscription["id"],
                    "metadata": dict(subscription.get("metadata") or {}),
                },
            },
        )
        if subscription["collection_method"] == "send_invoice":
            invoice["due_date"] = (
                fake.now + (subscription.get("days_until_due") or 30) * DAY
            )
    if store:
        fake.store(invoice)
    return invoice


def _line(fake: FakeStripe, invoice: dict, fields: dict, store: bool = True) -> dict:
    line = fake.build("line_item", fields)
    line.update(fields)
    line["id"] = fake.new_id("il_tmp" if not store else "il")
    line["invoice"] = invoice.get("id")
    line["currency"] = invoice["currency"]
    if store:
        fake.store(line)
    else:
        invoice.setdefault("_lines", []).append(line)
    return line


def _pricing(price: dict) -> dict:
    return {
        "type": "price_details",
        "price_details": {"price": price["id"], "product": price["product"]},
        "unit_amount_decimal": price["unit_amount_decimal"],
    }


def add_subscription_line(
    fake: FakeStripe,
    invoice: dict,
    sub: dict,
    si: dict,
    trial: bool = False,
    period: tuple[int, int] | None = None,
    store: bool = True,
) -> dict:
    price = si["price"]
    start, end = period or (si["current_period_start"], si["current_period_end"])
    if trial:
        end = sub["trial_end"]
    amount = 0 if trial else (price["unit_amount"] or 0) * si["quantity"]
    product = fake._objects.get(price["product"], {}).get("name", "item")
    label = f"Trial period for {product}" if trial else f"{si['quantity']} × {product}"
    invoice["period_start"], invoice["period_end"] = start, end
    return _line(
        fake,
        invoice,
        {
            "amount": amount,
            "subtotal": amount,
            "description": label,
            "quantity": si["quantity"],
            "period": {"start": start, "end": end},
            "subscription": sub["id"],
            "pricing": _pricing(price),
            "parent": {
                "type": "subscription_item_details",
                "invoice_item_details": None,
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": sub["id"],
                    "subscription_item": si["id"],
                },
            },
            "metadata": dict(sub.get("metadata") or {}),
        },
        store,
    )


def add_item_line(
    fake: FakeStripe, invoice: dict, ii: dict, store: bool = True
) -> dict:
    if store:
        ii["invoice"] = invoice["id"]
    return _line(
        fake,
        invoice,
        {
            "amount": ii["amount"],
            "subtotal": ii["amount"],
            "description": ii["description"],
            "quantity": ii["quantity"],
            "period": ii["period"],
            "pricing": ii["pricing"],
            "parent": {
                "type": "invoice_item_details",
                "subscription_item_details": None,
                "invoice_item_details": {
                    "invoice_item": ii["id"],
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": ii.get("_subscription"),
                },
            },
            "metadata": dict(ii.get("metadata") or {}),
        },
        store,
    )


def lines_of(fake: FakeStripe, invoice: dict) -> list[dict]:
    if "_lines" in invoice:
        return invoice["_lines"]
    return fake.all("line_item", invoice=invoice["id"])


def recompute(fake: FakeStripe, invoice: dict) -> None:
    """Totals from the lines, less the invoice's discounts."""
    subtotal = sum(line["amount"] for line in lines_of(fake, invoice))
    discount_amounts = []
    remaining = subtotal
    for discount_id in invoice.get("discounts") or []:
        coupon = fake.get("coupon", fake._objects[discount_id]["source"]["coupon"])
        if coupon["percent_off"] is not None:
            off = round(subtotal * coupon["percent_off"] / 100)
        else:
            off = coupon["amount_off"] or 0
        off = min(off, remaining)
        remaining -= off
        discount_amounts.append({"amount": off, "discount": discount_id})
    invoice.update(
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal,
        total=remaining,
        total_excluding_tax=remaining,
        total_discount_amounts=discount_amounts,
        amount_due=remaining,
        amount_remaining=max(remaining - invoice["amount_paid"], 0),
    )


@hooks.sublist("invoice", "lines")
def _invoice_lines(fake: FakeStripe, invoice: dict):
    lines = sorted(lines_of(fake, invoice), key=lambda line: fake._order[line["id"]])
    return lines, f"/v1/invoices/{invoice['id']}/lines"


@hooks.route(
    "GET", r"/v1/invoices/(?P<id>(?!upcoming/)[^/]+)/lines", "/v1/invoices/{id}/lines"
)
def _list_invoice_lines(fake: FakeStripe, match, params: dict):
    invoice = fake.get("invoice", match["id"])
    expand = params.pop("expand", None) or []
    # In invoice order, like the lines embedded in the invoice: a reader that
    # completes the embedded page with starting_after must not skip any.
    return 200, fake.page(
        lines_of(fake, invoice),
        params,
        f"/v1/invoices/{invoice['id']}/lines",
        expand,
        oldest_first=True,
    )


@hooks.route("POST", r"/v1/invoices", "/v1/invoices")
def _create_invoice(fake: FakeStripe, match, params: dict):
    expand = params.pop("expand", None) or []
    fake.get("customer", params.get("customer"), "customer")
    sub = None
    if params.get("subscription"):
        sub = fake.get("subscription", params["subscription"], "subscription")
    invoice = new_invoice(
        fake,
        params["customer"],
        subscription=sub,
        currency=params.get("currency") or "usd",
        params=params,
    )
    if params.get("pending_invoice_items_behavior") == "include":
        for ii in fake.all("invoiceitem", customer=params["customer"], invoice=None):
            add_item_line(fake, invoice, ii)
    invoice["discounts"] = _discounts_from(fake, params, customer=params["customer"])
    recompute(fake, invoice)
    fake.emit_created(invoice)
    return 200, fake.render(invoice, expand)


@hooks.on_delete("invoice")
def _delete_invoice(fake: FakeStripe, invoice: dict, params: dict) -> None:
    if invoice["status"] != "draft":
        raise invalid(
            "You can only delete draft invoices.", code="invoice_not_editable"
        )


def finalize(fake: FakeStripe, invoice: dict) -> dict:
    if invoice["status"] != "draft":
        raise invalid("This invoice is already finalized.", code="invoice_not_editable")
    customer = fake.get("customer", invoice["customer"])
    before = fake.render(invoice)
    sequence = customer["next_invoice_sequence"]
    customer["next_invoice_sequence"] = sequence + 1
    token = fake.random_token(32)
    invoice.update(
        status="open",
        number=f"{customer['invoice_prefix']}-{sequence:04d}",
        effective_at=fake.now,
        hosted_invoice_url=f"https://invoice.stripe.com/i/{token}",
        invoice_pdf=f"https://pay.stripe.com/invoice/{token}/pdf",
        status_transitions={**invoice["status_transitions"], "finalized_at": fake.now},
    )
    if invoice["collection_method"] == "charge_automatically":
        invoice["next_payment_attempt"] = fake.now
    fake.emit_changed(invoice, before, "invoice.finalized")
    if invoice["amount_due"] == 0:
        _mark_paid(fake, invoice, None)
    return invoice


@hooks.action("invoice", "finalize")
def _finalize_action(fake: FakeStripe, invoice: dict, params: dict) -> dict:
    return finalize(fake, invoice)


def _mark_paid(fake: FakeStripe, invoice: dict, intent: dict | None) -> None:
    before = fake.render(invoice)
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        attempted=intent is not None or invoice["attempted"],
        next_payment_attempt=None,
        status_transitions={**invoice["status_transitions"], "paid_at": fake.now},
    )
    fake.emit_changed(invoice, before, "invoice.paid")
    fake.emit("invoice.payment_succeeded", invoice)


def _record_payment(fake: FakeStripe, invoice: dict, intent: dict, paid: bool) -> None:
    record = fake.build(
        "invoice_payment",
        {
            "amount_paid": intent["amount_received"] if paid else None,
            "amount_requested": intent["amount"],
            "currency": intent["currency"],
            "invoice": invoice["id"],
            "is_default": True,
            "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
            "status": "paid" if paid else "open",
            "status_transitions": {
                "canceled_at": None,
                "paid_at": fake.now if paid else None,
            },
        },
    )
    fake.store(record)


def pay(
    fake: FakeStripe,
    invoice: dict,
    params: dict,
    raise_on_decline: bool = True,
    sub: dict | None = None,
) -> dict:
    """Collect an open invoice with a PaymentIntent on the default card."""
    if invoice["status"] == "draft":
        finalize(fake, invoice)
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid")
    if invoice["status"] != "open":
        raise invalid(f"You cannot pay an invoice with status {invoice['status']}.")
    if params.get("paid_out_of_band"):
        _mark_paid(fake, invoice, None)
        return invoice
    pm = None
    if params.get("payment_method"):
        pm = fake.get("payment_method", params["payment_method"], "payment_method")
    elif invoice.get("default_payment_method"):
        pm = fake.get("payment_method", invoice["default_payment_method"])
    elif sub is not None:
        pm = _sub_payment_method(fake, sub)
    else:
        pm = default_payment_method(fake, invoice["customer"])
    if pm is None:
        return _payment_failed(fake, invoice, raise_on_decline, None)
    intent = fake.create(
        "payment_intent",
        {
            "amount": invoice["amount_due"],
            "currency": invoice["currency"],
            "customer": invoice["customer"],
            "payment_method": pm["id"],
            "description": "Subscription creation"
            if invoice["billing_reason"] == "subscription_create"
            else f"Invoice {invoice['number']}",
        },
    )
    confirm_intent(fake, intent, {}, raise_on_decline=False)
    paid = intent["status"] == "succeeded"
    _record_payment(fake, invoice, intent, paid)
    if not paid:
        return _payment_failed(fake, invoice, raise_on_decline, intent)
    invoice["attempt_count"] += 1
    _mark_paid(fake, invoice, intent)
    return invoice


def _payment_failed(
    fake: FakeStripe, invoice: dict, raise_on_decline: bool, intent
) -> dict:
    before = fake.render(invoice)
    invoice.update(
        attempted=True,
        attempt_count=invoice["attempt_count"] + 1,
        next_payment_attempt=fake.now + 3 * DAY,
    )
    fake.emit_changed(invoice, before, "invoice.payment_failed")
    if raise_on_decline:
        if intent is None:
            raise invalid("Cannot charge a customer that has no active card")
        raise card_declined(
            intent.get("latest_charge"), payment_intent=fake.render(intent)
        )
    return invoice


@hooks.action("invoice", "pay")
def _pay_action(fake: FakeStripe, invoice: dict, params: dict) -> dict:
    pay(fake, invoice, params)
    _reactivate_subscription(fake, invoice)
    return invoice


def _reactivate_subscription(fake: FakeStripe, invoice: dict) -> None:
    """Paying a subscription's latest invoice makes it active, as in Stripe.

    An ``incomplete`` subscription waits for its first invoice to be paid; a
    ``past_due`` or ``unpaid`` one for the invoice that failed.
    """
    if invoice["status"] != "paid" or not invoice.get("subscription"):
        return
    sub = fake.get("subscription", invoice["subscription"])
    if sub.get("latest_invoice") != invoice["id"]:
        return
    if sub["status"] in ("incomplete", "past_due", "unpaid"):
        fake.update(sub, {"status": "active"})


def _transition(
    fake: FakeStripe, invoice: dict, status: str, stamp: str, event: str
) -> dict:
    if invoice["status"] != "open":
        raise invalid(
            f"You can only change the status of open invoices, not {invoice['status']}."
        )
    transitions = {**invoice["status_transitions"], stamp: fake.now}
    changes = {
        "status": status,
        "status_transitions": transitions,
        "next_payment_attempt": None,
    }
    return fake.update(invoice, changes, event)


@hooks.action("invoice", "void")
def _void(fake: FakeStripe, invoice: dict, params: dict) -> dict:
    return _transition(fake, invoice, "void", "voided_at", "invoice.voided")


@hooks.action("invoice", "mark_uncollectible")
def _uncollectible(fake: FakeStripe, invoice: dict, params: dict) -> dict:
    return _transition(
        fake,
        invoice,
        "uncollectible",
        "marked_uncollectible_at",
        "invoice.marked_uncollectible",
    )


@hooks.action("invoice", "send")
def _send(fake: FakeStripe, invoice: dict, params: dict) -> dict:
    fake.emit("invoice.sent", invoice)
    return invoice


# -- invoice items ------------------------------------------------------------


@hooks.prepare("invoiceitem")
def _prepare_invoice_item(fake: FakeStripe, ii: dict, params: dict) -> None:
    customer = fake.get("customer", params.get("customer"), "customer")
    price = None
    price_id = params.get("price") or (params.get("pricing") or {}).get("price")
    if price_id:
        price = fake.get("price", price_id, "price")
    elif params.get("price_data"):
        price = fake.create("price", {**params["price_data"], "active": False})
    quantity = params.get("quantity") or 1
    if price is not None:
        amount = (price["unit_amount"] or 0) * quantity
    elif params.get("unit_amount") is not None:
        amount = params["unit_amount"] * quantity
    elif params.get("amount") is not None:
        amount = params["amount"]
    else:
        raise invalid("Missing required param: amount.", param="amount")
    ii.update(
        customer=customer["id"],
        amount=amount,
        net_amount=amount,
        quantity=quantity,
        quantity_decimal=str(quantity),
        currency=params.get("currency") or (price or {}).get("currency") or "usd",
        date=fake.now,
        period={"start": fake.now, "end": fake.now},
        pricing={
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]}
            if price
            else None,
            "unit_amount_decimal": str(amount // quantity),
        },
        parent=None,
        invoice=None,
        _subscription=params.get("subscription"),
    )
    if params.get("subscription"):
        ii["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": params["subscription"]},
        }


@hooks.after_create("invoiceitem")
def _after_invoice_item(fake: FakeStripe, ii: dict, params: dict) -> None:
    if params.get("invoice"):
        invoice = fake.get("invoice", params["invoice"], "invoice")
        if invoice["status"] != "draft":
            raise invalid(
                "Invoice items can only be added to draft invoices.", param="invoice"
            )
        add_item_line(fake, invoice, ii)
        recompute(fake, invoice)


@hooks.list_filter("invoiceitem", "pending")
def _pending_items(fake: FakeStripe, ii: dict, pending) -> bool:
    return (ii.get("invoice") is None) == bool(pending)


@hooks.on_delete("invoiceitem")
def _delete_invoice_item(fake: FakeStripe, ii: dict, params: dict) -> None:
    if ii.get("invoice"):
        invoice = fake.get("invoice", ii["invoice"])
        if invoice["status"] != "draft":
            raise invalid("This invoice item is on a finalized invoice.")
        for line in lines_of(fake, invoice):
            details = line["parent"].get("invoice_item_details") or {}
            if details.get("invoice_item") == ii["id"]:
                line["_deleted"] = True
        recompute(fake, invoice)


@hooks.list_filter("invoice", "subscription")
def _invoice_subscription(fake: FakeStripe, invoice: dict, sub_id) -> bool:
    return invoice.get("subscription") == sub_id


# -- previews -----------------------------------------------------------------


def preview_invoice(fake: FakeStripe, params: dict, with_id: bool) -> dict:
    """The next invoice for a customer/subscription, computed and not stored."""
    customer_id = params.get("customer")
    sub = None
    if params.get("subscription"):
        sub = fake.get("subscription", params["subscription"], "subscription")
        customer_id = customer_id or sub["customer"]
    elif customer_id:
        live = [
            s
            for s in fake.all("subscription", customer=customer_id)
            if s["status"] in LIVE_STATUSES
        ]
        sub = live[0] if live else None
    if not customer_id:
        raise invalid("Missing required param: customer.", param="customer")
    invoice = new_invoice(
        fake,
        customer_id,
        subscription=sub,
        billing_reason="upcoming" if sub else "manual",
        currency=(sub or {}).get("currency") or "usd",
        store=False,
    )
    invoice["_lines"] = []
    items = _preview_items(params)
    if sub:
        _preview_subscription_lines(fake, invoice, sub, items)
    for ii in fake.all("invoiceitem", customer=customer_id, invoice=None):
        add_item_line(fake, invoice, ii, store=False)
    if not invoice["_lines"]:
        raise FakeStripeError(
            f"No upcoming invoices for customer: {customer_id}",
            status=404,
            code="invoice_upcoming_none",
        )
    invoice["discounts"] = list((sub or {}).get("discounts") or [])
    recompute(fake, invoice)
    invoice["id"] = f"upcoming_{fake.new_id('in')}" if with_id else None
    invoice["created"] = fake.now
    out = fake.render(invoice)
    lines = [fake.render(line) for line in invoice["_lines"]]
    out["lines"] = {
        "object": "list",
        "data": lines,
        "has_more": False,
        "url": "/v1/invoices/upcoming/lines",
    }
    if not with_id:
        out.pop("id")
    return out


def _preview_items(params: dict) -> list[dict]:
    details = params.get("subscription_details") or {}
    return details.get("items") or params.get("subscription_items") or []


def _preview_subscription_lines(
    fake: FakeStripe, invoice: dict, sub: dict, changes: list[dict]
) -> None:
    by_id = {si["id"]: dict(si) for si in items_of(fake, sub)}
    for change in changes:
        if change.get("id") in by_id:
            si = by_id[change["id"]]
            if change.get("deleted"):
                by_id.pop(change["id"])
                continue
            if change.get("price"):
                si["price"] = fake.render(fake.get("price", change["price"], "price"))
            if change.get("quantity") is not None:
                si["quantity"] = change["quantity"]
        elif change.get("price"):
            price = fake.get("price", change["price"], "price")
            by_id[f"new{len(by_id)}"] = {
                "id": None,
                "price": fake.render(price),
                "quantity": change.get("quantity") or 1,
            }
    start = _current_period_end(fake, sub)
    for si in by_id.values():
        period = (start, _period_end(si["price"], start))
        add_subscription_line(fake, invoice, sub, si, period=period, store=False)


@hooks.route("GET", r"/v1/invoices/upcoming/lines", "/v1/invoices/upcoming/lines")
def _upcoming_lines(fake: FakeStripe, match, params: dict):
    paging = {
        k: params.pop(k)
        for k in ("limit", "starting_after", "ending_before", "expand")
        if k in params
    }
    lines = preview_invoice(fake, params, with_id=False)["lines"]["data"]
    url = "/v1/invoices/upcoming/lines"
    return 200, fake.page(
        lines, paging, url, paging.pop("expand", []), oldest_first=True
    )


@hooks.route("GET", r"/v1/invoices/upcoming", "/v1/invoices/upcoming")
def _upcoming(fake: FakeStripe, match, params: dict):
    return 200, preview_invoice(fake, params, with_id=False)


@hooks.route("POST", r"/v1/invoices/create_preview", "/v1/invoices/create_preview")
def _create_preview(fake: FakeStripe, match, params: dict):
    return 200, preview_invoice(fake, params, with_id=True)
