"""What an operator sees: the index by area, changelists that fit a laptop,
object pages with the facts, webhook requests, search.

Pages are read from the demo's data (``djstripe.testing.scenarios``),
mirrored through the engine.
"""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.urls import reverse

from djstripe.admin import areas
from tests import test_admin_actions
from tests.test_admin import ADMIN_MODELS, change_url, changelist_url

pytestmark = pytest.mark.django_db

# The demo's data, mirrored, and a logged-in superuser.
demo = test_admin_actions.demo
superuser = test_admin_actions.superuser


def _model(name):
    return apps.get_model("djstripe", name)


def test_index_groups_models_by_area(superuser, client):
    body = client.get("/admin/").content.decode()
    captions = re.findall(r"<caption>\s*<a [^>]*>(Stripe · [^<]+)</a>", body)
    assert captions == [f"Stripe · {name}" for name, _ in areas.AREAS]
    settings = body.index("Stripe · Settings")
    assert body.index("API keys") > settings  # API keys no longer at the top
    assert body.index("Customers") < body.index("Stripe · Billing")


def test_every_model_has_an_area():
    assert all(areas.area_of(m._meta.model_name) != areas.OTHER for m in ADMIN_MODELS)
    named = [name for _, models in areas.AREAS for name in models]
    assert len(named) == len(set(named))


def test_app_page_and_sidebar_are_grouped_too(superuser, client):
    response = client.get("/admin/djstripe/")
    assert response.status_code == 200
    names = [app["name"] for app in response.context["app_list"]]
    assert names[0] == "Stripe · Core payments" and "Stripe · Settings" in names
    customer = client.get(changelist_url(_model("Customer"))).content.decode()
    assert "Stripe · Fraud" in customer  # the navigation sidebar


def _page(client, model_name, obj):
    model = _model(model_name)
    response = client.get(change_url(model, obj.pk))
    assert response.status_code == 200
    return response.content.decode()


def test_changelists_show_badges_symbols_and_relative_dates(demo, superuser, client):
    body = client.get(changelist_url(_model("Subscription"))).content.decode()
    assert 'class="djstripe-badge"' in body and ">Active<" in body
    assert re.search(r"(\d+\s\w+\sago|in\s\d+\s\w+)<", body)
    charges = client.get(changelist_url(_model("Charge"))).content.decode()
    assert "$50.00 USD" in charges
    assert not re.search(r"\d\.\d{3} USD", charges)  # never "4.500 USD"


def test_no_changelist_repeats_a_label_column(superuser):
    from django.contrib import admin

    for model in ADMIN_MODELS:
        shown = admin.site._registry[model].list_display
        assert "__str__" not in shown, model
        assert len(shown) <= 7, model


def test_customer_page_has_the_facts_and_bounded_tables(demo, superuser, client):
    customer = _model("Customer").objects.get(email="customer0@example.com")
    body = _page(client, "customer", customer)
    for label in ("Name", "Email", "Balance", "Currency", "Delinquent", "Address"):
        assert f"<label>{label}:</label>" in body, label
    assert "Customer 0" in body and "customer0@example.com" in body
    assert re.search(r"field-balance.*?\$[\d.]+ USD", body, re.S)
    assert 'class="djstripe-related"' in body  # subscriptions, charges, invoices


def test_related_tables_are_capped_with_a_see_all_link(demo, superuser, client):
    from djstripe.admin import pages

    Invoice = _model("Invoice")
    customer = _model("Customer").objects.get(email="customer0@example.com")
    template = Invoice.objects.filter(customer=customer).first().stripe_data
    from djstripe import sync

    sync.upsert(
        [
            {**template, "id": f"in_many{i:04d}", "number": f"MANY-{i:04d}"}
            for i in range(pages.TABLE_LIMIT + 5)
        ]
    )
    total = Invoice.objects.filter(customer=customer).count()
    body = _page(client, "customer", customer)
    assert f"See all {total} invoices" in body
    assert body.count("MANY-") == pages.TABLE_LIMIT


def test_subscription_page_shows_price_quantity_and_period(demo, superuser, client):
    subscription = _model("Subscription").objects.first()
    body = _page(client, "subscription", subscription)
    for label in ("Price", "Quantity", "Current period", "Status"):
        assert f"<label>{label}:</label>" in body, label
    item = subscription.items.first()
    assert item.current_period_start.strftime("%Y-%m-%d") in body
    assert display_price(item.price) in body


def display_price(price):
    from djstripe.admin import display

    return display.object_label(price)


def test_event_page_links_to_its_object_and_request(demo, superuser, client):
    Event = _model("Event")
    event = Event.objects.filter(type="customer.created").first()
    Trigger = _model("WebhookEventTrigger")
    trigger = Trigger.objects.create(
        headers={}, body="{}", valid=True, processed=True, event_id=event.id
    )
    body = _page(client, "event", event)
    customer_id = event.data_object["id"]
    assert f"{changelist_url(_model('Customer'))}?q={customer_id}" in body
    assert change_url(Trigger, trigger.pk) in body
    listing = client.get(changelist_url(Event), {"q": customer_id})
    assert listing.context["cl"].result_count >= 1


