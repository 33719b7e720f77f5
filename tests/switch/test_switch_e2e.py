"""End to end: a dj-stripe 2.11 site's database becomes djstripe's with one
``manage.py migrate``, without a Stripe request, nothing lost, and Stripe's
next webhook to the old URL is accepted and applied.

dj-stripe runs in its own virtualenv (``scripts/dj-stripe-venv``; ``.ci/run``
builds it) and fills the database through its own code against the fake
Stripe served on 127.0.0.1 (``legacy_site.fill``). djstripe then migrates the
same database in a subprocess, with its Stripe API base pointed at a loopback
listener that counts connections, and ``inspect_site`` dumps the result and
posts a signed event to the endpoint's old URL. This process never imports
dj-stripe. The database is SQLite, or a fresh database on the PostgreSQL
server of ``DATABASE_URL`` when the suite runs on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from djstripe.testing.fake import FakeStripe
from djstripe.testing.server import FakeStripeServer

REPO = Path(__file__).resolve().parents[2]
LEGACY_VENV = Path(os.environ.get("DJSTRIPE_LEGACY_VENV", REPO / ".e2e-venv"))
LEGACY_PYTHON = LEGACY_VENV / "bin" / "python"
#: dj-stripe's migrations take minutes on a busy machine.
TIMEOUT = 1800

# Skipped only when nobody asked for it: with DJSTRIPE_LEGACY_VENV set (as
# .ci/run sets it) a missing virtualenv fails the test.
pytestmark = pytest.mark.skipif(
    not LEGACY_PYTHON.exists() and "DJSTRIPE_LEGACY_VENV" not in os.environ,
    reason=f"no dj-stripe 2.11 virtualenv at {LEGACY_VENV}: build it with "
    "scripts/dj-stripe-venv (.ci/run does)",
)

#: What dj-stripe kept only locally, by table: compared column by column.
LOCAL_COLUMNS = {
    "djstripe_customer": ("subscriber_id", "date_purged"),
    "djstripe_webhookendpoint": ("secret", "djstripe_uuid"),
}
#: Every mirrored row's own local columns.
ROW_COLUMNS = ("djstripe_created", "djstripe_updated", "djstripe_owner_account_id")
#: Tables djstripe copies whole (not Stripe objects).
COPIED = {"djstripe_apikey", "djstripe_webhookeventtrigger"}


class ConnectionCounter:
    """A loopback listener standing in for Stripe: it counts connections and
    closes them, so any Stripe request fails, and is seen."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


