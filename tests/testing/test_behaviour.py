import pytest
import stripe

DAY = 86_400


def types(fake, since=0):
    return [e["type"] for e in fake.events[since:]]


@pytest.fixture
def monthly(client):
    product = client.v1.products.create(
        params={
            "name": "Pro",
            "default_price_data": {
                "currency": "usd",
                "unit_amount": 2000,
                "recurring": {"interval": "month"},
            },
        }
    )
    return client.v1.prices.retrieve(product.default_price)


def customer_with(client, card="pm_card_visa"):
    customer = client.v1.customers.create(params={"email": "c@example.com"})
    pm = client.v1.payment_methods.attach(card, params={"customer": customer.id})
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    return customer, pm


def test_product_default_price_data(client, monthly):
    assert monthly.type == "recurring"
    assert str(monthly.unit_amount_decimal) == "2000"
    assert client.v1.products.retrieve(monthly.product).default_price == monthly.id


def test_attach_and_detach_payment_method(client, fake):
    customer, pm = customer_with(client)
    assert pm.customer == customer.id and pm.card.last4 == "4242"
    detached = client.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    refreshed = client.v1.customers.retrieve(customer.id)
    assert refreshed.invoice_settings.default_payment_method is None
    assert "payment_method.attached" in types(fake)
    assert "payment_method.detached" in types(fake)


def test_payment_intent_confirm_creates_charge_and_fee(client, fake):
    intent = client.v1.payment_intents.create(
        params={"amount": 10000, "currency": "usd"}
    )
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(intent.id + "_secret_")
    since = len(fake.events)
    intent = client.v1.payment_intents.confirm(
        intent.id, params={"payment_method": "pm_card_visa"}
    )
    assert intent.status == "succeeded" and intent.amount_received == 10000
    charge = client.v1.charges.retrieve(
        intent.latest_charge, params={"expand": ["balance_transaction"]}
    )
    assert charge.paid and charge.captured and charge.amount_captured == 10000
    assert charge.balance_transaction.fee == 320  # 2.9% + 30
    assert charge.balance_transaction.net == 9680
    assert types(fake, since) == [
        "charge.succeeded",
        "payment_intent.succeeded",
    ]


def test_declined_card_is_a_card_error(client, fake):
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_intents.create(
            params={
                "amount": 500,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
            }
        )
    assert exc.value.code == "card_declined"
    intent = fake.all("payment_intent")[0]
    assert intent["status"] == "requires_payment_method"
    assert fake.get("charge", intent["latest_charge"])["status"] == "failed"
    assert "payment_intent.payment_failed" in types(fake)


def test_manual_capture_and_cancel(client):
    intent = client.v1.payment_intents.create(
        params={
            "amount": 800,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "capture_method": "manual",
            "confirm": True,
        }
    )
    assert intent.status == "requires_capture"
    assert client.v1.charges.retrieve(intent.latest_charge).balance_transaction is None
    captured = client.v1.payment_intents.capture(intent.id)
    assert captured.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.cancel(intent.id)
    other = client.v1.payment_intents.create(params={"amount": 800, "currency": "usd"})
    assert client.v1.payment_intents.cancel(other.id).status == "canceled"


def test_legacy_charge_with_token_and_capture(client):
    charge = client.v1.charges.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "source": "tok_visa",
            "capture": False,
        }
    )
    assert charge.captured is False
    assert client.v1.charges.capture(charge.id).captured is True


def test_refunds_update_the_charge(client, fake):
    charge = client.v1.charges.create(
        params={"amount": 1000, "currency": "usd", "source": "tok_visa"}
    )
    client.v1.refunds.create(params={"charge": charge.id, "amount": 400})
    partial = client.v1.charges.retrieve(charge.id)
    assert (partial.amount_refunded, partial.refunded) == (400, False)
    client.v1.refunds.create(params={"charge": charge.id})
    full = client.v1.charges.retrieve(charge.id)
    assert (full.amount_refunded, full.refunded) == (1000, True)
    assert [r.amount for r in full.refunds.data] == [600, 400]
    assert types(fake).count("charge.refunded") == 2
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"charge": charge.id})


def test_dispute(client, fake):
    charge = client.v1.charges.create(
        params={"amount": 1000, "currency": "usd", "source": "tok_visa"}
    )
    dispute = fake.open_dispute(charge.id)
    assert dispute["status"] == "needs_response" and dispute["amount"] == 1000
    assert client.v1.charges.retrieve(charge.id).disputed is True
    assert "charge.dispute.created" in types(fake)
    assert client.v1.disputes.close(dispute["id"]).status == "lost"


