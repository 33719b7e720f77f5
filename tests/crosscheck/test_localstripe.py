"""Cross-check the fake Stripe against localstripe, an independent fake.

Each test runs one scripted flow through ``stripe.StripeClient`` twice: against
``djstripe.testing.FakeStripe`` and against localstripe, and compares the facts
both should agree on (object types, statuses, amounts, currencies, relations
between objects, list counts), never ids or timestamps.

localstripe is GPL-licensed: it is only ever run as a separate process
(``scripts/localstripe``, bound to 127.0.0.1) and talked to over HTTP; it is
never imported.  It implements 2017-2020-era API shapes, so the flows stay
within what it supports; where it legitimately differs from today's Stripe
the difference is noted next to the fact that works around it.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import stripe

from djstripe.testing import FakeStripe

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "localstripe"
API_KEY = "sk_test_crosscheck"
READY_ATTEMPTS = 200
READY_WAIT = 0.05  # seconds per attempt, spent waiting on the process itself

# Raw test card numbers: localstripe only creates card PaymentMethods from
# card[number] (no tokens).  Both fakes know these from Stripe's test cards.
VISA = "4242424242424242"
CHARGE_FAILS = "4000000000000341"  # attaches to a customer, then declines


# -- the localstripe process ---------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=READY_WAIT):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def localstripe_url():
    if importlib.util.find_spec("localstripe") is None:
        pytest.skip("localstripe is not installed (it is in the `test` extra)")
    port = _free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(READY_ATTEMPTS):
                if _accepts(port):
                    break
                try:
                    process.wait(timeout=READY_WAIT)
                except subprocess.TimeoutExpired:
                    continue
                log.seek(0)
                output = log.read().decode(errors="replace")[-2000:]
                pytest.skip(f"localstripe exited at start-up:\n{output}")
            else:
                pytest.skip(f"localstripe did not listen on port {port} in time")
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(process)


# -- the two backends -----------------------------------------------------------


class Backend:
    """A ``StripeClient`` plus the one step the two fakes spell differently."""

    def __init__(self, name: str, client: stripe.StripeClient):
        self.name = name
        self.v1 = client.v1

    def monthly_plan(self, product: str, amount: int, currency: str) -> str:
        """A recurring monthly price; returns the id to put in ``items[][plan]``.

        localstripe predates the Prices API (2020) and only has ``/v1/plans``;
        the fake only has ``/v1/prices``.  Stripe accepts both, and a recurring
        price's id works wherever a plan id does.
        """
        if self.name == "localstripe":
            plan = self.v1.plans.create(
                {
                    "product": product,
                    "amount": amount,
                    "currency": currency,
                    "interval": "month",
                }
            )
        else:
            plan = self.v1.prices.create(
                {
                    "product": product,
                    "unit_amount": amount,
                    "currency": currency,
                    "recurring": {"interval": "month"},
                }
            )
        return plan.id


@pytest.fixture
def backends(localstripe_url):
    return [
        Backend("fake", FakeStripe(seed=0).client(API_KEY)),
        Backend(
            "localstripe",
            stripe.StripeClient(
                API_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0
            ),
        ),
    ]


def crosscheck(backends, flow) -> dict:
    """Run ``flow`` on every backend; assert they report the same facts."""
    facts = {backend.name: flow(backend) for backend in backends}
    assert facts["fake"] == facts["localstripe"]
    return facts["fake"]


# -- helpers shared by the flows -------------------------------------------------


def _id(value):
    """The id of a relation, expanded or not.

    localstripe always embeds some relations that Stripe returns as ids unless
    expanded (``payment_intent.latest_charge``, ``invoice.charge``).
    """
    return value if value is None or isinstance(value, str) else value["id"]


def _card(number: str) -> dict:
    return {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}


def _customer_with_card(backend: Backend, number: str = VISA, **fields) -> tuple:
    v1 = backend.v1
    customer = v1.customers.create({"email": "jenny@example.com", **fields})
    pm = v1.payment_methods.create(
        {
            "type": "card",
            "card": _card(number),
        }
    )
    v1.payment_methods.attach(pm.id, {"customer": customer.id})
    v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": pm.id}}
    )
    return customer, pm


# -- the flows -------------------------------------------------------------------


def test_customers_and_payment_methods(backends):
    def flow(backend: Backend) -> dict:
        v1 = backend.v1
        customer = v1.customers.create(
            {"email": "jenny@example.com", "name": "Jenny", "metadata": {"k": "v"}}
        )
        pm = v1.payment_methods.create(
            {
                "type": "card",
                "card": _card(VISA),
            }
        )
        unattached_customer = pm.customer
        attached = v1.payment_methods.attach(pm.id, {"customer": customer.id})
        updated = v1.customers.update(
            customer.id,
            {
                "invoice_settings": {"default_payment_method": pm.id},
                "metadata": {"k2": "v2"},
            },
        )
        listed = v1.payment_methods.list({"customer": customer.id, "type": "card"})
        retrieved = v1.customers.retrieve(customer.id)
        other = v1.customers.create({"email": "other@example.com"})
        deleted = v1.customers.delete(other.id)
        by_email = v1.customers.list({"email": "jenny@example.com"}).data
        return {
            "customer": (customer.object, customer.email, customer.name),
            "customer.metadata": customer.metadata.to_dict(),
            "customer.delinquent": customer.delinquent,
            "pm": (pm.object, pm.type, pm.card.last4, pm.card.exp_month),
            "pm.customer before attach": unattached_customer,
            "pm.customer after attach is customer": attached.customer == customer.id,
            # Updating metadata merges keys rather than replacing the dict.
            "updated.metadata": updated.metadata.to_dict(),
            "default pm is pm": (
                updated.invoice_settings.default_payment_method == pm.id
            ),
            "retrieved": (retrieved.object, retrieved.email),
            "customer pms": (listed.object, [p.id == pm.id for p in listed.data]),
            "deleted": (deleted.object, deleted.deleted),
            "listed by email": [c.id == customer.id for c in by_email],
        }

    facts = crosscheck(backends, flow)
    assert facts["customer pms"] == ("list", [True])
    assert facts["updated.metadata"] == {"k": "v", "k2": "v2"}


def test_payment_intents(backends):
    def flow(backend: Backend) -> dict:
        v1 = backend.v1
        customer, pm = _customer_with_card(backend)
        params = {
            "amount": 2000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": pm.id,
        }
        unconfirmed = v1.payment_intents.create(params)
        confirmed = v1.payment_intents.confirm(unconfirmed.id)
        charge = v1.charges.retrieve(_id(confirmed.latest_charge))
        manual = v1.payment_intents.create(
            {**params, "capture_method": "manual", "confirm": True}
        )
        held = v1.charges.retrieve(_id(manual.latest_charge))
        captured = v1.payment_intents.capture(manual.id)
        canceled = v1.payment_intents.cancel(v1.payment_intents.create(params).id)
        return {
            "created": (unconfirmed.object, unconfirmed.status, unconfirmed.amount),
            "created.latest_charge": unconfirmed.latest_charge,
            "confirmed": (confirmed.status, confirmed.amount, confirmed.currency),
            "confirmed.customer is customer": confirmed.customer == customer.id,
            "confirmed.payment_method is pm": confirmed.payment_method == pm.id,
            "charge": (charge.object, charge.status, charge.amount, charge.currency),
            "charge flags": (charge.paid, charge.captured, charge.refunded),
            "charge links": (
                charge.payment_intent == confirmed.id,
                charge.customer == customer.id,
                charge.payment_method == pm.id,
            ),
            "manual": (manual.status, manual.capture_method),
            "held charge": (held.status, held.paid, held.captured),
            "captured": captured.status,
            "captured charge": v1.charges.retrieve(held.id).captured,
            "canceled": canceled.status,
            "customer charges": len(v1.charges.list({"customer": customer.id}).data),
        }

    facts = crosscheck(backends, flow)
    assert facts["confirmed"] == ("succeeded", 2000, "usd")
    assert facts["held charge"] == ("succeeded", True, False)
    assert facts["canceled"] == "canceled"


def test_charges_and_refunds(backends):
    def flow(backend: Backend) -> dict:
        v1 = backend.v1
        customer, pm = _customer_with_card(backend)
        # No source: Stripe charges the customer's default payment method.
        charge = v1.charges.create(
            {"amount": 5000, "currency": "eur", "customer": customer.id}
        )
        partial = v1.refunds.create({"charge": charge.id, "amount": 1200})
        after_partial = v1.charges.retrieve(charge.id)
        # Stripe refunds what is left when no amount is given; localstripe
        # refunds the whole charge again (a bug): name the amount.
        rest = v1.refunds.create({"charge": charge.id, "amount": 3800})
        after_full = v1.charges.retrieve(charge.id)
        intent = v1.payment_intents.create(
            {
                "amount": 700,
                "currency": "eur",
                "customer": customer.id,
                "payment_method": pm.id,
                "confirm": True,
            }
        )
        by_intent = v1.refunds.create({"payment_intent": intent.id})
        return {
            "charge": (charge.object, charge.status, charge.amount, charge.currency),
            "charge links": (
                charge.customer == customer.id,
                charge.payment_method == pm.id,
            ),
            "partial": (partial.object, partial.status, partial.amount),
            "partial.currency": partial.currency,
            "partial.charge is charge": partial.charge == charge.id,
            "after partial": (after_partial.amount_refunded, after_partial.refunded),
            "rest": (rest.status, rest.amount),
            "after full": (after_full.amount_refunded, after_full.refunded),
            "charge refunds": len(v1.refunds.list({"charge": charge.id}).data),
            "by intent": (by_intent.status, by_intent.amount),
            "by intent.charge": by_intent.charge == _id(intent.latest_charge),
        }

    facts = crosscheck(backends, flow)
    assert facts["after partial"] == (1200, False)
    assert facts["after full"] == (5000, True)
    assert facts["charge refunds"] == 2


def test_declined_card(backends):
    def flow(backend: Backend) -> dict:
        v1 = backend.v1
        customer, pm = _customer_with_card(backend, CHARGE_FAILS)
        with pytest.raises(stripe.CardError) as declined:
            v1.payment_intents.create(
                {
                    "amount": 1500,
                    "currency": "usd",
                    "customer": customer.id,
                    "payment_method": pm.id,
                    "confirm": True,
                }
            )
        charges = v1.charges.list({"customer": customer.id}).data
        return {
            # localstripe labels every error `invalid_request_error`; Stripe
            # (and the fake) use `card_error` for declines: compare the code.
            "error": (declined.value.http_status, declined.value.code),
            "failed charges": [(c.status, c.paid, c.amount) for c in charges],
        }

    facts = crosscheck(backends, flow)
    assert facts["error"] == (402, "card_declined")
    assert facts["failed charges"] == [("failed", False, 1500)]


def _payments(v1, customer) -> list:
    """The customer's charges, each with its PaymentIntent's status.

    Today's Stripe links an invoice to its payments through InvoicePayment
    objects (``/v1/invoice_payments``); localstripe predates them and puts
    ``charge`` and ``payment_intent`` on the invoice.  Both list the charges
    by customer, so the flows reach the payment from there.
    """
    charges = v1.charges.list({"customer": customer.id}).data
    return [
        (
            c.status,
            c.amount,
            c.currency,
            c.paid,
            v1.payment_intents.retrieve(_id(c.payment_intent)).status,
        )
        for c in charges
    ]


def test_subscriptions_and_invoices(backends):
    def flow(backend: Backend) -> dict:
        v1 = backend.v1
        customer, pm = _customer_with_card(backend)
        product = v1.products.create({"name": "Pro"})
        plan_id = backend.monthly_plan(product.id, 900, "usd")
        sub = v1.subscriptions.create(
            {"customer": customer.id, "items": [{"plan": plan_id}]}
        )
        item = sub["items"].data[0]
        invoice = v1.invoices.retrieve(_id(sub.latest_invoice))
        parent = invoice.parent
        listed = v1.subscriptions.list({"customer": customer.id}).data
        invoices = v1.invoices.list({"customer": customer.id}).data
        canceled = v1.subscriptions.cancel(sub.id)
        return {
            "product": (product.object, product.name, product.active),
            "sub": (sub.object, sub.status, sub.cancel_at_period_end),
            "sub.customer is customer": sub.customer == customer.id,
            "item": (item.object, item.quantity),
            "item.plan": (
                item.plan.object,
                item.plan.amount,
                item.plan.currency,
                item.plan.interval,
                item.plan.interval_count,
                item.plan.product == product.id,
            ),
            "invoice": (invoice.object, invoice.status, invoice.currency),
            "invoice amounts": (
                invoice.subtotal,
                invoice.total,
                invoice.amount_due,
                invoice.amount_paid,
            ),
            "invoice.customer is customer": invoice.customer == customer.id,
            "invoice.parent": (
                parent.type,
                parent.subscription_details.subscription == sub.id,
            ),
            "lines": [
                (li.object, li.amount, li.currency, li.quantity)
                for li in invoice.lines.data
            ],
            "payments": _payments(v1, customer),
            "customer subscriptions": len(listed),
            "customer invoices": len(invoices),
            "canceled": canceled.status,
            "after cancel": len(v1.subscriptions.list({"customer": customer.id}).data),
        }

    facts = crosscheck(backends, flow)
    assert facts["sub"] == ("subscription", "active", False)
    assert facts["invoice amounts"] == (900, 900, 900, 900)
    assert facts["payments"] == [("succeeded", 900, "usd", True, "succeeded")]
    assert facts["after cancel"] == 0


def _subscribe(backend: Backend, customer, amount: int = 900):
    product = backend.v1.products.create({"name": "Pro"})
    plan_id = backend.monthly_plan(product.id, amount, "usd")
    return backend.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"plan": plan_id}]}
    )


def test_pending_invoice_item_joins_first_invoice(backends):
    # localstripe cannot invoice a customer without a subscription (POST
    # /v1/invoices answers "No upcoming invoices"), so pending invoice items
    # are checked through the subscription's first invoice, which Stripe
    # bills them on.
    def flow(backend: Backend) -> dict:
        v1 = backend.v1
        customer, _ = _customer_with_card(backend)
        item = v1.invoice_items.create(
            {"customer": customer.id, "amount": 2500, "currency": "usd"}
        )
        sub = _subscribe(backend, customer)
        invoice = v1.invoices.retrieve(_id(sub.latest_invoice))
        item_after = v1.invoice_items.retrieve(item.id)
        return {
            "item": (item.object, item.amount, item.currency, item.invoice),
            "item.invoice is invoice": item_after.invoice == invoice.id,
            "sub": sub.status,
            "invoice": (invoice.status, invoice.total, invoice.amount_paid),
            "lines": sorted(li.amount for li in invoice.lines.data),
            "payments": _payments(v1, customer),
        }

    facts = crosscheck(backends, flow)
    assert facts["invoice"] == ("paid", 3400, 3400)
    assert facts["lines"] == [900, 2500]


def test_failed_first_payment_then_pay(backends):
    def flow(backend: Backend) -> dict:
        v1 = backend.v1
        customer, _ = _customer_with_card(backend, CHARGE_FAILS)
        sub = _subscribe(backend, customer)
        invoice = v1.invoices.retrieve(_id(sub.latest_invoice))
        new_card = v1.payment_methods.create({"type": "card", "card": _card(VISA)})
        v1.payment_methods.attach(new_card.id, {"customer": customer.id})
        v1.customers.update(
            customer.id, {"invoice_settings": {"default_payment_method": new_card.id}}
        )
        paid = v1.invoices.pay(invoice.id)
        charges = v1.charges.list({"customer": customer.id}).data
        return {
            "sub": sub.status,
            "invoice": (invoice.status, invoice.amount_due, invoice.amount_paid),
            "paid": (paid.status, paid.amount_due, paid.amount_paid),
            "sub after pay": v1.subscriptions.retrieve(sub.id).status,
            # localstripe lists charges oldest first, Stripe newest first.
            "charges": sorted((c.status, c.amount, c.paid) for c in charges),
        }

    facts = crosscheck(backends, flow)
    assert facts["sub"] == "incomplete"
    assert facts["invoice"] == ("open", 900, 0)
    assert facts["sub after pay"] == "active"
    assert facts["charges"] == [("failed", 900, False), ("succeeded", 900, True)]


def test_errors(backends, localstripe_url):
    def flow(backend: Backend) -> dict:
        with pytest.raises(stripe.InvalidRequestError) as missing:
            backend.v1.customers.retrieve("cus_doesnotexist")
        # localstripe's errors carry no `code` (Stripe's is resource_missing).
        return {"unknown id": (missing.value.http_status, type(missing.value))}

    assert crosscheck(backends, flow) == {
        "unknown id": (404, stripe.InvalidRequestError)
    }
    bad_key = {
        "fake": FakeStripe().client("not_a_secret_key"),
        "localstripe": stripe.StripeClient(
            "not_a_secret_key", base_addresses={"api": localstripe_url}
        ),
    }
    for client in bad_key.values():
        with pytest.raises(stripe.AuthenticationError):
            client.v1.customers.list()


def test_declined_card_cannot_be_attached(backends):
    def flow(backend: Backend) -> dict:
        v1 = backend.v1
        customer = v1.customers.create({"email": "jenny@example.com"})
        pm = v1.payment_methods.create(
            {"type": "card", "card": _card("4000000000000002")}
        )
        try:
            v1.payment_methods.attach(pm.id, {"customer": customer.id})
        except stripe.CardError as error:
            return {"attach": (error.http_status, error.code)}
        return {"attach": "attached"}

    assert crosscheck(backends, flow) == {"attach": (402, "card_declined")}
