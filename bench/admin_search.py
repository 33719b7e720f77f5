"""``python -m bench.admin_search``: admin search over 100,000 rows per model.

Mirrors ``--rows`` customers, invoices, charges and events (minimal Stripe
objects, written through the engine in batches), then times what an
operator pastes into each changelist's search box: full and partial ids, an
email, a name, an invoice number, a receipt number, an event's object id.
Prints one Markdown table (median of three requests, after one warm-up) for
the database ``DATABASE_URL`` names (SQLite in a temporary file without it).

    eval "$(scripts/postgres start)"; python -m bench.admin_search --rows 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def _objects(rows: int) -> dict[str, list[dict]]:
    base = 1_700_000_000
    customers, invoices, charges, events = [], [], [], []
    for i in range(rows):
        cus = f"cus_B{i:013d}"
        created = base + i
        customers.append(
            {
                "id": cus,
                "object": "customer",
                "created": created,
                "livemode": False,
                "email": f"customer{i}@example.com",
                "name": f"Customer {i}",
                "metadata": {},
            }
        )
        invoices.append(
            {
                "id": f"in_B{i:013d}",
                "object": "invoice",
                "created": created,
                "livemode": False,
                "customer": cus,
                "number": f"BENCH{i // 1000:04d}-{i % 1000:04d}",
                "status": "paid",
                "currency": "usd",
                "total": 1000,
                "lines": {"object": "list", "data": [], "has_more": False},
                "metadata": {},
            }
        )
        charges.append(
            {
                "id": f"ch_B{i:013d}",
                "object": "charge",
                "created": created,
                "livemode": False,
                "customer": cus,
                "amount": 1000,
                "currency": "usd",
                "status": "succeeded",
                "receipt_number": f"{1000 + i // 1000}-{i % 1000:04d}",
                "metadata": {},
            }
        )
        events.append(
            {
                "id": f"evt_B{i:013d}",
                "object": "event",
                "created": created,
                "livemode": False,
                "type": "customer.updated",
                "api_version": "2025-01-01",
                "data": {"object": {"id": cus, "object": "customer"}},
                "request": {"id": None, "idempotency_key": None},
            }
        )
    return {
        "customer": customers,
        "invoice": invoices,
        "charge": charges,
        "event": events,
    }


def _load(rows: int) -> None:
    """Rows built by the models from Stripe objects (``from_stripe_data``),
    inserted in bulk: what is measured is the search, not the writing."""
    from django.core.management import call_command

    from djstripe import sync

    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    for name, objects in _objects(rows).items():
        model = sync.model_for(name)
        for start in range(0, len(objects), 5000):
            batch = [model.from_stripe_data(o) for o in objects[start : start + 5000]]
            model._base_manager.bulk_create(batch)


def _searches(rows: int) -> list[tuple[str, str, str]]:
    """(model, what is pasted, the term)."""
    i = rows // 2
    return [
        ("customer", "full id", f"cus_B{i:013d}"),
        ("customer", "partial id (prefix)", f"cus_B{i:013d}"[:14]),
        ("customer", "email", f"customer{i}@example.com"),
        ("customer", "name", f"Customer {i}"),
        ("invoice", "invoice number", f"BENCH{i // 1000:04d}-{i % 1000:04d}"),
        ("invoice", "customer id", f"cus_B{i:013d}"),
        ("charge", "receipt number", f"{1000 + i // 1000}-{i % 1000:04d}"),
        ("event", "object id", f"cus_B{i:013d}"),
    ]


def _search_only(request, name: str, term: str) -> tuple[float, str]:
    """The search's own query (the first page of rows it finds), median ms of
    three, and how the database runs it: "index" when no table is scanned."""
    from django.contrib import admin

    from djstripe import sync

    model = sync.model_for(name)
    model_admin = admin.site._registry[model]
    queryset = model._base_manager.all()
    times = []
    for _ in range(3):
        started = time.perf_counter()
        found, _ = model_admin.get_search_results(request, queryset, term)
        list(found.order_by("-pk")[:100])
        times.append((time.perf_counter() - started) * 1000)
    plan = found.order_by("-pk")[:100].explain()
    scanned = "Seq Scan" in plan or "SCAN " in plan.replace("SCAN CONSTANT", "")
    return statistics.median(times), "table scan" if scanned else "index"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--no-load", action="store_true", help="search the rows already loaded"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # responses keep their context (the row count)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from .measure import measure

    started = time.monotonic()
    if not args.no_load:
        _load(args.rows)
    loaded = time.monotonic() - started
    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    print(
        f"{connection.vendor}: {args.rows:,} rows per model, loaded in {loaded:.0f} s"
    )
    print()
    print(
        "| changelist | pasted | found | page: queries | page ms | search ms | plan |"
    )
    print("|---|---|---|---|---|---|---|")
    for model, what, term in _searches(args.rows):
        url = reverse(f"admin:djstripe_{model}_changelist")
        client.get(url, {"q": term})  # warm up
        times = []
        for _ in range(3):
            with measure() as cost:
                response = client.get(url, {"q": term})
            assert response.status_code == 200, response.status_code
            times.append(cost.seconds * 1000)
        found = len(response.context["cl"].result_list)
        search_ms, plan = _search_only(response.wsgi_request, model, term)
        print(
            f"| {model} | {what} | {found} | {cost.queries} | "
            f"{statistics.median(times):.1f} | {search_ms:.1f} | {plan} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