def test_subscription_bills_first_period(client, fake, monthly):
    customer, _ = customer_with(client)
    since = len(fake.events)
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": monthly.id, "quantity": 2}],
        }
    )
    assert sub.status == "active"
    item = sub["items"].data[0]
    assert item.quantity == 2 and item.price.id == monthly.id
    assert item.current_period_end - item.current_period_start == 31 * DAY
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid",
        4000,
        "subscription_create",
    )
    assert invoice.lines.data[0].amount == 4000
    assert invoice.parent.subscription_details.subscription == sub.id
    assert types(fake, since) == [
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    created, invoice_created = fake.events[since], fake.events[since + 1]
    assert created["data"]["object"]["items"]["data"][0]["quantity"] == 2
    assert invoice_created["data"]["object"]["amount_due"] == 4000
    assert fake.events[-1]["data"]["previous_attributes"]["status"] == "incomplete"


def test_subscription_without_payment_is_incomplete(client, monthly):
    customer = client.v1.customers.create()
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    assert sub.status == "incomplete"
    assert client.v1.invoices.retrieve(sub.latest_invoice).status == "open"


def test_trial_then_renewal_and_decline_makes_past_due(client, fake, monthly):
    customer, _ = customer_with(client, "pm_card_chargeCustomerFail")
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": monthly.id}],
            "trial_period_days": 14,
        }
    )
    assert sub.status == "trialing" and sub.trial_end == fake.now + 14 * DAY
    assert client.v1.invoices.retrieve(sub.latest_invoice).amount_due == 0

    invoices = fake.advance_subscriptions(to=fake.now + 15 * DAY)
    assert len(invoices) == 1 and invoices[0]["status"] == "open"
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    assert "invoice.payment_failed" in types(fake)


def test_renewals_move_the_period_forward(client, fake, monthly):
    customer, _ = customer_with(client)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    first_end = sub["items"].data[0].current_period_end
    invoices = fake.advance_subscriptions(to=first_end + 40 * DAY)
    assert [i["billing_reason"] for i in invoices] == ["subscription_cycle"] * 2
    assert all(i["status"] == "paid" for i in invoices)
    item = client.v1.subscriptions.retrieve(sub.id)["items"].data[0]
    assert item.current_period_start > first_end
    assert fake.now == first_end + 40 * DAY


def test_update_quantity_swap_price_and_cancel(client, fake, monthly):
    customer, _ = customer_with(client)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    item_id = sub["items"].data[0].id
    yearly = client.v1.prices.create(
        params={
            "product": monthly.product,
            "currency": "usd",
            "unit_amount": 20000,
            "recurring": {"interval": "year"},
        }
    )
    updated = client.v1.subscriptions.update(
        sub.id, params={"items": [{"id": item_id, "price": yearly.id, "quantity": 3}]}
    )
    item = updated["items"].data[0]
    assert (item.price.id, item.quantity) == (yearly.id, 3)
    event = fake.events[-1]
    assert event["type"] == "customer.subscription.updated"
    assert "items" in event["data"]["previous_attributes"]

    ending = client.v1.subscriptions.update(
        sub.id, params={"cancel_at_period_end": True}
    )
    assert ending.cancel_at_period_end is True and ending.cancel_at
    fake.advance_subscriptions(to=ending.cancel_at)
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert "customer.subscription.deleted" in types(fake)


def test_cancel_now_and_list_hides_canceled(client, monthly):
    customer, _ = customer_with(client)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    canceled = client.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled" and canceled.object == "subscription"
    assert client.v1.subscriptions.list().data == []
    assert len(client.v1.subscriptions.list(params={"status": "all"}).data) == 1
    assert (
        len(
            client.v1.subscriptions.list(
                params={"price": monthly.id, "status": "canceled"}
            ).data
        )
        == 1
    )


def test_promotion_code_discounts_the_invoice(client, monthly):
    customer, _ = customer_with(client)
    coupon = client.v1.coupons.create(params={"percent_off": 25, "duration": "forever"})
    promo = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SAVE25"}
    )
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": monthly.id}],
            "discounts": [{"promotion_code": promo.id}],
            "expand": ["discounts", "latest_invoice"],
        }
    )
    assert sub.discounts[0].source.coupon == coupon.id
    assert sub.discounts[0].promotion_code == promo.id
    assert sub.latest_invoice.amount_paid == 1500
    assert sub.latest_invoice.total_discount_amounts[0].amount == 500
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


