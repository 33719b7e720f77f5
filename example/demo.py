"""The djstripe demo: a fake Stripe account, mirrored live into a Django site.

    scripts/demo              # leaves the admin running at http://127.0.0.1:8000/
    scripts/demo --no-serve   # exits after the summary (non-zero on a mismatch)

Stages, each a function below: start the fake Stripe (a loopback server in
this process), prepare a fresh database, seed a realistic account, start the
demo site, register a webhook endpoint pointing at it, back-fill the mirror
with ``djstripe_sync_models``, generate live activity whose events the fake
delivers as signed webhooks, and print a summary that checks every mirrored
row against the fake.  A stage whose djstripe feature is missing is skipped,
and the summary says so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")

API_KEY = "sk_test_djstripe_demo"
ADMIN_LOGIN = ("demo", "demo")


class Demo:
    """What the stages share: the fake, the site, and what was skipped."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.dir = Path(os.environ.get("DJSTRIPE_DEMO_DIR", REPO / ".demo"))
        self.fake = None
        self.server = None
        self.site = None
        self.account = None
        self.endpoint = None
        self.deliveries: list[dict] = []
        self.skipped: dict[str, str] = {}
        self.started = time.monotonic()

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:5.1f}s] {message}", flush=True)


# -- stages ---------------------------------------------------------------------


def start_fake_stripe(demo: Demo, stack: contextlib.ExitStack) -> None:
    """The fake Stripe, served on 127.0.0.1 from a thread of this process."""
    from djstripe.testing import FakeStripe, FakeStripeServer

    demo.fake = FakeStripe(seed=0)
    demo.server = FakeStripeServer(demo.fake)
    # Answer in one TCP segment: without this, Nagle's algorithm and delayed
    # ACKs add ~40 ms to each keep-alive request.
    stack.enter_context(demo.server)
    os.environ["DJSTRIPE_API_BASE"] = demo.server.url
    os.environ["STRIPE_TEST_SECRET_KEY"] = API_KEY
    demo.say(f"Fake Stripe listening on {demo.server.url}")


def prepare_database(demo: Demo) -> None:
    """A fresh database: a new SQLite file, or PostgreSQL migrated and flushed."""
    demo.dir.mkdir(parents=True, exist_ok=True)
    postgres = bool(os.environ.get("DATABASE_URL"))
    if not postgres:
        db = demo.dir / "demo.sqlite3"
        for path in (
            db,
            db.with_name(db.name + "-wal"),
            db.with_name(db.name + "-shm"),
        ):
            path.unlink(missing_ok=True)
        os.environ["DJSTRIPE_DEMO_DB"] = str(db)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if postgres:
        call_command("flush", interactive=False, verbosity=0)
    username, password = ADMIN_LOGIN
    get_user_model().objects.create_superuser(username, "demo@example.com", password)
    where = "PostgreSQL (DATABASE_URL)" if postgres else os.environ["DJSTRIPE_DEMO_DB"]
    demo.say(f"Database ready: {where}")


def seed_account(demo: Demo) -> None:
    """Customers, a catalogue, subscriptions, payments: through stripe-python."""
    from demokit.seed import seed

    v1 = demo.fake.client(API_KEY).v1
    demo.account = seed(demo.fake, v1, customers=demo.args.customers)
    made = ", ".join(f"{n} {what}" for what, n in demo.account.actions.items())
    demo.say(f"Seeded the fake Stripe: {len(demo.account.customers)} customers; {made}")


def start_site(demo: Demo, stack: contextlib.ExitStack) -> None:
    """``manage.py runserver`` on 127.0.0.1, pointed at the fake Stripe."""
    from demokit.site import Site, choose_port

    port = choose_port(demo.args.port)
    if demo.args.port and port != demo.args.port:
        demo.say(f"Port {demo.args.port} is taken; the site uses port {port}")
    log = demo.dir / "site.log"
    log.unlink(missing_ok=True)
    env = {
        key: os.environ[key]
        for key in ("DJSTRIPE_API_BASE", "STRIPE_TEST_SECRET_KEY", "DJSTRIPE_DEMO_DB")
        if key in os.environ
    }
    demo.site = Site(port, env, log)
    stack.callback(demo.site.stop)
    demo.site.wait_ready()
    demo.say(f"Demo site running at {demo.site.url}/ (log: {log})")


def register_webhook_endpoint(demo: Demo) -> None:
    """A WebhookEndpoint created through djstripe: Stripe makes the secret."""
    try:
        from djstripe.models import WebhookEndpoint
    except ImportError as exc:
        demo.skipped["webhooks"] = f"djstripe has no WebhookEndpoint yet ({exc})"
        return
    from django.urls import reverse

    def url_for(token) -> str:
        path = reverse("djstripe:webhook_by_uuid", kwargs={"uuid": token})
        return demo.site.url + path

    token = uuid.uuid4()
    data = WebhookEndpoint._api_create(
        url=url_for(token),
        enabled_events=["*"],
        description="djstripe demo site",
        metadata={"djstripe_uuid": str(token)},
    )
    endpoint = WebhookEndpoint.sync_from_stripe_data(data)
    if endpoint.djstripe_uuid != token:
        # The row got its own token: point the Stripe endpoint at it.
        endpoint = WebhookEndpoint.sync_from_stripe_data(
            endpoint._api_update(url=url_for(endpoint.djstripe_uuid))
        )
    if not endpoint.secret:
        demo.skipped["webhooks"] = "the endpoint's secret was not stored"
        return
    demo.endpoint = endpoint
    demo.say(f"Webhook endpoint {endpoint.id} → {endpoint.url}")


