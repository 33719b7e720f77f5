"""Payment behaviour: payment methods, intents, charges, refunds, disputes, payouts.

Money moves the way it does in Stripe's test mode: a card either succeeds
(``pm_card_visa``, ``tok_visa``) or is declined (``pm_card_chargeDeclined``),
a captured charge gets a balance transaction with Stripe's 2.9% + 30 fee, and
each step records the events Stripe sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import hooks
from .errors import FakeStripeError, card_declined, invalid, missing

if TYPE_CHECKING:
    from .fake import FakeStripe

DAY = 86_400


@dataclass(frozen=True)
class TestCard:
    """One of Stripe's test cards and how it behaves."""

    brand: str
    last4: str
    code: str | None = None
    """The error code of a charge on this card (None: it is paid)."""
    decline_code: str | None = None
    attaches: bool = True
    """False for the cards that Stripe declines when attached to a customer."""

    __test__ = False  # not a pytest test class


def _declined(last4: str, decline_code: str, code: str = "card_declined") -> TestCard:
    return TestCard("visa", last4, code, decline_code, attaches=False)


# Stripe's test cards by the name in their magic ids (``pm_card_<name>``,
# ``tok_<name>``).  The ``chargeDeclined*`` cards are declined as soon as they
# are attached to a customer; ``chargeCustomerFail`` attaches and then
# declines every charge, which is the card for testing failed renewals.
TEST_CARDS = {
    "visa": TestCard("visa", "4242"),
    "mastercard": TestCard("mastercard", "4444"),
    "amex": TestCard("amex", "8431"),
    "chargeDeclined": _declined("0002", "generic_decline"),
    "chargeDeclinedInsufficientFunds": _declined("9995", "insufficient_funds"),
    "chargeDeclinedLostCard": _declined("9987", "lost_card"),
    "chargeDeclinedStolenCard": _declined("9979", "stolen_card"),
    "chargeDeclinedExpiredCard": _declined("0069", "expired_card", "expired_card"),
    "chargeDeclinedIncorrectCvc": _declined("0127", "incorrect_cvc", "incorrect_cvc"),
    "chargeDeclinedProcessingError": _declined(
        "0119", "processing_error", "processing_error"
    ),
    "chargeCustomerFail": TestCard("visa", "0341", "card_declined", "generic_decline"),
}
TEST_NUMBERS = {
    "4242424242424242": "visa",
    "5555555555554444": "mastercard",
    "4000000000000002": "chargeDeclined",
    "4000000000009995": "chargeDeclinedInsufficientFunds",
    "4000000000009987": "chargeDeclinedLostCard",
    "4000000000009979": "chargeDeclinedStolenCard",
    "4000000000000069": "chargeDeclinedExpiredCard",
    "4000000000000127": "chargeDeclinedIncorrectCvc",
    "4000000000000119": "chargeDeclinedProcessingError",
    "4000000000000341": "chargeCustomerFail",
}
DECLINE_MESSAGES = {
    "card_declined": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. "
    "Try again in a little bit.",
}


def processing_fee(amount: int) -> int:
    """Stripe's standard US card pricing: 2.9% + 30 cents."""
    return round(amount * 0.029) + 30 if amount > 0 else 0


# -- payment methods ----------------------------------------------------------


def _card_name(reference: str) -> str | None:
    for prefix in ("pm_card_", "tok_"):
        if reference.startswith(prefix) and reference[len(prefix) :] in TEST_CARDS:
            return reference[len(prefix) :]
    return None


def _fill_card(fake: FakeStripe, pm: dict, name: str) -> None:
    card = TEST_CARDS[name]
    pm["type"] = "card"
    pm["card"].update(
        brand=card.brand,
        display_brand=card.brand,
        last4=card.last4,
        country="US",
        exp_month=12,
        exp_year=2034,
        funding="credit",
        fingerprint=fake.random_token(16),
        checks={
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
        },
        networks={"available": [card.brand], "preferred": None},
    )
    pm["_test_card"] = name


def test_card(pm: dict) -> TestCard:
    """How ``pm`` behaves (a card the fake didn't make from a test id pays)."""
    return TEST_CARDS.get(pm.get("_test_card") or "visa", TEST_CARDS["visa"])


test_card.__test__ = False  # type: ignore[attr-defined]