def test_coupon_and_promotion_code_on_customer_update(fake):
    # Stripe took ``coupon`` and ``promotion_code`` on customers in older API
    # versions (the 2023 spec) but not in stripe-python 16's: a request that
    # pins an older version still may.
    client = fake.client(stripe_version="2024-06-20")
    customer = client.v1.customers.create(params={"email": "c@example.com"})
    coupon = client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        fake.client().v1.customers.update(customer.id, params={"coupon": coupon.id})
    assert err.value.code == "parameter_unknown"
    since = len(fake.events)
    updated = client.v1.customers.update(customer.id, params={"coupon": coupon.id})
    assert updated.discount.source.coupon == coupon.id
    assert updated.discount.customer == customer.id
    assert types(fake, since) == ["customer.discount.created", "customer.updated"]
    assert fake.events[-1]["data"]["previous_attributes"] == {"discount": None}

    other = client.v1.coupons.create(params={"amount_off": 500, "currency": "usd"})
    promo = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": other.id}}
    )
    since = len(fake.events)
    updated = client.v1.customers.update(
        customer.id, params={"promotion_code": promo.id}
    )
    assert updated.discount.source.coupon == other.id
    assert updated.discount.promotion_code == promo.id
    assert types(fake, since) == ["customer.discount.updated", "customer.updated"]
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1


def test_invoice_lifecycle_with_invoice_items(client, fake):
    customer, _ = customer_with(client)
    client.v1.invoice_items.create(
        params={"customer": customer.id, "amount": 700, "currency": "usd"}
    )
    assert len(client.v1.invoice_items.list(params={"pending": True}).data) == 1
    invoice = client.v1.invoices.create(
        params={"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )
    assert (invoice.status, invoice.amount_due) == ("draft", 700)
    client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "amount": 300,
            "currency": "usd",
            "invoice": invoice.id,
        }
    )
    assert client.v1.invoices.retrieve(invoice.id).amount_due == 1000
    assert len(client.v1.invoices.line_items.list(invoice.id).data) == 2
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.status == "open" and finalized.number
    paid = client.v1.invoices.pay(invoice.id)
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 1000, 0)

    other = client.v1.invoices.create(params={"customer": customer.id})
    client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "amount": 50,
            "currency": "usd",
            "invoice": other.id,
        }
    )
    client.v1.invoices.finalize_invoice(other.id)
    assert client.v1.invoices.void_invoice(other.id).status == "void"
    assert "invoice.voided" in types(fake)
    draft = client.v1.invoices.create(params={"customer": customer.id})
    assert client.v1.invoices.delete(draft.id).deleted is True


def test_invoice_preview_is_not_stored(client, fake, monthly):
    customer, _ = customer_with(client)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    stored = len(fake.all("invoice"))
    preview = client.v1.invoices.create_preview(params={"subscription": sub.id})
    assert preview.amount_due == 2000
    assert preview.lines.data[0].period.start == sub["items"].data[0].current_period_end
    assert preview.id.startswith("upcoming_in_")
    bigger = client.v1.invoices.create_preview(
        params={
            "subscription": sub.id,
            "subscription_details": {
                "items": [{"id": sub["items"].data[0].id, "quantity": 3}]
            },
        }
    )
    assert bigger.amount_due == 6000
    assert len(fake.all("invoice")) == stored
    from .conftest import call

    status, upcoming, _ = call(
        fake, "GET", f"/v1/invoices/upcoming?customer={customer.id}"
    )
    assert status == 200 and upcoming["amount_due"] == 2000 and "id" not in upcoming
    lonely = client.v1.customers.create()
    status, body, _ = call(fake, "GET", f"/v1/invoices/upcoming?customer={lonely.id}")
    assert status == 404


def test_checkout_payment_mode(client, fake, monthly):
    one_time = client.v1.prices.create(
        params={"product": monthly.product, "currency": "usd", "unit_amount": 500}
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [{"price": one_time.id, "quantity": 3}],
            "success_url": "https://example.com/ok",
            "customer_creation": "always",
        }
    )
    assert (session.status, session.amount_total, session.payment_intent) == (
        "open",
        1500,
        None,
    )
    done = fake.complete_checkout_session(session.id)
    assert (done["status"], done["payment_status"]) == ("complete", "paid")
    intent = client.v1.payment_intents.retrieve(done["payment_intent"])
    assert intent.status == "succeeded" and intent.customer == done["customer"]
    assert types(fake)[-1] == "checkout.session.completed"