def _found(client, model_name, term) -> list[str]:
    response = client.get(changelist_url(_model(model_name)), {"q": term})
    assert response.status_code == 200
    return [row.id for row in response.context["cl"].result_list]


def test_search_finds_what_operators_paste(demo, superuser, client):
    Invoice = _model("Invoice")
    invoice = Invoice.objects.exclude(number="").first()
    assert _found(client, "invoice", invoice.number) == [invoice.id]
    assert invoice.id in _found(client, "invoice", invoice.id[:10])  # partial id
    customer = _model("Customer").objects.get(email="customer1@example.com")
    assert _found(client, "customer", "customer1@example.com") == [customer.id]
    assert customer.id in _found(client, "customer", "Customer 1")
    assert customer.id in _found(client, "customer", customer.id[:8])
    assert set(_found(client, "invoice", customer.id)) == set(
        Invoice.objects.filter(customer=customer).values_list("id", flat=True)
    )
    price = _model("Price").objects.select_related("product").first()
    assert price.id in _found(client, "price", price.product.name)
    subscription = _model("Subscription").objects.first()
    events = _found(client, "event", subscription.id)
    assert events and all(
        _model("Event").objects.get(id=e).data_object.get("id") == subscription.id
        or subscription.id in str(_model("Event").objects.get(id=e).data)
        for e in events
    )
    charge = _model("Charge").objects.exclude(stripe_data__receipt_number=None).first()
    if charge is not None:
        assert charge.id in _found(client, "charge", charge.receipt_number)


def test_search_for_promotion_codes_and_nicknames(fake_stripe, superuser, client):
    from djstripe import sync

    coupon = {**fake_stripe.build("coupon"), "id": "co_launch", "name": "Launch"}
    code = {
        **fake_stripe.build("promotion_code"),
        "id": "promo_1",
        "code": "SPRING25",
        "customer": None,
    }
    code["promotion"] = {"type": "coupon", "coupon": "co_launch"}
    code["coupon"] = "co_launch"
    price = {
        **fake_stripe.build("price"),
        "id": "price_nick",
        "nickname": "Gold yearly",
        "product": None,
    }
    sync.upsert([coupon, code, price])
    assert _found(client, "promotioncode", "SPRING25") == ["promo_1"]
    assert _found(client, "promotioncode", "Launch") == ["promo_1"]
    assert _found(client, "price", "gold year") == ["price_nick"]


# -- Webhook requests -------------------------------------------------------------


@pytest.fixture
def triggers(db):
    Trigger = _model("WebhookEventTrigger")
    made = [
        Trigger.objects.create(
            headers={"content-type": "application/json"},
            body=json.dumps({"id": f"evt_{i}", "object": "event"}),
            valid=i != 0,
            processed=i == 2,
            event_type="invoice.paid",
        )
        for i in range(3)
    ]
    return made


def test_webhook_requests_newest_first_with_filters(triggers, superuser, client):
    url = changelist_url(_model("WebhookEventTrigger"))
    response = client.get(url)
    rows = response.context["cl"].result_list
    assert [t.pk for t in rows] == [t.pk for t in reversed(triggers)]
    body = response.content.decode()
    assert "Received" in body and "Rejected" in body and "Processed" in body
    assert client.get(url, {"valid__exact": "0"}).context["cl"].result_count == 1
    assert client.get(url, {"processed__exact": "1"}).context["cl"].result_count == 1
    assert client.get(url, {"created__gte": "2000-01-01"}).status_code == 200


@pytest.mark.parametrize("outcome", ["fails", "refused", "succeeds"])
def test_reprocess_button_reports_each_outcome(
    triggers, superuser, client, monkeypatch, outcome
):
    from djstripe.exceptions import NotVerifiedError, ProcessingError
    from djstripe.webhooks.processing import Outcome

    Trigger = _model("WebhookEventTrigger")
    trigger = triggers[1]

    def process(self, **kwargs):
        if outcome == "refused":
            raise NotVerifiedError("the request was not verified")
        if outcome == "fails":
            raise ProcessingError("InvalidEvent: no such type")
        return Outcome("evt_1", "invoice.paid", new=True)

    monkeypatch.setattr(Trigger, "process", process)
    page = client.get(change_url(Trigger, trigger.pk)).content.decode()
    assert "Re-process" in page
    response = client.post(
        reverse("admin:djstripe_webhookeventtrigger_reprocess", args=[trigger.pk]),
        follow=True,
    )
    messages = " ".join(str(m) for m in response.context["messages"])
    if outcome == "succeeds":
        assert "Re-processed 1" in messages
    elif outcome == "refused":
        assert "Refused" in messages and "not verified" in messages
    else:
        assert "Could not re-process" in messages and "no such type" in messages