def decline_error(pm: dict, charge_id: str | None = None, **extra) -> FakeStripeError:
    """The 402 ``card_error`` Stripe returns for ``pm``'s decline."""
    card = test_card(pm)
    code = card.code or "card_declined"
    return card_declined(
        charge_id,
        code=code,
        decline_code=card.decline_code or "generic_decline",
        message=DECLINE_MESSAGES.get(code, DECLINE_MESSAGES["card_declined"]),
        **extra,
    )


def check_attachable(pm: dict) -> None:
    """Stripe checks a card when it is attached: ``chargeDeclined*`` cards fail."""
    if not test_card(pm).attaches:
        raise decline_error(pm)


def resolve_payment_method(fake: FakeStripe, reference: str, param: str) -> dict:
    """A stored PaymentMethod, or a fresh one for a test id like ``pm_card_visa``."""
    if fake.exists(reference) and reference.startswith("pm_"):
        return fake.get("payment_method", reference, param)
    name = _card_name(reference)
    if name is None:
        raise FakeStripeError(
            f"No such PaymentMethod: '{reference}'",
            status=404,
            code="resource_missing",
            param=param,
        )
    pm = fake.build("payment_method")
    _fill_card(fake, pm, name)
    return fake.store(pm)


@hooks.resolve("payment_method")
def _resolve_test_payment_method(fake: FakeStripe, reference: str) -> dict | None:
    """``POST /v1/payment_methods/pm_card_visa/attach`` works as in test mode."""
    return (
        resolve_payment_method(fake, reference, "id") if _card_name(reference) else None
    )


@hooks.prepare("payment_method")
def _prepare_payment_method(fake: FakeStripe, pm: dict, params: dict) -> None:
    card = params.get("card") or {}
    name = "visa"
    if isinstance(card, dict) and card.get("token"):
        name = _card_name(card["token"]) or "visa"
    elif isinstance(card, dict) and card.get("number"):
        name = TEST_NUMBERS.get(str(card["number"]), "visa")
    _fill_card(fake, pm, name)
    pm["metadata"] = pm.get("metadata") or {}


@hooks.action("payment_method", "attach")
def attach(fake: FakeStripe, pm: dict, params: dict) -> dict:
    customer = params.get("customer")
    if not customer:
        raise invalid("Missing required param: customer.", param="customer")
    fake.get("customer", customer, "customer")
    check_attachable(pm)
    if pm.get("customer") and pm["customer"] != customer:
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )
    return fake.update(pm, {"customer": customer}, "payment_method.attached")


@hooks.action("payment_method", "detach")
def detach(fake: FakeStripe, pm: dict, params: dict) -> dict:
    if not pm.get("customer"):
        raise invalid(
            "The payment method you provided is not attached to a customer so "
            "detachment is impossible.",
            param="payment_method",
        )
    customer = fake.get("customer", pm["customer"])
    if customer["invoice_settings"].get("default_payment_method") == pm["id"]:
        settings = {**customer["invoice_settings"], "default_payment_method": None}
        fake.update(customer, {"invoice_settings": settings})
    return fake.update(pm, {"customer": None}, "payment_method.detached")


@hooks.list_filter("payment_method", "_default")
def _payment_methods_need_type(fake: FakeStripe, pm: dict, params: dict) -> bool:
    return params.get("type") in (None, pm["type"])


# -- customers ----------------------------------------------------------------


@hooks.prepare("customer")
def _prepare_customer(fake: FakeStripe, customer: dict, params: dict) -> None:
    customer["invoice_prefix"] = fake.random_token(8).upper()
    _check_default_payment_method(fake, customer, params)
    reference = params.get("payment_method") or params.get("source")
    if reference:
        # A card Stripe declines on attach fails the create: no customer is made.
        pm = resolve_payment_method(fake, reference, "payment_method")
        check_attachable(pm)
        customer["_attach"] = pm["id"]


@hooks.after_create("customer")
def _after_customer(fake: FakeStripe, customer: dict, params: dict) -> None:
    pm_id = customer.pop("_attach", None)
    if pm_id:
        attach(fake, fake.get("payment_method", pm_id), {"customer": customer["id"]})
        if params.get("source"):
            customer["default_source"] = None


@hooks.on_update("customer")
def _update_customer(fake: FakeStripe, customer: dict, params: dict, old) -> None:
    _check_default_payment_method(fake, customer, params)


