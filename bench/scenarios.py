"""The benchmark scenarios. Each returns rows of figures (dicts) to print.

They run inside one Django process set up by :mod:`bench.run`, against the
fake Stripe in-process, so every figure is djstripe's own cost.
"""

from __future__ import annotations

import copy
import io
import math
import statistics
from collections import defaultdict
from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from djstripe import stripe_api, sync
from djstripe.models import Customer
from djstripe.testing import FakeStripe, templates
from djstripe.testing.webhooks import post_event

from . import accounts
from .measure import measure

WEBHOOK_SECRET = "whsec_djstripe_bench"


def _flush() -> None:
    call_command("flush", interactive=False, verbosity=0)


def _sync(*models: str) -> str:
    """The sync command with one worker: queries are counted on this thread's
    connection, and the cost per page does not depend on parallelism."""
    out = io.StringIO()
    call_command(
        "djstripe_sync_models",
        *models,
        workers=1,
        no_progress=True,
        stdout=out,
        stderr=out,
    )
    return out.getvalue()


def _list_requests(cost, path: str) -> int:
    return cost.requests_by_endpoint.get(f"GET {path}", 0)


# -- Back-fill -------------------------------------------------------------------

#: (label, account builder, model name, list endpoint, largest N). Accounts
#: made through the fake's API (subscriptions bill and pay their first
#: invoice) take ~5 ms an object to build, so they stop at 10k.
BACKFILL_TYPES: list[tuple[str, Callable[[FakeStripe, int], None], str, str, int]] = [
    ("customers", accounts.customers, "Customer", "/v1/customers", 10**6),
    ("prices", accounts.prices, "Price", "/v1/prices", 10**6),
    ("charges + balance txns", accounts.charges, "Charge", "/v1/charges", 10**6),
    (
        "subscriptions + items",
        accounts.subscriptions,
        "Subscription",
        "/v1/subscriptions",
        10_000,
    ),
    ("invoices + lines", accounts.subscriptions, "Invoice", "/v1/invoices", 10_000),
]


def backfill(sizes: list[int], types: list[str] | None = None) -> list[dict]:
    """Back-fill N objects of each type into an empty mirror, then re-sync the
    unchanged account: requests, queries per page, objects/s, peak memory,
    and rows rewritten by the re-sync (should be none)."""
    rows = []
    for label, build, model_name, path, largest in BACKFILL_TYPES:
        if types and label.split()[0] not in types:
            continue
        fixed = _fixed_cost(model_name)
        for n in [n for n in sizes if n <= largest]:
            _flush()
            fake = FakeStripe(seed=n)
            build(fake, n)
            with stripe_api.use_http_client(fake.http_client):
                with measure(memory=True) as first:
                    _sync(model_name)
                model = _model(model_name)
                count = model.objects.count()
                stamp = model.objects.order_by("-djstripe_updated").values_list(
                    "djstripe_updated", flat=True
                )[:1]
                before = list(stamp)[0] if count else None
                with measure() as again:
                    _sync(model_name)
                rewritten = model.objects.filter(djstripe_updated__gt=before).count()
            pages = max(1, _list_requests(first, path))
            per_page = (first.queries - fixed) / pages
            rows.append(
                {
                    "type": label,
                    "N": n,
                    "rows": count,
                    "list requests": _list_requests(first, path),
                    "target": math.ceil(n / 100),
                    "requests": first.requests,
                    "queries": first.queries,
                    "fixed queries": fixed,
                    "queries/page": round(per_page, 1),
                    "objects/s": round(n / first.seconds) if first.seconds else 0,
                    "seconds": round(first.seconds, 2),
                    "peak MiB": round(first.peak_mib, 1),
                    "resync requests": again.requests,
                    "resync queries": again.queries,
                    "resync rewritten": rewritten,
                }
            )
    return rows


def _fixed_cost(model_name: str) -> int:
    """The queries a sync of ``model_name`` costs with nothing to fetch
    (checkpoints, the event marker): what is not per page."""
    _flush()
    with stripe_api.use_http_client(FakeStripe(seed=0).http_client):
        with measure() as cost:
            _sync(model_name)
    return cost.queries


def _model(name: str):
    from django.apps import apps

    return apps.get_model("djstripe", name)


# -- Webhook ingest --------------------------------------------------------------

WEBHOOK_TYPES = (
    "customer.created",
    "customer.updated",
    "product.created",
    "price.created",
    "payment_intent.succeeded",
    "charge.succeeded",
    "charge.refunded",
    "invoice.finalized",
    "invoice.paid",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "checkout.session.completed",
)


