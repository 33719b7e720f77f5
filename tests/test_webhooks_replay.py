"""``manage.py djstripe_process_events``: replay failed, chosen or recent events."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from djstripe import stripe_api
from djstripe.management.commands.djstripe_process_events import parse_since
from djstripe.models import Customer, Event, Product, WebhookEventTrigger
from djstripe.webhooks import handler, registry

from .conftest import stripe_fixture
from .webhook_utils import T0, ScriptedStripe, make_event, post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stripe():
    with registry.isolated(), stripe_api.use_http_client(ScriptedStripe()) as scripted:
        yield scripted


def run(*args) -> str:
    out = StringIO()
    call_command("djstripe_process_events", *args, stdout=out, stderr=out)
    return out.getvalue()


def customer_event(n, created=T0, **changes):
    obj = stripe_fixture("customer", id=f"cus_r{n}", email=f"r{n}@x.com", **changes)
    return make_event("customer.updated", obj, created)


def test_failed_deliveries_are_replayed_once_fixed(client):
    broken = True

    @handler("customer.*")
    def flaky(event, **kwargs):
        if broken:
            raise RuntimeError("down")

    events = [customer_event(1), customer_event(2)]
    for event in events:
        assert post(client, event).status_code == 500
    post(client, events[0])  # a retry by Stripe, failed again: one replay only
    product = make_event("product.created", stripe_fixture("product", id="prod_r"))
    assert post(client, product).status_code == 200
    assert not Event.objects.filter(type="customer.updated").exists()

    broken = False
    output = run("--failed")

    assert "2 event(s) to process." in output
    assert f"[1/2] {events[0]['id']} customer.updated: processed" in output
    assert "Done: 2 processed, 0 already processed, 0 refused, 0 failed." in output
    assert Customer.objects.filter(id__in=["cus_r1", "cus_r2"]).count() == 2
    assert run("--failed").startswith("0 event(s)")  # idempotent


def test_failures_are_reported_and_the_command_fails(client):
    handler("customer.updated")(lambda event, **kw: 1 / 0)
    post(client, customer_event(1))
    with pytest.raises(CommandError, match="1 event"):
        run("--failed")
    assert WebhookEventTrigger.objects.get().attempts == 2


def test_ids_and_type_filter_and_force():
    calls = []
    handler("customer.updated")(lambda event, **kw: calls.append(event.id))
    event = customer_event(1)
    Event.process(event)
    assert calls == [event["id"]]

    assert "already processed" in run("--ids", event["id"])
    assert calls == [event["id"]]
    assert "0 event(s)" in run("--ids", event["id"], "--type", "invoice.*")
    run("--ids", event["id"], "--type", "customer.*", "--force")
    assert calls == [event["id"]] * 2


def test_since_reads_the_events_api_and_applies_in_order(stripe):
    older = customer_event(1, T0 + 1, name="older")
    newer = customer_event(1, T0 + 2, name="newer")
    product = make_event("product.created", stripe_fixture("product", id="prod_s"), T0)
    # Stripe lists newest first, a page at a time.
    stripe.objects["/v1/events"] = [
        {"object": "list", "data": [newer, older], "has_more": True},
        {"object": "list", "data": [product], "has_more": False},
    ]

    output = run("--since", str(T0), "--type", "customer.*", "--type", "product.*")

    assert "3 event(s) to process." in output
    assert (
        output.index(product["id"])
        < output.index(older["id"])
        < output.index(newer["id"])
    )
    assert Customer.objects.get(id="cus_r1").name == "newer"
    assert Product.objects.filter(id="prod_s").exists()
    assert len(stripe.calls) == 2
    assert f"created[gte]={T0}" in stripe.calls[0][1]


def test_since_formats():
    assert parse_since("1767225600") == T0
    assert parse_since("2026-01-01") == T0
    assert parse_since("2026-01-01T00:00:00Z") == T0
    assert parse_since("2d") < parse_since("1h")
    with pytest.raises(CommandError):
        parse_since("last tuesday")


def test_nothing_to_do_is_an_error():
    with pytest.raises(CommandError, match="--failed, --ids or --since"):
        run()