def _check_default_payment_method(fake: FakeStripe, customer: dict, params) -> None:
    settings = params.get("invoice_settings") or {}
    pm_id = settings.get("default_payment_method")
    if not pm_id:
        return
    pm = fake.get("payment_method", pm_id, "invoice_settings[default_payment_method]")
    if pm.get("customer") != customer["id"]:
        raise invalid(
            f"No such PaymentMethod: '{pm_id}'; it must be attached to the customer first.",
            param="invoice_settings[default_payment_method]",
        )


def default_payment_method(fake: FakeStripe, customer_id: str | None) -> dict | None:
    """The customer's invoice default, else their newest attached card."""
    if not customer_id or not fake.exists(customer_id):
        return None
    customer = fake.get("customer", customer_id)
    pm_id = customer["invoice_settings"].get("default_payment_method")
    if pm_id and fake.exists(pm_id):
        return fake.get("payment_method", pm_id)
    attached = fake.all("payment_method", customer=customer_id)
    return attached[-1] if attached else None


# -- charges and balance transactions -----------------------------------------


def balance_transaction(
    fake: FakeStripe, source: dict, amount: int, kind: str, fee: int = 0
) -> dict:
    fee_details = []
    if fee:
        fee_details = [
            {
                "amount": fee,
                "application": None,
                "currency": source["currency"],
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
    return fake.insert(
        "balance_transaction",
        {
            "amount": amount,
            "available_on": fake.now + 2 * DAY,
            "currency": source["currency"],
            "description": source.get("description"),
            "fee": fee,
            "fee_details": fee_details,
            "net": amount - fee,
            "reporting_category": kind,
            "source": source["id"],
            "status": "pending",
            "type": kind,
        },
    )


def _charge_fields(pm: dict, amount: int, test: TestCard) -> dict:
    declines = test.code is not None
    card = pm["card"] or {}
    return {
        "payment_method": pm["id"],
        "billing_details": pm["billing_details"],
        "payment_method_details": {
            "type": "card",
            "card": {
                "brand": card.get("brand"),
                "country": card.get("country"),
                "exp_month": card.get("exp_month"),
                "exp_year": card.get("exp_year"),
                "fingerprint": card.get("fingerprint"),
                "funding": card.get("funding"),
                "last4": card.get("last4"),
                "network": card.get("brand"),
                "checks": card.get("checks"),
                "three_d_secure": None,
                "wallet": None,
                "amount_authorized": None if declines else amount,
            },
        },
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "declined_by_network"
            if declines
            else "approved_by_network",
            "reason": test.decline_code if declines else None,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": (
                "The bank did not return any further details with this decline."
                if declines
                else "Payment complete."
            ),
            "type": "issuer_declined" if declines else "authorized",
        },
    }


def charge_card(
    fake: FakeStripe,
    pm: dict,
    amount: int,
    currency: str,
    *,
    customer: str | None = None,
    payment_intent: str | None = None,
    capture: bool = True,
    description: str | None = None,
    metadata: dict | None = None,
) -> dict:
    """Create a Charge against ``pm``: succeeded (maybe uncaptured) or failed."""
    card = test_card(pm)
    declines = card.code is not None
    fields = {
        "amount": amount,
        "currency": currency,
        "customer": customer,
        "description": description,
        "payment_intent": payment_intent,
        "metadata": metadata or {},
        "paid": not declines,
        "captured": False,
        "amount_captured": 0,
        "status": "failed" if declines else "succeeded",
        **_charge_fields(pm, amount, card),
    }
    if declines:
        fields.update(
            failure_code=card.code,
            failure_message=DECLINE_MESSAGES.get(card.code, "Your card was declined."),
        )
    charge = fake.build("charge", fields)
    charge.update(fields)
    charge["receipt_url"] = f"https://pay.stripe.com/receipts/{charge['id']}"
    fake.store(charge)
    if declines:
        fake.emit("charge.failed", charge)
        return charge
    if capture:  # as in Stripe, charge.succeeded shows the captured charge
        capture_charge(fake, charge, {}, event=False)
    fake.emit("charge.succeeded", charge)
    return charge


def capture_charge(
    fake: FakeStripe, charge: dict, params: dict, event: bool = True
) -> dict:
    if charge["captured"]:
        raise invalid(
            f"Charge {charge['id']} has already been captured.",
            code="charge_already_captured",
        )
    amount = params.get("amount") or params.get("amount_to_capture") or charge["amount"]
    before = fake.render(charge)
    bt = balance_transaction(fake, charge, amount, "charge", processing_fee(amount))
    charge.update(captured=True, amount_captured=amount, balance_transaction=bt["id"])
    if amount < charge["amount"]:
        charge["amount_refunded"] = charge["amount"] - amount
        charge["refunded"] = False
    if event:
        fake.emit_changed(charge, before, "charge.captured")
    return charge