def test_checkout_subscription_and_setup_modes(client, fake, monthly):
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": monthly.id, "quantity": 1}],
            "success_url": "https://example.com/ok",
            "customer_email": "new@example.com",
            "subscription_data": {"trial_period_days": 7},
        }
    )
    done = fake.complete_checkout_session(session.id)
    sub = client.v1.subscriptions.retrieve(done["subscription"])
    assert sub.status == "trialing" and sub.customer == done["customer"]
    assert client.v1.customers.retrieve(done["customer"]).email == "new@example.com"
    assert done["payment_status"] == "no_payment_required"

    setup = client.v1.checkout.sessions.create(
        params={"mode": "setup", "currency": "usd", "customer": done["customer"]}
    )
    completed = fake.complete_checkout_session(setup.id)
    assert (
        client.v1.setup_intents.retrieve(completed["setup_intent"]).status
        == "succeeded"
    )


def test_checkout_expire(client, fake, monthly):
    session = client.v1.checkout.sessions.create(
        params={"mode": "subscription", "line_items": [{"price": monthly.id}]}
    )
    assert client.v1.checkout.sessions.expire(session.id).status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)
    other = client.v1.checkout.sessions.create(
        params={"mode": "subscription", "line_items": [{"price": monthly.id}]}
    )
    assert fake.expire_checkout_session(other.id)["status"] == "expired"
    assert types(fake).count("checkout.session.expired") == 2


def test_payouts_files_and_file_links(client, fake):
    payout = client.v1.payouts.create(params={"amount": 5000, "currency": "usd"})
    assert payout.status == "pending"
    assert fake.pay_payout(payout.id)["status"] == "paid"
    file = fake.add_file(purpose="dispute_evidence", filename="receipt.pdf")
    link = client.v1.file_links.create(params={"file": file["id"]})
    assert link.url.startswith("https://files.stripe.com/links/")
    assert client.v1.files.retrieve(file["id"]).links.data[0].id == link.id


def test_entitlement_features_on_products(client, monthly):
    feature = client.v1.entitlements.features.create(
        params={"name": "API access", "lookup_key": "api"}
    )
    attached = client.v1.products.features.create(
        monthly.product, params={"entitlement_feature": feature.id}
    )
    listed = client.v1.products.features.list(monthly.product).data
    assert [f.id for f in listed] == [attached.id]
    assert listed[0].entitlement_feature.lookup_key == "api"
    client.v1.products.features.delete(monthly.product, attached.id)
    assert client.v1.products.features.list(monthly.product).data == []


def test_multipart_file_upload(client, fake):
    import io

    uploaded = client.v1.files.create(
        params={"purpose": "dispute_evidence", "file": io.BytesIO(b"%PDF-1.4 evidence")}
    )
    assert uploaded.id.startswith("file_")
    assert (uploaded.purpose, uploaded.size) == ("dispute_evidence", 17)
    assert (
        client.v1.files.list(params={"purpose": "dispute_evidence"}).data[0].id
        == uploaded.id
    )


def test_customer_payment_methods_endpoint(client):
    customer, pm = customer_with(client)
    listed = client.v1.customers.payment_methods.list(
        customer.id, params={"type": "card"}
    )
    assert [m.id for m in listed.data] == [pm.id]


def test_account_and_balance(client, fake):
    account = client.v1.accounts.retrieve_current()
    assert account.id.startswith("acct_") and account.charges_enabled is True
    connected = client.v1.accounts.create(params={"type": "express"})
    assert [a.id for a in client.v1.accounts.list().data] == [connected.id]

    client.v1.charges.create(
        params={"amount": 10000, "currency": "usd", "source": "tok_visa"}
    )
    balance = client.v1.balance.retrieve()
    assert balance.pending[0].amount == 9680 and balance.available[0].amount == 0
    fake.advance(3 * DAY)
    assert client.v1.balance.retrieve().available[0].amount == 9680


def test_deleting_a_customer_cancels_subscriptions(client, fake, monthly):
    customer, _ = customer_with(client)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    client.v1.customers.delete(customer.id)
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert types(fake)[-2:] == ["customer.subscription.deleted", "customer.deleted"]


def test_unknown_parameter_on_special_create_routes(fake):
    from .conftest import call

    for path in ("/v1/charges", "/v1/invoices", "/v1/webhook_endpoints"):
        status, body, _ = call(fake, "POST", path, "bogus=1")
        assert (status, body["error"]["param"]) == (400, "bogus"), path


# -- found by the localstripe cross-check (tests/crosscheck) -------------------


