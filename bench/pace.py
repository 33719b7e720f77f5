"""A back-fill at Stripe's real pace: latency per request and the rate limit.

``python -m bench.pace`` builds an account on the fake (N customers with 1-3
payment methods each; a tenth of them subscribed, each subscription with its
first invoice), makes every request to it take ``--latency`` seconds (as
Stripe's 100-300 ms do), keeps djstripe's rate limiter at ``--rate`` requests
per second (Stripe's test mode: 25), and back-fills it with
``djstripe.sync.backfill``. It prints the requests made, objects per second,
the wall time, and the physical limit: requests / rate, the time no client
can beat. Not part of ``python -m bench --quick --check``: 10,000 customers
take about seven minutes by design.

    python -m bench.pace                     # 10,000 customers, 150 ms, 25/s
    python -m bench.pace --customers 1000    # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

MODELS = [
    "Customer",
    "PaymentMethod",
    "Subscription",
    "SubscriptionItem",
    "Invoice",
    "LineItem",
]


def build(fake, customers: int, seed: int = 0) -> int:
    """The account; returns how many objects it holds of the synced types."""
    from . import accounts

    rng = random.Random(seed)
    subscribed = customers // 10
    accounts.subscriptions(fake, subscribed)  # a customer and a card each
    objects = subscribed * 6  # customer, pm, subscription, item, invoice, line
    for i in range(customers - subscribed):
        customer = fake.insert("customer", {"email": f"c{i}@example.com"}, event=False)
        for _ in range(rng.randint(1, 3)):
            fake.insert(
                "payment_method",
                {"customer": customer["id"], "type": "card"},
                event=False,
            )
            objects += 1
        objects += 1
        if i % 50 == 0:
            fake.advance(1)
    return objects


class Latency:
    """Wraps an HTTP client: every request takes at least ``seconds``, spent
    outside the fake (so concurrent requests overlap, as on the network)."""

    name = "latency"

    def __init__(self, inner, seconds: float):
        self.inner, self.seconds = inner, seconds

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        started = time.monotonic()
        response = self.inner.request(method, url, headers, post_data)
        time.sleep(max(0.0, self.seconds - (time.monotonic() - started)))
        return response

    def request_with_retries(self, *args, **kwargs):  # pragma: no cover
        raise NotImplementedError

    def close(self):
        pass


def run(customers: int, latency: float, rate: float, workers: int) -> dict:
    from django.apps import apps
    from django.test import override_settings

    from djstripe import stripe_api
    from djstripe.sync import use_clock
    from djstripe.sync.backfill import backfill
    from djstripe.testing import FakeStripe

    fake = FakeStripe(seed=customers)
    started = time.monotonic()
    objects = build(fake, customers)
    built = time.monotonic() - started
    models = [apps.get_model("djstripe", name) for name in MODELS]
    with (
        override_settings(DJSTRIPE_RATE_LIMIT=rate),
        stripe_api.use_http_client(Latency(fake.http_client, latency)),
        use_clock(fake.clock),
    ):
        stripe_api._limiters.clear()  # a fresh bucket at the chosen rate
        started = time.monotonic()
        report = backfill(models, workers=workers)
        wall = time.monotonic() - started
    mirrored = sum(m.objects.count() for m in models)
    limit = report.requests / rate
    return {
        "customers": customers,
        "objects in Stripe": objects,
        "objects mirrored": mirrored,
        "latency ms": round(latency * 1000),
        "rate limit /s": rate,
        "workers": workers,
        "requests": report.requests,
        "retries": report.retries,
        "wall s": round(wall, 1),
        "physical limit s": round(limit, 1),
        "over the limit %": round(100 * (wall / limit - 1), 1),
        "objects/s": round(mirrored / wall),
        "errors": report.errors,
        "build s": round(built, 1),
        "by list": {
            name: (stats.requests, stats.fetched, round(stats.seconds, 1))
            for name, stats in report.types.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.150)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--workers", type=int, default=0, help="0: 4, 1 on SQLite")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    workers = args.workers or (1 if connection.vendor == "sqlite" else 4)
    result = run(args.customers, args.latency, args.rate, workers)
    result["database"] = connection.vendor
    for key, value in result.items():
        if key != "by list":
            print(f"{key:<20} {value}")
    print(f"{'list':<34} {'requests':>8} {'objects':>8} {'seconds':>8}")
    for name, (requests, fetched, seconds) in result["by list"].items():
        print(f"{name:<34} {requests:>8,} {fetched:>8,} {seconds:>8.1f}")
    sys.stdout.write("PACE-RESULT " + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