@hooks.route("POST", r"/v1/charges", "/v1/charges")
def _create_charge(fake: FakeStripe, match, params: dict) -> tuple[int, dict]:
    """Legacy ``POST /v1/charges`` with a ``source`` token or a customer's card."""
    amount, currency = params.get("amount"), params.get("currency")
    if not isinstance(amount, int) or amount < 50:
        raise invalid(
            "Amount must be at least 50 cents", param="amount", code="amount_too_small"
        )
    if not currency:
        raise invalid("Missing required param: currency.", param="currency")
    customer = params.get("customer")
    if customer:
        fake.get("customer", customer, "customer")
    source = params.get("source")
    pm = (
        resolve_payment_method(fake, source, "source")
        if source
        else default_payment_method(fake, customer)
    )
    if pm is None:
        raise invalid(
            "Cannot charge a customer that has no active card",
            param="card",
            code="missing",
        )
    charge = charge_card(
        fake,
        pm,
        amount,
        currency,
        customer=customer,
        capture=params.get("capture", True) is not False,
        description=params.get("description"),
        metadata=params.get("metadata"),
    )
    if charge["status"] == "failed":
        raise decline_error(pm, charge["id"])
    return 200, fake.render(charge, params.get("expand") or [])


@hooks.action("charge", "capture")
def _capture_charge_action(fake: FakeStripe, charge: dict, params: dict) -> dict:
    capture_charge(fake, charge, params)
    if charge.get("payment_intent"):
        intent = fake.get("payment_intent", charge["payment_intent"])
        _intent_succeeded(fake, intent, charge)
    return charge


@hooks.sublist("charge", "refunds")
def _charge_refunds(fake: FakeStripe, charge: dict):
    refunds = sorted(
        fake.all("refund", charge=charge["id"]), key=lambda r: -fake._order[r["id"]]
    )
    return refunds, f"/v1/charges/{charge['id']}/refunds"


# -- payment intents ----------------------------------------------------------


@hooks.prepare("payment_intent")
def _prepare_intent(fake: FakeStripe, intent: dict, params: dict) -> None:
    if not isinstance(params.get("amount"), int) or params["amount"] < 1:
        raise invalid("Missing required param: amount.", param="amount")
    if not params.get("currency"):
        raise invalid("Missing required param: currency.", param="currency")
    if intent.get("customer"):
        fake.get("customer", intent["customer"], "customer")
    intent["client_secret"] = f"{intent['id']}_secret_{fake.random_token(25)}"
    intent["automatic_payment_methods"] = params.get("automatic_payment_methods")
    intent["status"] = "requires_payment_method"
    if params.get("payment_method"):
        pm = resolve_payment_method(fake, params["payment_method"], "payment_method")
        intent["payment_method"] = pm["id"]
        intent["status"] = "requires_confirmation"


@hooks.after_create("payment_intent")
def _after_intent(fake: FakeStripe, intent: dict, params: dict) -> None:
    if params.get("confirm"):
        confirm_intent(fake, intent, params)


@hooks.action("payment_intent", "confirm")
def _confirm_action(fake: FakeStripe, intent: dict, params: dict) -> dict:
    return confirm_intent(fake, intent, params)


def confirm_intent(
    fake: FakeStripe, intent: dict, params: dict, raise_on_decline: bool = True
) -> dict:
    """Charge the intent's payment method; a decline leaves it needing a new one."""
    if intent["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise invalid(
            f"This PaymentIntent's status is {intent['status']}, so it cannot be confirmed.",
            code="payment_intent_unexpected_state",
        )
    if params.get("payment_method"):
        intent["payment_method"] = resolve_payment_method(
            fake, params["payment_method"], "payment_method"
        )["id"]
    if not intent.get("payment_method"):
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state",
        )
    pm = fake.get("payment_method", intent["payment_method"])
    before = fake.render(intent)
    manual = intent["capture_method"] in ("manual", "manual_preferred")
    charge = charge_card(
        fake,
        pm,
        intent["amount"],
        intent["currency"],
        customer=intent.get("customer"),
        payment_intent=intent["id"],
        capture=not manual,
        description=intent.get("description"),
        metadata=intent.get("metadata"),
    )
    intent["latest_charge"] = charge["id"]
    if charge["status"] == "failed":
        error = decline_error(pm, charge["id"], payment_method=fake.render(pm))
        intent.update(
            status="requires_payment_method",
            payment_method=None,
            last_payment_error=error.body()["error"],
        )
        fake.emit_changed(intent, before, "payment_intent.payment_failed")
        if raise_on_decline:
            raise decline_error(pm, charge["id"], payment_intent=fake.render(intent))
        return intent
    if manual:
        intent.update(status="requires_capture", amount_capturable=intent["amount"])
        fake.emit_changed(intent, before, "payment_intent.amount_capturable_updated")
        return intent
    return _intent_succeeded(fake, intent, charge, before)


