"""``python -m bench.switch``: how long ``migrate`` takes to switch a
dj-stripe 2.11 database of 10,000 customers to djstripe.

The database is built quickly but in dj-stripe's exact schema: dj-stripe's own
migrations run in its virtualenv (``scripts/dj-stripe-venv``), then rows are
bulk-copied in. Per customer: the customer (linked to a user), a payment
method, a subscription and its item, an invoice and its line, a payment
intent, a charge and two events, cloned from objects the fake Stripe made.
Every row gets its own ``djstripe_updated`` second, the worst case for the
conversion (it stamps rows by that second). Then djstripe's ``migrate`` runs
in a subprocess with its Stripe API base on a closed loopback port. Printed:
its wall-clock time, the CPU time of the migrate process and, for a server on
this machine, of PostgreSQL (the two take turns, so their sum is what the
switch costs on an idle machine), and the load average.

    DATABASE_URL=postgres://... python -m bench.switch [--customers 10000]
        [--keep] [--profile FILE]

Without a PostgreSQL ``DATABASE_URL`` a private cluster is started with
``scripts/postgres``. Timings are printed, never asserted.

Building 10,000 customers takes minutes. With ``--keep`` the built database
stays in the cluster (as ``bench_switch_dj_stripe_<customers>``) and later
runs with ``--keep`` copy it (``CREATE DATABASE ... TEMPLATE``, an exact copy,
foreign keys the load skipped included) instead of building, so that each
trial times only the switch (it needs a ``DATABASE_URL`` cluster that
outlives the run). ``--profile FILE`` runs ``migrate`` under
:mod:`cProfile`, which slows it, and writes the stats there.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "switch"
LEGACY_PYTHON = (
    Path(os.environ.get("DJSTRIPE_LEGACY_VENV", ROOT / ".e2e-venv")) / "bin" / "python"
)

#: Objects all customers share (written once, ids unchanged).
SHARED = ("product", "price")
#: The template objects, by dj-stripe table.
TABLES = {
    "product": "djstripe_product",
    "price": "djstripe_price",
    "customer": "djstripe_customer",
    "payment_method": "djstripe_paymentmethod",
    "subscription": "djstripe_subscription",
    "subscription_item": "djstripe_subscriptionitem",
    "invoice": "djstripe_invoice",
    "line_item": "djstripe_lineitem",
    "payment_intent": "djstripe_paymentintent",
    "charge": "djstripe_charge",
    "event": "djstripe_event",
}


def _templates() -> dict[str, list[dict]]:
    """One customer's worth of objects, made by the fake Stripe."""
    from djstripe.testing.fake import FakeStripe

    fake = FakeStripe(seed=1)
    v1 = fake.client().v1
    product = v1.products.create(
        {
            "name": "Plan",
            "default_price_data": {
                "currency": "usd",
                "unit_amount": 900,
                "recurring": {"interval": "month"},
            },
        }
    )
    customer = v1.customers.create(
        {"email": "bench@example.com", "payment_method": "pm_card_visa"}
    )
    v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": product.default_price}]}
    )
    found: dict[str, list[dict]] = {}
    for obj in fake._objects.values():
        kind = obj.get("object")
        if kind in TABLES and kind != "event":
            found.setdefault(kind, []).append(json.loads(json.dumps(obj)))
    found["event"] = [
        e for e in fake.events if e["type"] in ("customer.created", "invoice.paid")
    ][:2]
    return found


def _cloner(templates: dict[str, list[dict]]):
    """A function giving a kind's templates with every template id suffixed
    per customer, so that clones refer to each other as the templates do."""
    ids = {
        o["id"]
        for kind, objs in templates.items()
        if kind not in SHARED
        for o in objs
        if o.get("id")
    }
    pattern = re.compile("|".join(re.escape(f'"{i}"') for i in sorted(ids)))
    texts = {kind: json.dumps(objs) for kind, objs in templates.items()}

    def clone(kind: str, index: int) -> list[dict]:
        suffix = f"x{index:06d}"
        return json.loads(
            pattern.sub(lambda m: f'{m.group(0)[:-1]}{suffix}"', texts[kind])
        )

    return clone