def backfill(demo: Demo) -> None:
    """``manage.py djstripe_sync_models``: every mirrored type, from list pages."""
    from django.core.management import call_command, get_commands

    from djstripe import stripe_api

    if "djstripe_sync_models" not in get_commands():
        demo.skipped["sync"] = (
            "djstripe has no djstripe_sync_models command yet; back-filled "
            "with djstripe.sync.upsert over each model's list pages instead"
        )
        with stripe_api.counter.counting() as counted:
            _backfill_with_engine()
        demo.say(f"Back-filled the mirror ({counted.total} Stripe requests)")
        return
    demo.say("Back-filling with manage.py djstripe_sync_models")
    with stripe_api.counter.counting() as counted:
        call_command("djstripe_sync_models")
    demo.say(f"Back-fill done ({counted.total} Stripe requests)")


def _backfill_with_engine() -> None:
    import stripe

    from djstripe import sync

    for object_name, model in sorted(sync.registered().items()):
        if model.stripe_object_name != object_name or object_name == "event":
            continue  # an alias; or events, whose snapshots are not current
        try:
            for page in _pages(model):
                sync.upsert(page)
        except stripe.StripeError:
            pass  # no list endpoint for this type


def _pages(model):
    from djstripe import stripe_api

    params = {"limit": 100}
    if model.expand_fields:
        params["expand"] = [f"data.{f}" for f in model.expand_fields]
    yield from stripe_api.iter_pages(model.stripe_class_url(), params)


def live_activity(demo: Demo) -> None:
    """Upgrades, cancellations, failing cards, renewals: delivered as webhooks."""
    from demokit.seed import live_activity

    from djstripe.testing.webhooks import urllib_transport

    v1 = demo.fake.client(API_KEY).v1
    done = live_activity(demo.fake, v1, demo.account)
    demo.say("Live activity: " + ", ".join(f"{n} {what}" for what, n in done.items()))
    if "webhooks" in demo.skipped:
        demo.say("No webhooks to deliver to; catching up with a second back-fill")
        backfill(demo)
        return

    def transport(url: str, body: bytes, headers: dict) -> int:
        sent_at, start = time.time(), time.perf_counter()
        status = urllib_transport(url, body, headers)
        demo.deliveries.append(
            {
                "event": json.loads(body)["id"],
                "sent_at": sent_at,
                "seconds": time.perf_counter() - start,
                "status": status,
            }
        )
        return status

    demo.fake.webhook_transport = transport
    results = demo.fake.deliver_webhooks()
    failed = [r for r in results if not 200 <= r[2] < 300]
    demo.say(
        f"The fake delivered {len(results)} signed webhooks to the site"
        + (f"; {len(failed)} were not accepted: {failed[:5]}" if failed else "")
    )


def summarize(demo: Demo) -> int:
    from demokit.report import compare, print_summary, webhook_stats

    comparison = compare(demo.fake)
    stats = webhook_stats(demo.deliveries) if demo.endpoint else None
    print_summary(comparison, stats, demo.skipped, limit=demo.args.show)
    demo.say("Done")
    return 1 if comparison.mismatches else 0


def serve(demo: Demo) -> None:
    """Keep the fake Stripe and the site running until Ctrl-C."""
    username, password = ADMIN_LOGIN
    print(
        f"\nThe admin is running at {demo.site.url}/admin/ "
        f"(login: {username} / {password}).\n"
        f"The fake Stripe API is at {demo.server.url}. Press Ctrl-C to stop.",
        flush=True,
    )
    demo.site.process.wait()
    print(f"The site stopped unexpectedly:\n{demo.site.log_tail()}")


# -- entry point -----------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-serve",
        action="store_true",
        help="exit after the summary; the exit status is 1 on any mismatch",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8000,
        help="port of the demo site (default 8000; another free one if taken; 0: any)",
    )
    parser.add_argument(
        "--show", type=int, default=25, help="mismatches to list (default 25)"
    )
    parser.add_argument(
        "--customers", type=int, default=220, help="customers to seed (default 220)"
    )
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the site and the fake are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    demo = Demo(args)
    with contextlib.ExitStack() as stack:
        try:
            start_fake_stripe(demo, stack)
            prepare_database(demo)
            seed_account(demo)
            start_site(demo, stack)
            register_webhook_endpoint(demo)
            backfill(demo)
            live_activity(demo)
            status = summarize(demo)
            if not args.no_serve:
                serve(demo)
            return status
        except KeyboardInterrupt:
            print("\nStopping.", flush=True)
            return 130


if __name__ == "__main__":
    raise SystemExit(main())