def _intent_succeeded(
    fake: FakeStripe, intent: dict, charge: dict, before: dict | None = None
) -> dict:
    before = before or fake.render(intent)
    intent.update(
        status="succeeded",
        amount_received=charge["amount_captured"],
        amount_capturable=0,
        last_payment_error=None,
    )
    fake.emit_changed(intent, before, "payment_intent.succeeded")
    return intent


@hooks.action("payment_intent", "capture")
def _capture_intent(fake: FakeStripe, intent: dict, params: dict) -> dict:
    if intent["status"] != "requires_capture":
        raise invalid(
            "This PaymentIntent could not be captured because it has a status "
            f"of {intent['status']}.",
            code="payment_intent_unexpected_state",
        )
    charge = fake.get("charge", intent["latest_charge"])
    capture_charge(fake, charge, {"amount": params.get("amount_to_capture")})
    return _intent_succeeded(fake, intent, charge)


@hooks.action("payment_intent", "cancel")
def _cancel_intent(fake: FakeStripe, intent: dict, params: dict) -> dict:
    if intent["status"] in ("succeeded", "canceled"):
        raise invalid(
            f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
            code="payment_intent_unexpected_state",
        )
    return fake.update(
        intent,
        {
            "status": "canceled",
            "canceled_at": fake.now,
            "cancellation_reason": params.get("cancellation_reason"),
            "amount_capturable": 0,
        },
        "payment_intent.canceled",
    )


# -- setup intents ------------------------------------------------------------


@hooks.prepare("setup_intent")
def _prepare_setup_intent(fake: FakeStripe, intent: dict, params: dict) -> None:
    intent["client_secret"] = f"{intent['id']}_secret_{fake.random_token(25)}"
    intent["status"] = "requires_payment_method"
    if params.get("payment_method"):
        intent["payment_method"] = resolve_payment_method(
            fake, params["payment_method"], "payment_method"
        )["id"]
        intent["status"] = "requires_confirmation"


@hooks.after_create("setup_intent")
def _after_setup_intent(fake: FakeStripe, intent: dict, params: dict) -> None:
    if params.get("confirm"):
        confirm_setup_intent(fake, intent, params)


@hooks.action("setup_intent", "confirm")
def confirm_setup_intent(fake: FakeStripe, intent: dict, params: dict) -> dict:
    if params.get("payment_method"):
        intent["payment_method"] = resolve_payment_method(
            fake, params["payment_method"], "payment_method"
        )["id"]
    if not intent.get("payment_method"):
        raise invalid("Missing a payment method.", code="setup_intent_unexpected_state")
    pm = fake.get("payment_method", intent["payment_method"])
    if not test_card(pm).attaches:
        # Setting up a card verifies it with the bank: declining cards fail here.
        error = decline_error(pm, payment_method=fake.render(pm))
        changes = {
            "status": "requires_payment_method",
            "payment_method": None,
            "last_setup_error": error.body()["error"],
        }
        fake.update(intent, changes, "setup_intent.setup_failed")
        raise decline_error(pm, setup_intent=fake.render(intent))
    if intent.get("customer") and not pm.get("customer"):
        attach(fake, pm, {"customer": intent["customer"]})
    return fake.update(intent, {"status": "succeeded"}, "setup_intent.succeeded")


@hooks.action("setup_intent", "cancel")
def _cancel_setup_intent(fake: FakeStripe, intent: dict, params: dict) -> dict:
    changes = {
        "status": "canceled",
        "cancellation_reason": params.get("cancellation_reason"),
    }
    return fake.update(intent, changes, "setup_intent.canceled")


# -- refunds ------------------------------------------------------------------