def _columns(cursor, table: str) -> list[tuple[str, str, bool]]:
    cursor.execute(
        "SELECT column_name, data_type, is_nullable = 'YES' FROM"
        " information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return list(cursor.fetchall())


def _value(column: str, kind: str, nullable: bool, data: dict, extra: dict):
    """A column's value for ``data``: what dj-stripe would have stored."""
    if column in extra and column != "_row_ids":
        return extra[column]
    if column == "stripe_data":
        return json.dumps(data)
    key = column[:-3] if column.endswith("_id") and column != "id" else column
    value = data.get(key)
    if isinstance(value, dict) and "id" in value:
        value = value["id"]
    if kind in ("integer", "bigint") and column.endswith("_id"):
        # A relation to the row's djstripe_id (dj-stripe has a few): only the
        # shared rows are known by then.
        value = extra.get("_row_ids", {}).get(value)
    if kind.startswith("timestamp") and isinstance(value, int):
        value = datetime.datetime.fromtimestamp(value, datetime.UTC)
    if kind == "jsonb" and value is not None:
        value = json.dumps(value)
    if value is None and not nullable:
        value = {
            "boolean": False,
            "jsonb": "{}",
            "integer": 0,
            "bigint": 0,
            "numeric": 0,
        }.get(kind, "")
    if isinstance(value, (dict, list)):
        value = json.dumps(value) if kind == "jsonb" else None
    return value


def build(database_url: str, customers: int) -> int:
    """Migrate with dj-stripe, then copy ``customers`` customers' rows in;
    return the number of rows."""
    import psycopg

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(SITE),
        "DJANGO_SETTINGS_MODULE": "legacy_site.settings",
    }
    subprocess.run(
        [str(LEGACY_PYTHON), "-m", "django", "migrate", "-v0"],
        cwd=SITE,
        env=env,
        check=True,
    )
    templates = _templates()
    clone = _cloner(templates)
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    rows = 0
    with psycopg.connect(database_url, autocommit=False) as conn:
        cur = conn.cursor()
        # The clones refer to objects not copied in (balance transactions,
        # the account): skip dj-stripe's foreign key checks while loading.
        cur.execute("SET session_replication_role = replica")
        with cur.copy(
            "COPY auth_user (password, is_superuser, username, first_name,"
            " last_name, email, is_staff, is_active, date_joined) FROM STDIN"
        ) as copy:
            for i in range(customers):
                copy.write_row(
                    ("!", False, f"bench{i}", "", "", "", False, True, start)
                )
        cur.execute("SELECT id FROM auth_user ORDER BY id")
        users = [r[0] for r in cur.fetchall()]
        layout = {t: _columns(cur, t) for t in TABLES.values()}
        row_ids: dict[str, int] = {}
        for table, columns in layout.items():
            names = ", ".join(c[0] for c in columns if c[0] != "djstripe_id")
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                kind = next(k for k, t in TABLES.items() if t == table)
                for i in range(1 if kind in SHARED else customers):
                    for data in clone(kind, i) if kind in templates else []:
                        stamp = start + datetime.timedelta(seconds=i)
                        extra = {
                            "djstripe_created": stamp,
                            "djstripe_updated": stamp,
                            "djstripe_owner_account_id": None,
                            "livemode": False,
                            "_row_ids": row_ids,
                        }
                        if table == "djstripe_customer":
                            extra["subscriber_id"] = users[i]
                        if table == "djstripe_event":
                            extra["data"] = json.dumps(data["data"])
                        copy.write_row(
                            [
                                _value(c, k, n, data, extra)
                                for c, k, n in columns
                                if c != "djstripe_id"
                            ]
                        )
                        rows += 1
            if kind in SHARED:
                cur.execute(f"SELECT id, djstripe_id FROM {table}")
                row_ids.update(dict(cur.fetchall()))
        conn.commit()
    return rows


