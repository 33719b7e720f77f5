"""``--verify``: the mirror compared with Stripe, without writing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from djstripe import sync
from djstripe.models import Customer, Product
from djstripe.sync.backfill import backfill
from djstripe.sync.verify import differing_fields, verify

pytestmark = pytest.mark.django_db


def test_a_fresh_mirror_is_clean(fake_stripe):
    for i in range(120):
        fake_stripe.insert("customer", {"email": f"c{i}@example.com"})
    backfill([Customer])
    report = verify([Customer])
    drift = report.types["Customer"]
    assert (drift.in_stripe, drift.in_mirror) == (120, 120)
    assert report.clean


def test_drift_is_reported_and_nothing_is_written(fake_stripe):
    customers = [
        fake_stripe.insert("customer", {"email": f"c{i}@example.com"}) for i in range(3)
    ]
    backfill([Customer], gap_free=False)
    # Stripe moves on without the mirror hearing of it:
    fake_stripe.update(
        fake_stripe.get("customer", customers[0]["id"]), {"email": "x@y.z"}
    )
    fake_stripe.update(
        fake_stripe.get("customer", customers[1]["id"]), {"address": {"city": "Paris"}}
    )
    missing = fake_stripe.insert("customer", {"email": "new@example.com"})
    extra = dict(customers[2], id="cus_onlyinmirror")
    sync.upsert([extra])

    with CaptureQueriesContext(connection) as queries:
        report = verify([Customer, Product])

    drift = report.types["Customer"]
    assert (drift.in_stripe, drift.in_mirror) == (4, 4)
    assert drift.missing == [missing["id"]]
    assert drift.extra == ["cus_onlyinmirror"]
    assert drift.different == {
        customers[0]["id"]: ["email"],
        customers[1]["id"]: ["address"],
    }
    assert not report.clean and report.types["Product"].clean
    assert all(q["sql"].startswith("SELECT") for q in queries.captured_queries)
    table = report.table()
    assert f"Customer {customers[0]['id']} differs in: email" in table
    assert f"Customer missing: {missing['id']}" in table


def test_differing_fields_go_one_level_into_plain_objects():
    stored = {
        "a": 1,
        "address": {"city": "A", "line1": "x"},
        "card": {"object": "card"},
    }
    current = {"a": 1, "address": {"city": "B", "line1": "x"}, "card": {"object": "c2"}}
    assert differing_fields(stored, current) == ["address.city", "card"]