@hooks.prepare("refund")
def _prepare_refund(fake: FakeStripe, refund: dict, params: dict) -> None:
    charge_id = params.get("charge")
    if params.get("payment_intent"):
        intent = fake.get("payment_intent", params["payment_intent"], "payment_intent")
        charge_id = intent.get("latest_charge")
    if not charge_id:
        raise invalid(
            "One of the following params should be provided for this request: "
            "payment_intent or charge."
        )
    charge = fake.get("charge", charge_id, "charge")
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    amount = params.get("amount") or remaining
    if charge["status"] != "succeeded" or remaining <= 0:
        raise invalid(
            f"Charge {charge_id} has already been refunded.",
            code="charge_already_refunded",
        )
    if amount > remaining:
        raise invalid(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
        )
    refund.update(
        amount=amount,
        charge=charge_id,
        currency=charge["currency"],
        payment_intent=charge.get("payment_intent"),
        status="succeeded",
        destination_details={
            "type": "card",
            "card": {"type": "refund", "reference_status": "pending"},
        },
    )


@hooks.after_create("refund")
def _after_refund(fake: FakeStripe, refund: dict, params: dict) -> None:
    bt = balance_transaction(fake, refund, -refund["amount"], "refund")
    refund["balance_transaction"] = bt["id"]
    charge = fake.get("charge", refund["charge"])
    refunded = charge["amount_refunded"] + refund["amount"]
    fake.update(
        charge,
        {
            "amount_refunded": refunded,
            "refunded": refunded >= charge["amount_captured"],
        },
        "charge.refunded",
    )


# -- disputes -----------------------------------------------------------------


def open_dispute(
    fake: FakeStripe,
    charge_id: str,
    amount: int | None = None,
    reason: str = "fraudulent",
) -> dict:
    """A customer disputes ``charge_id``: funds and a 15.00 fee are withdrawn."""
    charge = fake.get("charge", charge_id, "charge")
    amount = amount or charge["amount_captured"]
    dispute = fake.build(
        "dispute",
        {
            "amount": amount,
            "charge": charge_id,
            "currency": charge["currency"],
            "payment_intent": charge.get("payment_intent"),
            "reason": reason,
            "status": "needs_response",
            "is_charge_refundable": False,
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": (charge.get("payment_method_details") or {})
                    .get("card", {})
                    .get("brand"),
                    "network_reason_code": "10.4",
                    "case_type": "chargeback",
                },
            },
        },
    )
    dispute["evidence_details"]["due_by"] = fake.now + 7 * DAY
    fake.store(dispute)
    bt = balance_transaction(fake, dispute, -amount, "adjustment", fee=1500)
    bt["reporting_category"] = "dispute"
    dispute["balance_transactions"] = [fake.render(bt)]
    fake.emit("charge.dispute.created", dispute)
    fake.update(charge, {"disputed": True})
    return dispute


@hooks.action("dispute", "close")
def _close_dispute(fake: FakeStripe, dispute: dict, params: dict) -> dict:
    if dispute["status"] in ("won", "lost"):
        raise invalid("This dispute is already closed.")
    return fake.update(dispute, {"status": "lost"}, "charge.dispute.closed")


# -- payouts ------------------------------------------------------------------


@hooks.prepare("payout")
def _prepare_payout(fake: FakeStripe, payout: dict, params: dict) -> None:
    if not isinstance(params.get("amount"), int):
        raise invalid("Missing required param: amount.", param="amount")
    payout.update(
        arrival_date=fake.now + 2 * DAY,
        automatic=False,
        status="pending",
        source_type=params.get("source_type") or "card",
        reconciliation_status="not_applicable",
        trace_id=None,
    )


@hooks.after_create("payout")
def _after_payout(fake: FakeStripe, payout: dict, params: dict) -> None:
    payout["balance_transaction"] = balance_transaction(
        fake, payout, -payout["amount"], "payout"
    )["id"]


@hooks.action("payout", "cancel")
def _cancel_payout(fake: FakeStripe, payout: dict, params: dict) -> dict:
    if payout["status"] != "pending":
        raise invalid("Payouts can only be canceled while they are pending.")
    return fake.update(payout, {"status": "canceled"}, "payout.canceled")


def pay_payout(fake: FakeStripe, payout_id: str) -> dict:
    payout = fake.get("payout", payout_id)
    return fake.update(payout, {"status": "paid"}, "payout.paid")


# -- files --------------------------------------------------------------------


