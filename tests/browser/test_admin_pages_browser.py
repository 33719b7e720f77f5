"""Every page of the admin on the demo's data, in Chromium at 1366 px: the
index, each changelist and each object page load and fit the screen, and
each action works from the browser.

The demo account is ``djstripe.testing.scenarios.populate`` on the fake
Stripe, mirrored. With ``DJSTRIPE_DOCS_SCREENSHOTS=1`` the screenshots of
the main pages are written to ``docs/img/`` (those shown in docs/admin.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User

from djstripe import sync
from djstripe.testing import scenarios

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH = 1366
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
MODELS = [
    m
    for m in apps.get_app_config("djstripe").get_models()
    if admin.site.is_registered(m)
]


@pytest.fixture
def demo(fake_stripe):
    """The demo account, mirrored, with one webhook request and an operator."""
    scenarios.populate(fake_stripe)
    sync.upsert(
        [
            fake_stripe.render(obj)
            for name in sync.registered()
            for obj in fake_stripe.all(name)
        ]
    )
    Event = apps.get_model("djstripe", "Event")
    event = Event.objects.filter(type__startswith="invoice.").first()
    apps.get_model("djstripe", "WebhookEventTrigger").objects.create(
        remote_ip="127.0.0.1",
        headers={"content-type": "application/json", "stripe-signature": "t=1,v1=ab"},
        body=json.dumps(event.stripe_data),
        valid=True,
        processed=True,
        event_id=event.id,
        event_type=event.type,
    )
    User.objects.create_superuser("operator", "operator@example.com", "correct horse")
    return fake_stripe


@pytest.fixture
def page(browser_page):
    browser_page.set_viewport_size({"width": WIDTH, "height": 900})
    return browser_page


def _log_in(page, live_server):
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    page.wait_for_selector("#content")


def _widths(page) -> dict:
    return page.evaluate(
        """() => {
            const results = document.querySelector('.results');
            const main = document.querySelector('#content-main') || document.body;
            return {
                document: document.documentElement.scrollWidth,
                table: results ? results.scrollWidth : 0,
                tableArea: results ? results.clientWidth : 0,
                main: main.scrollWidth,
                mainArea: main.clientWidth,
            };
        }"""
    )


def _too_wide(page, url) -> list:
    """``[(url, widths)]`` if the page, its table or its content overflow."""
    w = _widths(page)
    fits = (
        w["document"] <= WIDTH
        and w["table"] <= w["tableArea"] + 1
        and w["main"] <= w["mainArea"] + 1
    )
    return [] if fits else [(url, w)]


def _assert_fits(page, url):
    assert not _too_wide(page, url)


#: The screenshots docs/admin.md shows.
DOCS_SHOTS = {
    "index",
    "customer-list",
    "subscription",
    "webhookeventtrigger",
    "confirm-cancel",
}


def _shoot(page, screenshot, name):
    screenshot(page, name)
    if name in DOCS_SHOTS and os.environ.get("DJSTRIPE_DOCS_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / f"admin-{name}.png"))


def test_every_page_loads_and_fits_1366px(demo, live_server, page, screenshot):
    _log_in(page, live_server)
    assert page.locator("caption", has_text="Stripe · Core payments").count() == 1
    _assert_fits(page, "index")
    _shoot(page, screenshot, "index")
    shown = {"customer", "subscription", "invoice", "event", "charge"}
    visited, too_wide = 0, []
    for model in MODELS:
        name = model._meta.model_name
        url = f"{live_server.url}/admin/djstripe/{name}/"
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_selector("#changelist")
        too_wide += _too_wide(page, url)
        if name in shown:
            _shoot(page, screenshot, f"{name}-list")
        first = model._base_manager.order_by("pk").first()
        if first is None:
            continue
        url = f"{live_server.url}/admin/djstripe/{name}/{first.pk}/change/"
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_selector("#content-main")
        too_wide += _too_wide(page, url)
        if name in shown or name == "webhookeventtrigger":
            _shoot(page, screenshot, name)
        visited += 1
    assert not too_wide, "\n".join(f"{url}: {w}" for url, w in too_wide)
    with_rows = [m for m in MODELS if m._base_manager.exists()]
    assert visited == len(with_rows) >= 15


def _run_action(page, live_server, model_name, action, pk):
    page.goto(f"{live_server.url}/admin/djstripe/{model_name}/")
    page.check(f"#result_list input.action-select[value='{pk}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_write_actions_from_the_browser(demo, live_server, page, screenshot):
    Subscription = apps.get_model("djstripe", "Subscription")
    Charge = apps.get_model("djstripe", "Charge")
    sub = Subscription.objects.filter(status="active").first()
    _log_in(page, live_server)

    _run_action(page, live_server, "subscription", "cancel_subscriptions", sub.pk)
    page.wait_for_selector("form input[name=token]", state="attached")
    assert sub.id in page.locator("#content").inner_text()
    page.check("input[name=when][value=period_end]")
    _assert_fits(page, "confirm")
    _shoot(page, screenshot, "confirm-cancel")
    page.click("input[type=submit].default")
    page.wait_for_selector("ul.messagelist")
    assert f"Cancel subscriptions: done for 1 ({sub.id})" in page.inner_text(
        "ul.messagelist"
    )
    sub.refresh_from_db()
    assert sub.cancel_at_period_end is True

    charge = Charge.objects.filter(
        status="succeeded", stripe_data__refunded=False
    ).first()
    _run_action(page, live_server, "charge", "refund_charges", charge.pk)
    page.wait_for_selector("form input[name=token]", state="attached")
    page.select_option("select[name=reason]", "duplicate")
    page.click("input[type=submit].default")
    page.wait_for_selector("ul.messagelist")
    assert f"Refund charges: done for 1 ({charge.id})" in page.inner_text(
        "ul.messagelist"
    )
    charge.refresh_from_db()
    assert charge.refunded is True


def test_resync_sync_all_and_reprocess_from_the_browser(
    demo, live_server, page, screenshot
):
    Invoice = apps.get_model("djstripe", "Invoice")
    LineItem = apps.get_model("djstripe", "LineItem")
    _log_in(page, live_server)

    line = LineItem.objects.first()
    _run_action(page, live_server, "lineitem", "resync_from_stripe", line.pk)
    page.wait_for_selector("ul.messagelist")
    assert "Re-synced 1 line item" in page.inner_text("ul.messagelist")

    page.goto(f"{live_server.url}/admin/djstripe/invoice/")
    page.click("button.djstripe-sync-all")
    page.wait_for_selector("ul.messagelist")
    text = page.inner_text("ul.messagelist")
    assert f"Synced all invoices from Stripe: {Invoice.objects.count()} fetched" in text

    Trigger = apps.get_model("djstripe", "WebhookEventTrigger")
    trigger = Trigger.objects.get()
    page.goto(
        f"{live_server.url}/admin/djstripe/webhookeventtrigger/{trigger.pk}/change/"
    )
    assert "stripe-signature" in page.inner_text(".field-headers_json")
    page.click("button.djstripe-reprocess")
    page.wait_for_selector("ul.messagelist")
    # The delivered event was applied already: re-processing it applies nothing.
    assert "already processed" in page.inner_text("ul.messagelist")
