"""Back-fill: cost, checkpoints and resuming, sub-lists, gap-free replay, faults."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from django.db import connection
from django.test.utils import CaptureQueriesContext

from djstripe import stripe_api, sync
from djstripe.models import Charge, Customer, Event, Product, SyncCheckpoint
from djstripe.sync.backfill import (
    backfill,
    complete_sublists,
    dependency_order,
    is_listable,
    listable_models,
    resolve_models,
    split_ranges,
)
from djstripe.sync.checkpoints import scope_for

pytestmark = pytest.mark.django_db

KEY = "sk_test_djstripe_tests"


class Tap(stripe.HTTPClient):
    """Passes requests to the fake, calling ``before(method, path, n)`` first,
    where ``n`` counts the requests to that path so far (1 for the first)."""

    name = "tap"

    def __init__(self, fake, before: Callable[[str, str, int], None]):
        super().__init__()
        self.inner = fake.http_client
        self.before = before
        self.counts: dict[str, int] = {}

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        path = urlsplit(url).path
        self.counts[path] = self.counts.get(path, 0) + 1
        self.before(method.upper(), path, self.counts[path])
        return self.inner.request(method, url, headers, post_data)

    def close(self):
        pass


def add_customers(fake, n: int, start: int = 0) -> list[dict]:
    return [
        fake.insert("customer", {"email": f"c{i}@example.com"})
        for i in range(start, start + n)
    ]


def list_requests(fake, path: str = "/v1/customers") -> list[dict]:
    return [params for method, p, params in fake.requests if p == path]


# -- Cost ------------------------------------------------------------------------


def test_backfill_then_resync_of_1000_customers_cost(fake_stripe):
    add_customers(fake_stripe, 1000)

    with (
        stripe_api.counter.counting() as requests,
        CaptureQueriesContext(connection) as queries,
    ):
        report = backfill([Customer])

    # 10 pages of 100, plus 2 event requests for the gap-free replay: the
    # newest event before, and the (empty) page of events after it.
    assert requests.by_endpoint == {"GET /v1/customers": 10, "GET /v1/events": 2}
    assert requests.total == 12
    assert len(queries) <= 60
    assert Customer.objects.count() == 1000
    stats = report.types["Customer"]
    assert (stats.fetched, stats.written, stats.unchanged, stats.errors) == (
        1000,
        1000,
        0,
        0,
    )
    assert all(p["limit"] == 100 for p in list_requests(fake_stripe))
    expand = [f"data.{field}" for field in Customer.expand_fields]
    assert all(p.get("expand") == (expand or None) for p in list_requests(fake_stripe))

    fake_stripe.advance(60)  # a later run: every row is seen again, later
    with (
        stripe_api.counter.counting() as requests,
        CaptureQueriesContext(connection) as queries,
    ):
        report = backfill([Customer])

    assert requests.by_endpoint == {"GET /v1/customers": 10, "GET /v1/events": 2}
    assert len(queries) <= 30
    stats = report.types["Customer"]
    assert (stats.fetched, stats.written, stats.unchanged) == (1000, 0, 1000)
    assert not [q for q in queries.captured_queries if "INSERT" in q["sql"]]


def test_one_upsert_per_page(fake_stripe, monkeypatch):
    add_customers(fake_stripe, 250)
    calls = []
    real = sync.upsert

    def spy(objects, **kwargs):
        calls.append((len(objects), kwargs["observed_at"]))
        return real(objects, **kwargs)

    monkeypatch.setattr(sync.engine, "upsert", spy)
    backfill([Customer], gap_free=False)
    assert [n for n, _ in calls] == [100, 100, 50]
    # Stamped with Stripe's clock (the fake's), not ours.
    assert {when.timestamp() for _, when in calls} == {fake_stripe.now}


# -- Checkpoints and resuming -------------------------------------------------------


def test_interrupted_run_resumes_after_the_last_recorded_page(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    add_customers(fake_stripe, 550)

    def fail_fourth_page(method, path, n):
        if path == "/v1/customers" and n == 4:
            fake_stripe.fail_next(1, status=500)

    with stripe_api.use_http_client(Tap(fake_stripe, fail_fourth_page)):
        first = backfill([Customer])

    assert first.types["Customer"].errors == 1
    assert first.types["Customer"].status == "error"
    assert "APIError" in first.types["Customer"].messages[0]
    assert Customer.objects.count() == 300
    checkpoint = SyncCheckpoint.objects.get(object_type="customer")
    assert (checkpoint.pages, checkpoint.done) == (3, False)

    fake_stripe.requests.clear()
    with stripe_api.counter.counting() as requests:
        second = backfill([Customer])

    # Pages 4, 5 and 6 only: the three finished pages are not fetched again.
    assert requests.by_endpoint["GET /v1/customers"] == 3
    pages = list_requests(fake_stripe)
    assert pages[0]["starting_after"] == checkpoint.cursor
    assert second.types["Customer"].status == "resumed"
    assert second.types["Customer"].fetched == 250
    assert Customer.objects.count() == 550
    checkpoint.refresh_from_db()
    assert (checkpoint.pages, checkpoint.fetched, checkpoint.done) == (6, 550, True)

    # A completed job is not resumed: the next run is a full pass again.
    with stripe_api.counter.counting() as requests:
        third = backfill([Customer])
    assert requests.by_endpoint["GET /v1/customers"] == 6
    assert third.types["Customer"].status == "done"


def test_restart_ignores_checkpoints(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    add_customers(fake_stripe, 300)
    with stripe_api.use_http_client(
        Tap(
            fake_stripe,
            lambda m, p, n: (
                fake_stripe.fail_next(1, status=500)
                if p == "/v1/customers" and n == 2
                else None
            ),
        )
    ):
        backfill([Customer], gap_free=False)
    assert SyncCheckpoint.objects.get(object_type="customer").pages == 1

    with stripe_api.counter.counting() as requests:
        report = backfill([Customer], restart=True, gap_free=False)
    assert requests.by_endpoint["GET /v1/customers"] == 3
    assert report.types["Customer"].status == "done"


def test_resume_when_the_cursor_object_was_deleted(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    customers = add_customers(fake_stripe, 100)
    fake_stripe.advance(10)
    add_customers(fake_stripe, 150, start=100)

    with stripe_api.use_http_client(
        Tap(
            fake_stripe,
            lambda m, p, n: (
                fake_stripe.fail_next(1, status=500)
                if p == "/v1/customers" and n == 2
                else None
            ),
        )
    ):
        backfill([Customer], gap_free=False)
    cursor = SyncCheckpoint.objects.get(object_type="customer").cursor
    fake_stripe.client().v1.customers.delete(cursor)

    report = backfill([Customer], gap_free=False)

    assert report.types["Customer"].errors == 0
    # Continued by time from the deleted cursor's second: nothing is missed.
    assert Customer.objects.filter(id__in=[c["id"] for c in customers]).count() == 100
    assert Customer.objects.count() == 250


def test_checkpoints_are_scoped_by_key_and_job(fake_stripe):
    add_customers(fake_stripe, 5)
    backfill([Customer], since=100, until=2_000_000_000, gap_free=False)
    backfill([Customer], api_key="sk_test_other", gap_free=False)
    rows = SyncCheckpoint.objects.filter(object_type="customer")
    assert sorted((r.scope, r.job) for r in rows) == sorted(
        [
            (scope_for(KEY), "100..2000000000"),
            (scope_for("sk_test_other"), ".."),
        ]
    )
    assert "sk_test" not in "".join(r.scope for r in rows)  # no key stored


# -- Truncated sub-lists ---------------------------------------------------------


def make_invoice(fake, lines: int) -> dict:
    client = fake.client()
    customer = client.v1.customers.create(params={"email": "lines@example.com"})
    for i in range(lines):
        client.v1.invoice_items.create(
            params={"customer": customer.id, "amount": 100 + i, "currency": "usd"}
        )
    return client.v1.invoices.create(
        params={"customer": customer.id, "pending_invoice_items_behavior": "include"}
    )


class ListStub(stripe.HTTPClient):
    """Serves one list at ``path`` with Stripe's pagination, in one order
    whether embedded in a parent or paged from its URL."""

    name = "list-stub"

    def __init__(self, path: str, items: list[dict]):
        super().__init__()
        self.path, self.items = path, items
        self.requests: list[dict] = []

    def embedded(self, size: int = 10) -> dict:
        return {
            "object": "list",
            "data": self.items[:size],
            "has_more": len(self.items) > size,
            "url": self.path,
        }

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        assert parts.path == self.path
        params = dict(parse_qsl(parts.query))
        self.requests.append(params)
        ids = [item["id"] for item in self.items]
        after = params.get("starting_after")
        start = ids.index(after) + 1 if after else 0
        limit = int(params.get("limit", 10))
        body = {
            "object": "list",
            "data": self.items[start : start + limit],
            "has_more": start + limit < len(self.items),
            "url": self.path,
        }
        return json.dumps(body), 200, {}

    def close(self):
        pass


def test_truncated_sublists_are_completed_from_their_url():
    lines = [{"id": f"il_{i:03d}", "object": "line_item"} for i in range(250)]
    stub = ListStub("/v1/invoices/in_1/lines", lines)
    invoice = {"id": "in_1", "object": "invoice", "lines": stub.embedded()}
    untouched = {
        "object": "list",
        "data": [{"id": "x"}],
        "has_more": False,
        "url": "/v",
    }
    invoice["discounts"] = untouched

    with stripe_api.use_http_client(stub):
        made = complete_sublists(
            [invoice], expand_fields=["customer", "lines.data.price"], api_key=KEY
        )

    # Listed from the start (right whatever the embedded page's order), 100
    # a page: the same 3 requests as continuing after the 10 embedded lines.
    assert made == 3
    assert invoice["lines"]["data"] == lines
    assert invoice["lines"]["has_more"] is False
    assert [r.get("starting_after") for r in stub.requests] == [
        None,
        "il_099",
        "il_199",
    ]
    assert {r["limit"] for r in stub.requests} == {"100"}
    assert {r["expand[0]"] for r in stub.requests} == {"data.price"}
    assert untouched["data"] == [{"id": "x"}]


def test_nested_sublists_inside_list_items_are_completed():
    items = [{"id": f"si_{i:02d}", "object": "subscription_item"} for i in range(12)]
    stub = ListStub("/v1/subscription_items", items)
    subscription = {"id": "sub_1", "object": "subscription", "items": stub.embedded()}
    page = [{"id": "in_1", "object": "invoice", "subscription": subscription}]
    with stripe_api.use_http_client(stub):
        assert complete_sublists(page, api_key=KEY) == 1
    assert len(subscription["items"]["data"]) == 12


def test_complete_lists_cost_nothing(fake_stripe):
    make_invoice(fake_stripe, 3)
    page = stripe_api.list_page("/v1/invoices", {"limit": 100})["data"]
    fake_stripe.requests.clear()
    assert complete_sublists(page, api_key=KEY) == 0
    assert fake_stripe.requests == []


def test_backfill_writes_complete_invoice_lines(fake_stripe):
    model = sync.model_for("invoice")
    if model is None:
        pytest.skip("Invoice is not mirrored in this build")
    invoice = make_invoice(fake_stripe, 25)
    backfill([model], gap_free=False)
    stored = model.objects.get(id=invoice.id).stripe_data["lines"]
    assert len(stored["data"]) == 25 and stored["has_more"] is False


# -- Gap-free --------------------------------------------------------------------


def test_changes_made_during_the_backfill_are_replayed(fake_stripe):
    customers = add_customers(fake_stripe, 300)  # listed newest first
    client = fake_stripe.client()
    changed = {}

    def meanwhile(method, path, n):
        if path == "/v1/customers" and n == 3:
            # Page 1 (the newest 100) is mirrored already; change one of them,
            # add a customer (it sorts before the cursor: no page will list
            # it) and delete one that page 3 would have listed.
            fake_stripe.advance(5)
            changed["updated"] = customers[-1]["id"]
            client.v1.customers.update(changed["updated"], params={"email": "new@x.io"})
            changed["new"] = client.v1.customers.create(
                params={"email": "late@x.io"}
            ).id
            changed["deleted"] = customers[0]["id"]
            client.v1.customers.delete(changed["deleted"])

    with stripe_api.use_http_client(Tap(fake_stripe, meanwhile)):
        report = backfill([Customer])

    assert report.replay.events == 3
    assert Customer.objects.get(id=changed["updated"]).email == "new@x.io"
    assert Customer.objects.get(id=changed["new"]).email == "late@x.io"
    gone = Customer.objects.filter(id=changed["deleted"]).first()
    assert gone is None or gone.date_purged is not None
    assert report.replay.cursor.id == fake_stripe.events[-1]["id"]
    assert Event.objects.count() == 3


def test_without_replay_those_changes_would_be_missed(fake_stripe):
    customers = add_customers(fake_stripe, 300)
    client = fake_stripe.client()

    def meanwhile(method, path, n):
        if path == "/v1/customers" and n == 3:
            fake_stripe.advance(5)
            client.v1.customers.update(
                customers[-1]["id"], params={"email": "new@x.io"}
            )

    with stripe_api.use_http_client(Tap(fake_stripe, meanwhile)):
        backfill([Customer], gap_free=False)
    assert Customer.objects.get(id=customers[-1]["id"]).email != "new@x.io"


def test_resumed_run_replays_from_the_first_runs_marker(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    customers = add_customers(fake_stripe, 300)
    client = fake_stripe.client()

    def fail_then_change(method, path, n):
        if path == "/v1/customers" and n == 3:
            fake_stripe.advance(5)
            client.v1.customers.update(
                customers[-1]["id"], params={"email": "new@x.io"}
            )
            fake_stripe.fail_next(1, status=500)

    with stripe_api.use_http_client(Tap(fake_stripe, fail_then_change)):
        first = backfill([Customer])
    assert first.types["Customer"].errors == 1

    second = backfill([Customer])  # a new marker would postdate the change
    assert second.replay.events == 1
    assert Customer.objects.get(id=customers[-1]["id"]).email == "new@x.io"


# -- Faults ----------------------------------------------------------------------


def test_a_type_the_key_may_not_read_is_skipped(fake_stripe, caplog):
    add_customers(fake_stripe, 3)

    with stripe_api.use_http_client(StatusTap(fake_stripe, {"/v1/products": 403})):
        report = backfill([Product, Customer])

    assert report.types["Product"].status.startswith("skipped: the key may not")
    assert report.types["Product"].errors == 0
    assert report.types["Customer"].status == "done"
    assert Customer.objects.count() == 3
    assert "Skipping Product" in caplog.text


def test_an_endpoint_the_account_lacks_is_skipped(fake_stripe):
    with stripe_api.use_http_client(StatusTap(fake_stripe, {"/v1/products": 404})):
        report = backfill([Product, Customer], gap_free=False)
    assert (
        report.types["Product"].status == "skipped: not available to this account (404)"
    )
    assert report.types["Customer"].status == "done"


def test_a_failing_type_does_not_stop_the_others(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    add_customers(fake_stripe, 3)
    with stripe_api.use_http_client(StatusTap(fake_stripe, {"/v1/charges": 500})):
        report = backfill([Charge, Customer], gap_free=False)
    assert report.types["Charge"].errors == 1
    assert report.types["Customer"].status == "done"
    assert report.errors == 1


def test_fail_fast_stops_the_run(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    add_customers(fake_stripe, 3)
    with stripe_api.use_http_client(StatusTap(fake_stripe, {"/v1/charges": 500})):
        report = backfill([Charge, Customer], fail_fast=True)
    assert report.types["Charge"].errors == 1
    assert report.types["Customer"].status == "stopped"
    assert report.replay is None
    assert Customer.objects.count() == 0


def test_rate_limits_are_retried_by_the_transport(fake_stripe, monkeypatch):
    monkeypatch.setattr(stripe_api, "_sleep", lambda seconds: None)
    add_customers(fake_stripe, 150)
    fake_stripe.fail_next(2, status=429)
    with stripe_api.counter.counting() as requests:
        report = backfill([Customer], gap_free=False)
    assert report.types["Customer"].status == "done"
    assert requests.retries == 2
    assert Customer.objects.count() == 150


class StatusTap(stripe.HTTPClient):
    """Answers requests to some paths with an error status instead of the fake."""

    name = "status-tap"

    def __init__(self, fake, statuses: dict[str, int]):
        super().__init__()
        self.inner = fake.http_client
        self.statuses = statuses
        self.answered: list[str] = []  # paths answered with an error

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        status = self.statuses.get(urlsplit(url).path)
        if status is not None:
            self.answered.append(urlsplit(url).path)
        if status is None:
            return self.inner.request(method, url, headers, post_data)
        kind = "api_error" if status >= 500 else "invalid_request_error"
        body = {"error": {"type": kind, "message": f"status {status}"}}
        return json.dumps(body), status, {}

    def close(self):
        pass


# -- Which types, in which order ---------------------------------------------------


def test_listable_models_exclude_events_and_put_targets_first():
    models = listable_models()
    assert Event not in models
    assert Customer in models and Charge in models
    assert models.index(Customer) < models.index(Charge)
    assert len(models) == len(set(models))


def test_resolve_models_by_name_label_and_object():
    assert resolve_models(["Charge", "djstripe.Customer", "product"]) == (
        dependency_order([Charge, Customer, Product])
    )
    with pytest.raises(ValueError, match="Unknown model 'Nope'"):
        resolve_models(["Nope"])
    with pytest.raises(ValueError, match="Events are not back-filled"):
        resolve_models(["Event"])


def test_listability_defaults_to_stripe_python_and_can_be_declared(monkeypatch):
    assert is_listable(Customer)
    monkeypatch.setattr(Customer, "stripe_listable", False)
    assert not is_listable(Customer)
    with pytest.raises(ValueError, match="no list endpoint"):
        resolve_models(["Customer"])


def test_list_params_declared_by_a_model_are_sent(fake_stripe, monkeypatch):
    monkeypatch.setattr(Product, "stripe_list_params", {"active": True})
    backfill([Product], gap_free=False)
    assert list_requests(fake_stripe, "/v1/products")[0]["active"] is True


def test_split_ranges():
    assert split_ranges(None, None, 4) == [(0, None)]
    assert split_ranges(100, 500, 4) == [(100, 200), (200, 300), (300, 400), (400, 500)]
    # Guessed bounds move the inner edges only: the outer ones stay open.
    assert split_ranges(None, None, 2, oldest=100, now=300) == [(0, 200), (200, None)]
    assert split_ranges(100, None, 1) == [(100, None)]


def test_since_and_until_bound_the_listing(fake_stripe):
    add_customers(fake_stripe, 2)
    start = fake_stripe.now
    fake_stripe.advance(100)
    inside = add_customers(fake_stripe, 3, start=2)
    fake_stripe.advance(100)
    add_customers(fake_stripe, 1, start=5)

    backfill([Customer], since=start + 50, until=start + 150, gap_free=False)

    assert set(Customer.objects.values_list("id", flat=True)) == {
        c["id"] for c in inside
    }
    params = list_requests(fake_stripe)[0]
    assert params["created"] == {"gte": start + 50, "lt": start + 150}