def add_file(
    fake: FakeStripe,
    purpose: str = "dispute_evidence",
    filename: str = "evidence.pdf",
    size: int = 1024,
    type: str = "pdf",
) -> dict:
    """A stored File, standing in for a multipart upload."""
    return fake.create(
        "file",
        {
            "purpose": purpose,
            "filename": filename,
            "size": size,
            "type": type,
            "title": filename,
        },
    )


@hooks.prepare("file")
def _prepare_file(fake: FakeStripe, file: dict, params: dict) -> None:
    if not params.get("purpose"):
        raise invalid("Missing required param: purpose.", param="purpose")
    upload = params.get("file")
    if isinstance(upload, dict):
        params = {**params, **upload, "title": upload["filename"]}
    elif "size" not in params:
        raise invalid("Missing required param: file.", param="file")
    file["url"] = f"https://files.stripe.com/v1/files/{file['id']}/contents"
    for key in ("filename", "size", "type", "title"):
        if key in params:
            file[key] = params[key]


@hooks.sublist("file", "links")
def _file_links(fake: FakeStripe, file: dict):
    links = sorted(
        fake.all("file_link", file=file["id"]), key=lambda r: -fake._order[r["id"]]
    )
    return links, f"/v1/file_links?file={file['id']}"


@hooks.prepare("file_link")
def _prepare_file_link(fake: FakeStripe, link: dict, params: dict) -> None:
    fake.get("file", params.get("file"), "file")
    link["url"] = f"https://files.stripe.com/links/{fake.random_token(40)}"
    link["expired"] = bool(
        params.get("expires_at") and params["expires_at"] <= fake.now
    )


# -- entitlements and tax ids -------------------------------------------------


@hooks.prepare("product_feature")
def _prepare_product_feature(fake: FakeStripe, link: dict, params: dict) -> None:
    feature_id = params.get("entitlement_feature")
    feature = fake.get("entitlements.feature", feature_id, "entitlement_feature")
    link["entitlement_feature"] = fake.render(feature)


@hooks.prepare("entitlements.feature")
def _prepare_feature(fake: FakeStripe, feature: dict, params: dict) -> None:
    for required in ("name", "lookup_key"):
        if not params.get(required):
            raise invalid(f"Missing required param: {required}.", param=required)


@hooks.prepare("tax_id")
def _prepare_tax_id(fake: FakeStripe, tax_id: dict, params: dict) -> None:
    for required in ("type", "value"):
        if not params.get(required):
            raise invalid(f"Missing required param: {required}.", param=required)
    tax_id["country"] = (
        tax_id["value"][:2].upper() if tax_id["type"] == "eu_vat" else None
    )
    tax_id["verification"] = {
        "status": "pending",
        "verified_address": None,
        "verified_name": None,
    }
    customer = tax_id.get("customer")
    tax_id["owner"] = {
        "type": "customer" if customer else "self",
        "customer": customer,
        "account": None,
        "application": None,
        "customer_account": None,
    }


@hooks.route(
    "GET",
    r"/v1/customers/(?P<id>[^/]+)/payment_methods",
    "/v1/customers/{id}/payment_methods",
)
def _customer_payment_methods(fake: FakeStripe, match, params: dict):
    customer = fake.get("customer", match["id"], "customer")
    expand = params.pop("expand", None) or []
    wanted = {k: params[k] for k in ("type", "allow_redisplay") if k in params}
    methods = [
        pm
        for pm in fake.all("payment_method", customer=customer["id"])
        if all(pm.get(k) == v for k, v in wanted.items())
    ]
    url = f"/v1/customers/{customer['id']}/payment_methods"
    return 200, fake.page(methods, params, url, expand)


@hooks.route(
    "GET",
    r"/v1/customers/(?P<customer>[^/]+)/payment_methods/(?P<id>[^/]+)",
    "/v1/customers/{id}/payment_methods/{id}",
)
def _customer_payment_method(fake: FakeStripe, match, params: dict):
    customer = fake.get("customer", match["customer"], "customer")
    pm = fake.get("payment_method", match["id"], "payment_method")
    if pm.get("customer") != customer["id"]:
        raise missing("payment_method", match["id"], "payment_method")
    return 200, fake.render(pm, params.get("expand") or [])


# -- the account itself and its balance ------------------------------------------


def platform_account(fake: FakeStripe) -> dict:
    """The account the API key belongs to (made on first use, never listed)."""
    for account in fake.all("account"):
        if account.get("_platform"):
            return account
    account = fake.build("account")
    account.update(
        _platform=True,
        type="standard",
        country="US",
        default_currency="usd",
        email="owner@example.com",
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
    )
    return fake.store(account)