def _event_mix(count: int, fake: FakeStripe | None = None) -> list[dict]:
    """``count`` realistic events, from running a shop's flows on the fake.

    The fake's clock moves a second between steps, as a real shop's requests
    are spread in time: events of one object within the same second tie, and
    a tie costs a read (or, when the event cannot be placed by its
    ``previous_attributes``, a Stripe request); the engine tests cover those.
    """
    fake = fake or FakeStripe(seed=7)
    v1 = fake.client().v1
    events: list[dict] = []
    round_ = 0

    def step(call, *args):
        fake.advance(1)
        return call(*args)

    while len(events) < count:
        round_ += 1
        start = len(fake.events)
        product = step(v1.products.create, {"name": f"Plan {round_}"})
        price = step(
            v1.prices.create,
            {
                "product": product.id,
                "currency": "usd",
                "unit_amount": 1000,
                "recurring": {"interval": "month"},
            },
        )
        customer = step(
            v1.customers.create,
            {"email": f"shopper{round_}@example.com", "payment_method": "pm_card_visa"},
        )
        step(v1.customers.update, customer.id, {"name": f"Shopper {round_}"})
        sub = step(
            v1.subscriptions.create,
            {"customer": customer.id, "items": [{"price": price.id}]},
        )
        step(v1.subscriptions.update, sub.id, {"metadata": {"round": str(round_)}})
        intent = step(
            v1.payment_intents.create,
            {
                "amount": 2500,
                "currency": "usd",
                "customer": customer.id,
                "payment_method": "pm_card_visa",
                "confirm": True,
            },
        )
        step(v1.refunds.create, {"payment_intent": intent.id, "amount": 500})
        session = step(
            v1.checkout.sessions.create,
            {
                "mode": "payment",
                "line_items": [{"price": price.id, "quantity": 1}],
                "success_url": "https://example.com/ok",
                "customer": customer.id,
            },
        )
        step(fake.complete_checkout_session, session.id)
        step(v1.subscriptions.cancel, sub.id)
        events.extend(e for e in fake.events[start:] if e["type"] in WEBHOOK_TYPES)
    return events[:count]


def webhooks(count: int, modes: tuple[str, ...] = ("inline", "task")) -> list[dict]:
    """Post ``count`` signed events through the real view; per type: queries
    and Stripe requests per event; overall: events/s, median and p99 ms."""
    events = _event_mix(count)
    rows = []
    for mode in modes:
        _flush()
        settings = {
            "DJSTRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "DJSTRIPE_WEBHOOK_PROCESSING": mode,
        }
        if mode == "task":
            settings["TASKS"] = {
                "default": {
                    "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
                }
            }
        with override_settings(**settings):
            rows.extend(_post_all(events, mode))
    return rows


def _post_all(events: list[dict], mode: str) -> list[dict]:
    client = Client()
    url = reverse("djstripe:webhook")
    by_type: dict[str, list] = defaultdict(list)
    times = []
    fake = FakeStripe(seed=99)  # answers any re-read; counted, should stay unused
    with stripe_api.use_http_client(fake.http_client):
        for event in events:
            with measure() as cost:
                response = post_event(client, url, event, WEBHOOK_SECRET)
            if response.status_code != 200:
                raise RuntimeError(
                    f"{event['type']}: {response.status_code} {response.content!r}"
                )
            by_type[event["type"]].append(cost)
            times.append(cost.seconds * 1000)
    rows = []
    for event_type, costs in sorted(by_type.items()):
        rows.append(
            {
                "mode": mode,
                "event type": event_type,
                "events": len(costs),
                "queries/event": round(sum(c.queries for c in costs) / len(costs), 2),
                "max queries": max(c.queries for c in costs),
                "tx statements/event": round(
                    sum(c.transaction_statements for c in costs) / len(costs), 2
                ),
                "requests/event": round(sum(c.requests for c in costs) / len(costs), 2),
                "median ms": round(
                    statistics.median(c.seconds * 1000 for c in costs), 2
                ),
            }
        )
    times.sort()
    total = sum(times) / 1000
    all_costs = [c for costs in by_type.values() for c in costs]
    rows.append(
        {
            "mode": mode,
            "event type": "ALL",
            "events": len(times),
            "queries/event": round(
                sum(c.queries for c in all_costs) / len(all_costs), 2
            ),
            "max queries": max(c.queries for c in all_costs),
            "tx statements/event": round(
                sum(c.transaction_statements for c in all_costs) / len(all_costs), 2
            ),
            "requests/event": round(
                sum(c.requests for c in all_costs) / len(all_costs), 2
            ),
            "median ms": round(statistics.median(times), 2),
            "p99 ms": round(times[int(len(times) * 0.99) - 1], 2),
            "events/s": round(len(times) / total),
        }
    )
    return rows