def _run(args: list[str], env: dict, cwd: Path = REPO) -> str:
    done = subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, (
        f"{' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}"
    )
    return done.stdout


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A new, empty database for the site: SQLite, or PostgreSQL alongside
    the suite's when it runs there."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path_factory.mktemp('site') / 'site.sqlite3'}"
        return
    import psycopg

    name = f"djstripe_switch_{uuid.uuid4().hex[:8]}"
    parts = urlparse(url)
    admin = psycopg.connect(
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        password=parts.password,
        dbname=parts.path.lstrip("/"),
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def switched(database_url, tmp_path_factory):
    """Fill the database with dj-stripe, switch it, inspect it twice (with
    and without ``APPEND_SLASH``); return everything the tests compare."""
    work = tmp_path_factory.mktemp("switch")
    with FakeStripeServer(FakeStripe(seed=16)) as server:
        _run(
            [str(LEGACY_PYTHON), "-m", "legacy_site.fill", str(work / "legacy.json")],
            {
                "DATABASE_URL": database_url,
                "STRIPE_API_HOST": server.url,
                "PYTHONPATH": str(REPO / "tests" / "switch"),
                "DJANGO_SETTINGS_MODULE": "legacy_site.settings",
            },
            # Not the repository: ``-m`` puts the working directory first on
            # sys.path, and dj-stripe must not find djstripe there.
            cwd=REPO / "tests" / "switch",
        )
    stripe = ConnectionCounter()
    env = {
        "DATABASE_URL": database_url,
        "DJSTRIPE_API_BASE": stripe.url,
        "DJANGO_SETTINGS_MODULE": "tests.switch.settings",
        "PYTHONPATH": str(REPO),
    }
    try:
        report = _run([sys.executable, "-m", "django", "migrate"], env)
        requests_during_migrate = stripe.connections
        after = {}
        for slash in ("1", "0"):
            out = work / f"after-{slash}.json"
            _run(
                [sys.executable, "-m", "tests.switch.inspect_site", str(out)],
                {**env, "APPEND_SLASH": slash},
            )
            after[slash] = json.loads(out.read_text())
        requests_after = stripe.connections
    finally:
        stripe.close()
    return {
        "legacy": json.loads((work / "legacy.json").read_text()),
        "after": after["1"]["tables"],
        "webhooks": {slash: after[slash]["webhook"] for slash in after},
        "report": report,
        "requests_during_migrate": requests_during_migrate,
        "requests_after": requests_after,
    }


def _stripe_rows(tables: dict) -> dict[str, dict]:
    """Every row with a Stripe object, by Stripe id (polymorphic children's
    common columns are in their parent table)."""
    rows: dict[str, dict] = {}
    for table, table_rows in tables.items():
        if table.startswith("djstripe_legacy_"):
            continue
        for row in table_rows:
            if "stripe_data" in row and row.get("id"):
                rows.setdefault(row["id"], {}).update(row, table=table)
    return rows


def _data(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value


def _same(legacy, ours) -> bool:
    """Equal, reading an expanded object in dj-stripe's copy as its id."""
    if isinstance(legacy, dict) and isinstance(ours, str):
        return legacy.get("id") == ours
    if isinstance(legacy, dict) and isinstance(ours, dict):
        return legacy.keys() == ours.keys() and all(
            _same(legacy[k], ours[k]) for k in legacy
        )
    if isinstance(legacy, list) and isinstance(ours, list):
        return len(legacy) == len(ours) and all(map(_same, legacy, ours))
    return legacy == ours


def _mirrored_legacy_rows(legacy: dict):
    for table, rows in legacy.items():
        if table in COPIED:
            continue
        for row in rows:
            data = _data(row.get("stripe_data")) or {}
            if data.get("object") and data.get("id"):
                yield table, row, data


def test_the_site_was_filled_through_dj_stripe(switched):
    legacy = switched["legacy"]
    assert len(legacy["djstripe_customer"]) >= 5
    assert any(r["subscriber_id"] for r in legacy["djstripe_customer"])
    assert any(r["date_purged"] for r in legacy["djstripe_customer"])
    assert legacy["djstripe_subscription"] and legacy["djstripe_invoice"]
    triggers = legacy["djstripe_webhookeventtrigger"]
    assert any(t["processed"] for t in triggers)
    assert any(not t["valid"] for t in triggers)
    assert legacy["djstripe_webhookendpoint"][0]["secret"].startswith("whsec_")
    assert len(legacy["djstripe_apikey"]) == 2


def test_migrate_makes_no_stripe_request(switched):
    assert switched["requests_during_migrate"] == 0
    assert switched["requests_after"] == 0  # nor do the webhooks after it


def test_every_stripe_object_is_converted_from_its_stripe_data(switched):
    ours = _stripe_rows(switched["after"])
    checked = 0
    for table, _row, data in _mirrored_legacy_rows(switched["legacy"]):
        assert data["id"] in ours, f"{table} {data['id']} was not converted"
        assert _same(data, _data(ours[data["id"]]["stripe_data"])), (
            f"{table} {data['id']}: stripe_data differs"
        )
        checked += 1
    assert checked > 30


def test_every_local_column_is_kept(switched):
    ours = _stripe_rows(switched["after"])
    for table, row, data in _mirrored_legacy_rows(switched["legacy"]):
        converted = ours[data["id"]]
        for column in ROW_COLUMNS + LOCAL_COLUMNS.get(table, ()):
            if column == "subscriber_id" and row[column] is not None:
                continue  # checked below: one live customer per subscriber
            assert converted[column] == row[column], f"{table}.{column} {data['id']}"
        if converted["table"] == table and "djstripe_id" in converted:
            assert converted["djstripe_id"] == row["djstripe_id"], table
    endpoint = switched["legacy"]["djstripe_webhookendpoint"][0]
    assert ours[endpoint["id"]]["tolerance"] == endpoint["djstripe_tolerance"] == 600


def test_the_sites_own_foreign_keys_still_point_at_the_same_rows(switched):
    """``shop.Order.customer`` points at ``djstripe_customer.djstripe_id``;
    its migration depends on dj-stripe's ``0003_2_11``."""
    orders = switched["legacy"]["shop_order"]
    assert orders and switched["after"]["shop_order"] == orders
    legacy = {
        r["djstripe_id"]: r["id"] for r in switched["legacy"]["djstripe_customer"]
    }
    ours = {r["djstripe_id"]: r["id"] for r in switched["after"]["djstripe_customer"]}
    for order in orders:
        assert ours[order["customer_id"]] == legacy[order["customer_id"]]
    assert "NOT restored" not in switched["report"]


def test_purged_customers_stay_purged(switched):
    ours = {r["id"]: r for r in switched["after"]["djstripe_customer"]}
    purged = [r for r in switched["legacy"]["djstripe_customer"] if r["date_purged"]]
    assert purged
    for row in purged:
        assert ours[row["id"]]["date_purged"] == row["date_purged"]
        assert ours[row["id"]]["subscriber_id"] == row["subscriber_id"]
        # dj-stripe keeps Stripe's deletion stub, or (if its purge wrote last)
        # the data it had before; either way the row stays, purged.
        if (_data(row["stripe_data"]) or {}).get("deleted"):
            assert _data(ours[row["id"]]["stripe_data"])["deleted"] is True


def test_subscriber_links_are_kept_or_reported(switched):
    legacy = switched["legacy"]["djstripe_customer"]
    ours = {r["id"]: r for r in switched["after"]["djstripe_customer"]}
    linked = [r for r in legacy if r["subscriber_id"] is not None]
    kept = [r for r in linked if ours[r["id"]]["subscriber_id"] == r["subscriber_id"]]
    # dj-stripe let a subscriber have two live customers; djstripe keeps one
    # link per subscriber and says so.
    subscribers = {r["subscriber_id"] for r in linked}
    assert {r["subscriber_id"] for r in kept} == subscribers
    lost = len(linked) - len(kept)
    assert lost >= 1
    assert f"{lost} converted with subscriber left empty" in switched["report"]
    for r in linked:
        if r not in kept:
            assert ours[r["id"]]["subscriber_id"] is None


def test_api_keys_and_webhook_requests_are_copied(switched):
    after = switched["after"]
    for table in COPIED:
        ours = {r["id"]: r for r in after[table]}
        for row in switched["legacy"][table]:
            converted = ours[row["id"]]
            for column, value in row.items():
                if column in converted and column != "webhook_endpoint_id":
                    assert converted[column] == value, f"{table}.{column}"
    endpoints = {r["djstripe_id"]: r["id"] for r in after["djstripe_webhookendpoint"]}
    triggers = {r["id"]: r for r in after["djstripe_webhookeventtrigger"]}
    for row in switched["legacy"]["djstripe_webhookeventtrigger"]:
        ours = triggers[row["id"]]
        assert endpoints[ours["webhook_endpoint_id"]] == row["webhook_endpoint_id"]
        if row["valid"]:
            assert ours["event_type"] and ours["attempts"] == 1


def test_the_legacy_tables_and_the_report_stay(switched):
    after, legacy = switched["after"], switched["legacy"]
    for table, rows in legacy.items():
        if not table.startswith("djstripe_"):
            continue
        kept = "djstripe_legacy_" + table.removeprefix("djstripe_")
        assert len(after[kept]) == len(rows), kept
    report: dict[tuple[str, str], int] = {}
    for r in after["djstripe_switch_report"]:
        key = (r["kind"], r["label"])
        report[key] = report.get(key, 0) + r["count"]
    for table in ("djstripe_customer", "djstripe_event", "djstripe_invoice"):
        rows = legacy[table]
        objects = [r for r in rows if (_data(r["stripe_data"]) or {}).get("object")]
        assert report[("converted", table)] == len(objects), table
        assert report.get(("not_converted", table), 0) == len(rows) - len(objects)
    idempotency = len(legacy["djstripe_idempotencykey"])
    assert f"{idempotency} not converted" in switched["report"]
    assert "djstripe_legacy_idempotencykey" in switched["report"]


@pytest.mark.parametrize("slash", ["1", "0"], ids=["APPEND_SLASH", "no-APPEND_SLASH"])
def test_a_webhook_to_the_old_url_is_accepted_and_applied(switched, slash):
    webhook = switched["webhooks"][slash]
    assert webhook["path"] == webhook["reversed"]
    assert webhook["path"].endswith("/") == (slash == "1")
    assert webhook["status"] == 200
    assert webhook["trigger"] == {
        "event_id": webhook["event_id"],
        "valid": True,
        "processed": True,
        "webhook_endpoint_id": webhook["endpoint_djstripe_id"],
        "exception": "",
    }
    assert webhook["stored_email"] == webhook["sent_email"]