@hooks.list_filter("account", "_default")
def _connected_accounts_only(fake: FakeStripe, account: dict, params: dict) -> bool:
    return not account.get("_platform")


@hooks.route("GET", r"/v1/account", "/v1/account")
def _retrieve_account(fake: FakeStripe, match, params: dict):
    """The account the request acts for: its ``Stripe-Account``, or the platform."""
    account = fake.acting_account
    obj = fake.get("account", account) if account else platform_account(fake)
    return 200, fake.render(obj, params.get("expand") or [])


@hooks.route("GET", r"/v1/balance", "/v1/balance")
def _retrieve_balance(fake: FakeStripe, match, params: dict):
    """Sums of balance transactions: available once ``available_on`` has passed."""
    available: dict[str, int] = {}
    pending: dict[str, int] = {}
    for txn in fake.all("balance_transaction"):
        bucket = available if txn["available_on"] <= fake.now else pending
        bucket[txn["currency"]] = bucket.get(txn["currency"], 0) + txn["net"]
    currencies = sorted(set(available) | set(pending) | {"usd"})

    def funds(bucket: dict) -> list[dict]:
        return [
            {
                "amount": bucket.get(c, 0),
                "currency": c,
                "source_types": {"card": bucket.get(c, 0)},
            }
            for c in currencies
        ]

    return 200, {
        "object": "balance",
        "available": funds(available),
        "pending": funds(pending),
        "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        "livemode": False,
    }


# -- older paths Stripe still documents: a charge's refunds and dispute --------


@hooks.route("POST", r"/v1/charges/(?P<id>[^/]+)/refunds", "/v1/charges/{id}/refunds")
def _create_charge_refund(fake: FakeStripe, match, params: dict):
    charge = fake.get("charge", match["id"], "charge")
    expand = params.pop("expand", None) or []
    return 200, fake.render(
        fake.create("refund", {**params, "charge": charge["id"]}), expand
    )


@hooks.route("POST", r"/v1/charges/(?P<id>[^/]+)/refund", "/v1/charges/{id}/refund")
def _refund_charge(fake: FakeStripe, match, params: dict):
    """The oldest form: refund the charge, answer with the charge."""
    charge = fake.get("charge", match["id"], "charge")
    expand = params.pop("expand", None) or []
    fake.create("refund", {**params, "charge": charge["id"]})
    return 200, fake.render(charge, expand)


def _dispute_of(fake: FakeStripe, charge_id: str) -> dict:
    charge = fake.get("charge", charge_id, "charge")
    disputes = fake.all("dispute", charge=charge["id"])
    if not disputes:
        raise FakeStripeError(
            f"No dispute for charge: {charge['id']}",
            status=404,
            code="resource_missing",
        )
    return disputes[-1]


@hooks.route("GET", r"/v1/charges/(?P<id>[^/]+)/dispute", "/v1/charges/{id}/dispute")
def _charge_dispute(fake: FakeStripe, match, params: dict):
    return 200, fake.render(_dispute_of(fake, match["id"]), params.get("expand") or [])


@hooks.route("POST", r"/v1/charges/(?P<id>[^/]+)/dispute", "/v1/charges/{id}/dispute")
def _update_charge_dispute(fake: FakeStripe, match, params: dict):
    expand = params.pop("expand", None) or []
    dispute = fake.modify(_dispute_of(fake, match["id"]), params)
    return 200, fake.render(dispute, expand)


@hooks.route(
    "POST",
    r"/v1/charges/(?P<id>[^/]+)/dispute/close",
    "/v1/charges/{id}/dispute/close",
)
def _close_charge_dispute(fake: FakeStripe, match, params: dict):
    dispute = _close_dispute(fake, _dispute_of(fake, match["id"]), params)
    return 200, fake.render(dispute, params.get("expand") or [])


@hooks.action("refund", "cancel")
def _cancel_refund(fake: FakeStripe, refund: dict, params: dict) -> dict:
    """Only a refund waiting for the customer's action can be canceled; card
    refunds in the fake succeed at once, as in Stripe's test mode."""
    if refund["status"] != "requires_action":
        raise invalid(
            f"Refund {refund['id']} cannot be canceled because it is not in the "
            "`requires_action` state.",
        )
    return fake.update(refund, {"status": "canceled"}, "refund.updated")