def _copy_of_kept(admin, server: str, name: str, customers: int) -> tuple[int, str]:
    """Create ``name`` as a copy of the kept dj-stripe database of
    ``customers`` customers, building that first if the cluster lacks it."""
    import psycopg

    kept = f"bench_switch_dj_stripe_{customers}"
    how = f"copied from {kept}"
    if not admin.execute(
        "SELECT 1 FROM pg_database WHERE datname = %s", [kept]
    ).fetchone():
        admin.execute(f'CREATE DATABASE "{kept}"')
        try:
            build(urlparse(server)._replace(path=f"/{kept}").geturl(), customers)
        except BaseException:
            admin.execute(f'DROP DATABASE "{kept}" WITH (FORCE)')
            raise
        how = f"built (kept as {kept})"
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{kept}"')
    rows = 0
    with psycopg.connect(urlparse(server)._replace(path=f"/{name}").geturl()) as conn:
        for table in TABLES.values():
            rows += conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return rows, how


def _server_cpu(admin) -> float | None:
    """CPU seconds of the PostgreSQL server's finished processes so far (its
    postmaster's reaped children: the migrate's connection, once closed),
    when the server runs on this machine; else None."""
    pid = admin.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        postmaster = re.search(r"^PPid:\s+(\d+)", status, re.M)
        fields = Path(f"/proc/{postmaster[1]}/stat").read_text().rsplit(")", 1)[1]
    except (OSError, TypeError):
        return None
    cutime, cstime = fields.split()[13:15]
    return (int(cutime) + int(cstime)) / os.sysconf("SC_CLK_TCK")


def _wait_disconnected(admin, name: str) -> None:
    """Until the database has no session left (the migrate's has ended)."""
    for _ in range(100):
        if not admin.execute(
            "SELECT 1 FROM pg_stat_activity WHERE datname = %s", [name]
        ).fetchone():
            return
        time.sleep(0.05)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _database() -> tuple[str, str | None]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return url, None
    out = subprocess.run(
        [str(ROOT / "scripts" / "postgres"), "start"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = dict(re.findall(r"export (\w+)=(\S+)", out))
    return found["DATABASE_URL"], found["DJSTRIPE_PG_DIR"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the built dj-stripe database in the cluster, or reuse it",
    )
    parser.add_argument(
        "--profile", type=Path, help="write cProfile stats of migrate here"
    )
    args = parser.parse_args(argv)
    if not LEGACY_PYTHON.exists():
        sys.exit(
            f"no dj-stripe virtualenv at {LEGACY_PYTHON}: run scripts/dj-stripe-venv"
        )
    server, pg_dir = _database()
    import psycopg

    name = f"bench_switch_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(server, autocommit=True)
    url = urlparse(server)._replace(path=f"/{name}").geturl()
    try:
        began = time.perf_counter()
        if args.keep:
            rows, how = _copy_of_kept(admin, server, name, args.customers)
        else:
            admin.execute(f'CREATE DATABASE "{name}"')
            rows, how = build(url, args.customers), "built"
        built = time.perf_counter() - began
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJSTRIPE_API_BASE": "http://127.0.0.1:9",
            "DJANGO_SETTINGS_MODULE": "tests.switch.settings",
            "PYTHONPATH": str(ROOT),
        }
        began, cpu, server = time.perf_counter(), _children_cpu(), _server_cpu(admin)
        profile = ["-m", "cProfile", "-o", str(args.profile)] if args.profile else []
        done = subprocess.run(
            [sys.executable, *profile, "-m", "django", "migrate"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.PIPE,  # the report; errors show as they come
            text=True,
        )
        took, cpu = time.perf_counter() - began, _children_cpu() - cpu
        _wait_disconnected(admin, name)
        if server is not None:
            server = _server_cpu(admin) - server
        report = done.stdout[done.stdout.index("Switched from dj-stripe") :]
        print(report)
        print(
            f"dj-stripe 2.11 database {how}: {args.customers:,} customers,"
            f" {rows:,} rows, in {built:.1f} s"
        )
        print(
            f"manage.py migrate (all migrations and the conversion): {took:.1f} s"
            f" wall clock, {cpu:.1f} s CPU in the migrate process"
            + (f", {server:.1f} s CPU in PostgreSQL" if server is not None else "")
        )
        print(f"load average: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        if pg_dir:
            subprocess.run([str(ROOT / "scripts" / "postgres"), "stop", pg_dir])


if __name__ == "__main__":
    main()