def test_subscription_items_accept_a_legacy_plan_id(client, monthly):
    customer, _ = customer_with(client)
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"plan": monthly.id}]}
    )
    item = sub["items"].data[0]
    assert sub.status == "active"
    assert (item.price.id, item.plan.id) == (monthly.id, monthly.id)


def test_charge_customer_fail_card_attaches_then_declines(client):
    customer, pm = customer_with(client, "pm_card_chargeCustomerFail")
    assert pm.customer == customer.id and pm.card.last4 == "0341"
    by_number = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4000000000000341"}}
    )
    assert by_number.card.last4 == "0341"
    with pytest.raises(stripe.CardError) as declined:
        client.v1.charges.create(
            params={"amount": 1000, "currency": "usd", "customer": customer.id}
        )
    assert declined.value.code == "card_declined"


@pytest.mark.parametrize(
    "card, code, decline_code",
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
        ("4000000000000002", "card_declined", "generic_decline"),
        ("4000000000009995", "card_declined", "insufficient_funds"),
        ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card"),
        ("pm_card_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ],
)
def test_declining_cards_cannot_be_attached(client, fake, card, code, decline_code):
    customer = client.v1.customers.create(params={"email": "c@example.com"})
    if card.isdigit():
        card = client.v1.payment_methods.create(
            params={"type": "card", "card": {"number": card}}
        ).id
    since = len(fake.events)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_methods.attach(card, params={"customer": customer.id})
    assert declined.value.http_status == 402
    assert (declined.value.code, declined.value.error.decline_code) == (
        code,
        decline_code,
    )
    assert fake.all("payment_method", customer=customer.id) == []
    assert types(fake, since) == []


def test_customer_create_with_a_declining_card_creates_nothing(client, fake):
    with pytest.raises(stripe.CardError):
        client.v1.customers.create(params={"payment_method": "pm_card_chargeDeclined"})
    assert fake.all("customer") == []
    assert "customer.created" not in types(fake)


def test_setup_intent_with_a_declining_card_fails(client, fake):
    customer = client.v1.customers.create(params={"email": "c@example.com"})
    with pytest.raises(stripe.CardError) as declined:
        client.v1.setup_intents.create(
            params={
                "customer": customer.id,
                "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                "confirm": True,
            }
        )
    assert declined.value.error.decline_code == "insufficient_funds"
    (intent,) = fake.all("setup_intent")
    assert intent["status"] == "requires_payment_method"
    assert intent["last_setup_error"]["decline_code"] == "insufficient_funds"
    assert types(fake)[-1] == "setup_intent.setup_failed"
    assert fake.all("payment_method", customer=customer.id) == []


def test_a_declining_token_still_declines_a_one_off_charge(client, fake):
    with pytest.raises(stripe.CardError) as declined:
        client.v1.charges.create(
            params={"amount": 1000, "currency": "usd", "source": "tok_chargeDeclined"}
        )
    (charge,) = fake.all("charge")
    assert declined.value.error.charge == charge["id"]
    assert charge["outcome"]["reason"] == "generic_decline"


def _switch_to_visa(client, customer):
    pm = client.v1.payment_methods.attach(
        "pm_card_visa", params={"customer": customer.id}
    )
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )


def test_paying_first_invoice_activates_incomplete_subscription(client, fake, monthly):
    customer, _ = customer_with(client, "pm_card_chargeCustomerFail")
    sub = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": monthly.id}]}
    )
    assert sub.status == "incomplete"
    _switch_to_visa(client, customer)
    assert client.v1.invoices.pay(sub.latest_invoice).status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    event = fake.events[-1]
    assert event["type"] == "customer.subscription.updated"
    assert event["data"]["previous_attributes"]["status"] == "incomplete"


def test_paying_failed_renewal_reactivates_past_due_subscription(client, fake, monthly):
    customer, _ = customer_with(client, "pm_card_chargeCustomerFail")
    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": monthly.id}],
            "trial_period_days": 7,
        }
    )
    first_invoice = sub.latest_invoice
    (renewal,) = fake.advance_subscriptions(to=fake.now + 8 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    _switch_to_visa(client, customer)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(first_invoice)  # the trial's invoice: paid already
    client.v1.invoices.pay(renewal["id"])
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_charge_succeeded_shows_the_captured_charge_with_its_transaction():
    from djstripe.testing import FakeStripe

    fake = FakeStripe(seed=3)
    fake.client().v1.charges.create(
        {"amount": 1200, "currency": "usd", "source": "tok_visa"}
    )
    [event] = [e for e in fake.events if e["type"] == "charge.succeeded"]
    charge = event["data"]["object"]
    assert charge["captured"] is True and charge["balance_transaction"]
