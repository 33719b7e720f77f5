"""The admin as an operator uses it, in a real browser: log in, find a
customer by email, follow its relations, re-sync from Stripe.

Stripe is the fake (``fake_stripe``); the demo data is made through its API
the way an application makes it, then mirrored through the engine.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from djstripe import sync

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "ada@example.com"


@pytest.fixture
def demo(fake_stripe):
    # Requested before ``browser_page``: the data is written before
    # Playwright's event loop starts in this thread.
    """A customer with a card, a monthly subscription, its paid invoice and
    charge, in the fake Stripe and mirrored."""
    client = fake_stripe.client()
    customer = client.v1.customers.create(
        params={"email": EMAIL, "name": "Ada Lovelace"}
    )
    card = client.v1.payment_methods.attach(
        "pm_card_visa", params={"customer": customer.id}
    )
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": card.id}}
    )
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro plan"},
        }
    )
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )
    objects = [
        fake_stripe.render(obj)
        for name in sync.registered()
        for obj in fake_stripe.all(name)
    ]
    sync.upsert(objects)
    User.objects.create_superuser("operator", "operator@example.com", "correct horse")
    return {"customer": customer, "subscription": subscription, "fake": fake_stripe}


def _log_in(page, live_server, screenshot):
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    page.wait_for_selector("#content")
    assert page.locator("a", has_text="Customers").count() >= 1
    screenshot(page, "1-index")


def _open_customer(page, live_server, screenshot, customer_id):
    page.goto(f"{live_server.url}/admin/djstripe/customer/")
    page.fill("#searchbar", EMAIL)
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert EMAIL in rows.first.inner_text()
    screenshot(page, "2-search")
    page.click(f"#result_list a:text('{customer_id}')")
    page.wait_for_selector(".field-id")
    assert customer_id in page.locator(".field-id").inner_text()
    assert EMAIL in page.locator(".field-email").inner_text()
    dashboard = page.locator(".field-stripe_dashboard a")
    assert dashboard.get_attribute("href").endswith(f"/test/customers/{customer_id}")
    page.click("summary:text('as Stripe sent it')")
    assert (
        '"email": "ada@example.com"' in page.locator(".djstripe-json pre").inner_text()
    )
    screenshot(page, "3-customer")


def _messages(page) -> str:
    return page.locator("ul.messagelist").inner_text()


def test_customer_charges_and_resync(demo, live_server, browser_page, screenshot):
    page = browser_page
    customer_id = demo["customer"].id
    fake = demo["fake"]
    _log_in(page, live_server, screenshot)
    _open_customer(page, live_server, screenshot, customer_id)

    # The customer's charges, through the reverse relation.
    page.click(".field-related_objects a:text('Charges')")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "$15.00 USD" in rows.first.inner_text()
    screenshot(page, "4-charges")

    # Stripe changes; re-sync the selection from the changelist.
    [charge] = fake.all("charge", customer=customer_id)
    charge["description"] = "Changed in Stripe"
    page.check("#result_list tbody input.action-select")
    page.select_option("select[name=action]", "resync_from_stripe")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    assert "Re-synced 1 charge from Stripe: 1 updated, 0 unchanged" in _messages(page)
    screenshot(page, "5-resynced")

    # The charge page, and back to its customer.
    page.click(f"#result_list a:text('{charge['id']}')")
    page.wait_for_selector(".field-description")
    assert "Changed in Stripe" in page.locator(".field-description").inner_text()
    page.click(".field-customer a")
    page.wait_for_selector(".field-email")
    assert EMAIL in page.locator(".field-email").inner_text()
    screenshot(page, "6-back-to-customer")


def _model_or_skip(object_name: str):
    model = sync.model_for(object_name)
    if model is None:
        pytest.skip(f"the {object_name} model does not exist yet")
    return model


def test_customer_subscription_invoice_and_resync(
    demo, live_server, browser_page, screenshot
):
    _model_or_skip("subscription")
    _model_or_skip("invoice")
    page = browser_page
    customer_id = demo["customer"].id
    subscription = demo["subscription"]
    fake = demo["fake"]
    _log_in(page, live_server, screenshot)
    _open_customer(page, live_server, screenshot, customer_id)

    page.click(".field-related_objects a:text('Subscriptions')")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 1
    screenshot(page, "4-subscriptions")
    page.click(f"#result_list a:text('{subscription.id}')")
    page.wait_for_selector(".field-id")
    assert subscription.id in page.locator(".field-id").inner_text()
    assert "active" in page.locator("#content").inner_text().lower()
    screenshot(page, "5-subscription")

    invoice_id = subscription.latest_invoice
    page.click(".field-latest_invoice a")
    page.wait_for_selector(".field-id")
    assert invoice_id in page.locator(".field-id").inner_text()
    assert re.search(r"\$15\.00 USD", page.locator("#content").inner_text())
    screenshot(page, "6-invoice")

    fake.get("invoice", invoice_id)["description"] = "Changed in Stripe"
    page.click("button.djstripe-resync")
    page.wait_for_selector("ul.messagelist")
    assert "Re-synced 1 invoice from Stripe: 1 updated" in _messages(page)
    assert "Changed in Stripe" in page.locator(".field-description").inner_text()
    screenshot(page, "7-invoice-resynced")