def published_shapes(rounds: int = 2) -> list[dict]:
    """The event types of the mix, each carrying Stripe's own published
    example of its object (``fixtures3.json``: every field and embedded
    object Stripe documents, such as a charge's legacy ``source``), posted
    through the real view: queries per event, first as new objects (target:
    a write per model), then as changes of them (the general target)."""
    _flush()
    examples = templates.fixtures()
    events = []
    for round_ in range(rounds):
        for n, event_type in enumerate(WEBHOOK_TYPES):
            prefix = event_type.rsplit(".", 1)[0]
            obj = copy.deepcopy(examples[_OBJECT_OF.get(prefix, prefix)])
            obj["metadata"] = {"round": str(round_)}
            event = copy.deepcopy(examples["event"])
            event.update(
                id=f"evt_shape_{round_}_{n}",
                type=event_type,
                created=1_700_000_000 + round_,
                livemode=False,
                data={"object": obj},
            )
            event.pop("account", None)
            events.append(event)
    settings = {
        "DJSTRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DJSTRIPE_WEBHOOK_PROCESSING": "inline",
    }
    # A process looks each model's content type up once (django-polymorphic's
    # payment sources record it); that is not a cost per event.
    ContentType.objects.get_for_models(*sync.registered().values())
    first, later = events[: len(WEBHOOK_TYPES)], events[len(WEBHOOK_TYPES) :]
    with override_settings(**settings):
        new = _post_all(first, "shapes: new")
        changes = _post_all(later, "shapes: changes")
    # Objects seen for the first time cost a write each (the target counts
    # them); once mirrored, every event of the mix costs at most the
    # general target (no "target" key).
    targets = {event["type"]: _statements_for(event) for event in first}
    return [
        dict(row, target=targets[row["event type"]])
        for row in new
        if row["event type"] != "ALL"
    ] + [row for row in changes if row["event type"] != "ALL"]


#: Statements on the stored request row of a webhook: its insert, its update.
REQUEST_ROW_STATEMENTS = 2


def _statements_for(event: dict) -> int:
    """What an event should cost at most through the batched path: the stored
    request row's statements, one gated write per model the engine mirrors
    from the payload (two for a multi-table model, the polymorphic payment
    sources) and, if it embeds copies, the attempt to confirm them, with no
    read and no per-row ORM save. (Objects seen for the first time cost the
    most; a copy confirmed unchanged costs no write of its own.)"""
    from djstripe.sync import engine

    groups, _ = engine._observations([event], engine._now(), engine.UpsertResult())
    writes = sum(2 if model._meta.parents else 1 for model in groups)
    # The copies the event's object embeds are first confirmed unchanged, in
    # one statement for all of them (see docs/engine.md, "Shared rows").
    confirms = any(
        obs.embedded for bucket in groups.values() for obs in bucket.values()
    )
    return REQUEST_ROW_STATEMENTS + writes + confirms


#: The ``object`` of the events whose type does not start with it.
_OBJECT_OF = {"customer.subscription": "subscription"}


# -- Admin -----------------------------------------------------------------------


def admin(rows_count: int) -> list[dict]:
    """The customer changelist over ``rows_count`` mirrored customers."""
    from django.contrib.auth import get_user_model

    _flush()
    fake = FakeStripe(seed=3)
    accounts.customers(fake, rows_count)
    for start in range(0, rows_count, 1000):
        sync.upsert(fake.all("customer")[start : start + 1000])
    user = get_user_model().objects.create_superuser(
        "bench", "bench@example.com", "bench"
    )
    client = Client()
    client.force_login(user)
    url = reverse("admin:djstripe_customer_changelist")
    client.get(url)  # warm up templates
    results = []
    for label, query in (
        ("changelist", ""),
        ("search by email", "?q=customer42%40example.com"),
    ):
        with measure() as cost:
            response = client.get(url + query)
        assert response.status_code == 200, response.status_code
        results.append(
            {
                "page": label,
                "rows": Customer.objects.count(),
                "queries": cost.queries,
                "ms": round(cost.seconds * 1000, 1),
            }
        )
    return results


def database() -> str:
    return f"{connection.vendor} {'.'.join(map(str, connection.Database.sqlite_version_info)) if connection.vendor == 'sqlite' else connection.pg_version}"
