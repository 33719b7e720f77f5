"""Load benchmark: signed events through gunicorn into PostgreSQL, at concurrency.

    python -m bench.load                       # 1,500 events; concurrency 8 and 32
    python -m bench.load --events 3000 --web-workers 4 --drainers 2

What it runs, against a private PostgreSQL (``scripts/postgres start``, with
``fsync`` turned back on unless ``--no-fsync``) and nothing but loopback:

* gunicorn with ``--web-workers`` sync workers serving the test site
  (``bench.served.counting``: Django's WSGI app with a statement counter);
* a fake Stripe served on 127.0.0.1, whose shop flows produced the events (a
  shop's mix, see ``bench.scenarios``) and which answers any re-read;
* a load generator: threads posting the events, signed, at each concurrency.

Phases: inline processing at each ``--concurrency``; dj-stripe 2.11 at each
``--concurrency`` (below); inline with psycopg's server-side binding; then the
web tier only stores (and queues), and the queue is drained by ``--drainers``
processes: Django Tasks' ``db_worker`` with one task per event, the same with
``DJSTRIPE_WEBHOOK_BATCH_SIZE = 100`` (a burst of requests queues one drain
task, which drains in batches), and, with ``DJSTRIPE_WEBHOOK_PROCESSING =
"store"``, ``djstripe_process_events --follow``. The drain processes run
as in production, until stopped; a drain is timed from the moment the first
is ready (Django set up) until the database shows nothing waiting, and its
CPU and statements are counted from that moment too.

dj-stripe 2.11 runs as a second site, in its own virtualenv
(``DJSTRIPE_LEGACY_VENV``, by default ``.e2e-venv``; ``scripts/dj-stripe-venv``
builds it), never imported here: gunicorn from that virtualenv (installed
once with its pip into a directory of its own, beside it on ``PYTHONPATH``),
the switching test's dj-stripe site (``tests/switch/legacy_site``), its own
database on the same cluster, migrated by dj-stripe, and a webhook endpoint
made with dj-stripe's admin form, whose secret signs the same events, posted
at the same concurrency to its ``webhook/<uuid>/`` URL. stripe-python is
pointed at the same fake (``STRIPE_API_HOST``), which made the events and
serves them, and counts dj-stripe's requests. Skipped, with a note, if the
virtualenv is missing.

After each phase it verifies that every acknowledged event is stored once
(one request row, one Event row, processed) and that every object the
events carry is current (its row is stamped with its latest event, and holds
that event's copy unless Stripe was asked). It prints, per phase: events/s,
p50/p95/p99 latency, CPU ms per event (web or drain processes, and
PostgreSQL), SQL statements per event, Stripe requests per event, and for the
drains, events/s end to end. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_djstripe_load"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

LEGACY_VENV = Path(os.environ.get("DJSTRIPE_LEGACY_VENV", ROOT / ".e2e-venv"))
LEGACY_PYTHON = LEGACY_VENV / "bin" / "python"
#: Where dj-stripe's virtualenv gets its gunicorn (the one djstripe's site uses).
LEGACY_GUNICORN = Path(tempfile.gettempdir(), "djstripe-bench-legacy-gunicorn")
SERVED = ROOT / "bench" / "served"
#: A Stripe id in a request path, for counting requests by endpoint.
_OBJECT_ID = re.compile(r"/[a-z]+_[a-z_]*[A-Z0-9]\w*")


# -- Measuring processes -----------------------------------------------------------


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def _cpu_tree(root: int) -> float:
    """CPU seconds of ``root``, its live children and the children it reaped."""
    total = 0.0
    try:
        fields = _stat(root)
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17 (11-14 after the name).
    total += sum(int(x) for x in fields[11:15]) / CLOCK_TICKS
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except OSError:
            continue
        if int(fields[1]) == root:
            total += sum(int(x) for x in fields[11:15]) / CLOCK_TICKS
    return total


def _postmaster_pid() -> int:
    return int(
        Path(os.environ["DJSTRIPE_PG_DIR"], "data", "postmaster.pid")
        .read_text()
        .split()[0]
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- Phases ----------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    concurrency: int = 8
    #: A drain command run by ``drainers`` processes after the posts, if any.
    drain: list[str] | None = None
    #: Served by dj-stripe 2.11 instead of djstripe.
    legacy: bool = False


@dataclass
class Site:
    """gunicorn serving a site, for one phase: djstripe's, or with ``python``
    and ``app`` given, another virtualenv's."""

    env: dict[str, str]
    workers: int
    warm_path: str
    python: Path = Path(sys.executable)
    app: str = "bench.served.counting:application"
    #: gunicorn puts its working directory on the path: for another
    #: virtualenv, not the checkout's root (whose ``djstripe`` would shadow).
    cwd: Path = ROOT
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    def __enter__(self) -> Site:
        self.process = subprocess.Popen(
            [
                str(self.python),
                "-m",
                "gunicorn",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--timeout",
                "120",
                self.app,
            ],
            cwd=self.cwd,
            env=self.env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)  # waiting for the server to listen, not timing
        else:
            raise RuntimeError("gunicorn did not start")
        self._warm_up()
        return self

    def _warm_up(self) -> None:
        """Load Django in every worker (on its first request) before timing:
        GETs, which the view refuses (405) after loading everything."""

        def get():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request("GET", self.warm_path)
            connection.getresponse().read()
            connection.close()

        threads = [threading.Thread(target=get) for _ in range(self.workers * 4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def __exit__(self, *exc) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def _post_all(
    port: int, path: str, events: list[dict], concurrency: int, secret: str = SECRET
) -> tuple[list[float], list[str], float]:
    """Post ``events`` signed, from ``concurrency`` threads; return the
    latencies (ms) of acknowledged events, the errors, and the wall time."""
    from djstripe.testing.webhooks import sign_payload

    bodies = [json.dumps(event) for event in events]
    counter = itertools.count()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker():
        while (index := next(counter)) < len(bodies):
            body = bodies[index]
            headers = {
                "Content-Type": "application/json",
                "Stripe-Signature": sign_payload(body, secret),
            }
            start = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except OSError as exc:
                status, detail = 0, str(exc)
            finally:
                connection.close()
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors.append(f"{events[index]['id']}: {status or detail}")

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - start


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _collect_statements(stats: Path) -> int:
    """The statements the processes counted since the last collection."""
    counts = [p for p in stats.iterdir() if p.name.isdigit()]
    total = sum(int(p.read_text() or 0) for p in counts)
    for p in counts:
        p.unlink()
    return total


def _run_phase(phase: Phase, events, fake_server, args, base_env) -> dict:
    from django.core.management import call_command
    from django.urls import reverse

    stats = Path(tempfile.mkdtemp(prefix="djstripe-load-"))
    if phase.legacy:
        site, secret, path = _legacy_site(stats, fake_server, args)
    else:
        call_command("flush", interactive=False, verbosity=0)
        env = {
            **base_env,
            "BENCH_STATS_DIR": str(stats),
            "BENCH_API_BASE": fake_server.url,
            "BENCH_SECRET": SECRET,
            "BENCH_CONN_MAX_AGE": "600",
            **phase.env,
        }
        path, secret = reverse("djstripe:webhook"), SECRET
        site = Site(env, args.web_workers, warm_path=path)
    requests_before = len(fake_server.fake.requests)
    postmaster = _postmaster_pid()
    db_before = _cpu_tree(postmaster)
    with site:
        web_before = _cpu_tree(site.process.pid)
        latencies, errors, wall = _post_all(
            site.port, path, events, phase.concurrency, secret
        )
        web_cpu = _cpu_tree(site.process.pid) - web_before
    db_cpu = _cpu_tree(postmaster) - db_before
    acked = len(latencies)
    row = {
        "phase": phase.name,
        "concurrency": phase.concurrency,
        "events": len(events),
        "acked": acked,
        "errors": len(errors),
        "events/s": round(acked / wall, 1),
        "p50 ms": round(_percentile(latencies, 0.50), 1),
        "p95 ms": round(_percentile(latencies, 0.95), 1),
        "p99 ms": round(_percentile(latencies, 0.99), 1),
        "web CPU ms/event": round(web_cpu * 1000 / max(acked, 1), 2),
        "db CPU ms/event": round(db_cpu * 1000 / max(acked, 1), 2),
        "web statements/event": round(_collect_statements(stats) / max(acked, 1), 2),
    }
    if phase.drain:
        row.update(_drain(phase, site.env, stats, args.drainers, acked))
    asked = fake_server.fake.requests[requests_before:]
    row["Stripe requests/event"] = round(len(asked) / max(acked, 1), 3)
    if asked:
        kinds = Counter(f"{m.upper()} {_OBJECT_ID.sub('/ID', p)}" for m, p, _ in asked)
        row["Stripe requests, most asked"] = ", ".join(
            f"{kind} ({count})" for kind, count in kinds.most_common(4)
        )
    if phase.legacy:
        row.update(_verify_legacy(site.env["DATABASE_URL"], events, errors))
    else:
        row.update(_verify(events, errors))
    for problem in errors[:3]:
        print(f"  error: {problem}", file=sys.stderr)
    return row


def _drain(phase: Phase, env: dict, stats: Path, drainers: int, acked: int) -> dict:
    """Run the drain workers on what the web tier queued; time them from
    the moment the first is ready (Django set up) to the last one's exit."""
    wall, cpu, db_cpu, statements, failures = _run_drainers(phase, env, stats, drainers)
    return {
        "drainers": drainers,
        "drain events/s": round(acked / wall, 1),
        "drain CPU ms/event": round(cpu * 1000 / max(acked, 1), 2),
        "drain db CPU ms/event": round(db_cpu * 1000 / max(acked, 1), 2),
        "drain statements/event": round(statements / max(acked, 1), 2),
        "drain failures": failures,
    }


def _run_drainers(phase: Phase, env: dict, stats: Path, drainers: int) -> tuple:
    """Wall seconds, CPU seconds of the drainers and of PostgreSQL, and
    statements, from the first drainer ready until nothing waits; and how
    many drainers failed.

    The drainers run as in production, until stopped (SIGTERM, once the
    database shows every request processed or failed), so that a drain
    task's helpers find idle workers."""
    from djstripe.models import WebhookEventTrigger

    assert phase.drain
    postmaster = _postmaster_pid()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.load", "--command", *phase.drain],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(drainers)
    ]
    # Polled: the database's CPU counts from the first ready drainer, and the
    # drain ends when nothing is waiting.
    while not any(stats.glob("ready-*")) and all(p.poll() is None for p in processes):
        time.sleep(0.005)
    db_before = _cpu_tree(postmaster)
    waiting = WebhookEventTrigger.objects.filter(
        valid=True, processed=False, attempts=0
    )
    deadline = time.monotonic() + 1800
    while waiting.exists() and time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break  # a drainer died: the failures say so
        time.sleep(0.02)
    ended = time.time()
    db_cpu = _cpu_tree(postmaster) - db_before
    cpu = 0.0
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
    ready = [p.read_text().split() for p in stats.glob("ready-*")]
    for p in stats.glob("ready-*"):
        p.unlink()
    began = min(float(r[0]) for r in ready)
    cpu -= sum(float(r[1]) for r in ready)
    statements = _collect_statements(stats) - sum(int(r[2]) for r in ready)
    failures = sum(p.returncode != 0 for p in processes)
    return ended - began, cpu, db_cpu, statements, failures


# -- dj-stripe 2.11 -------------------------------------------------------------------


def _legacy_env(database_url: str, extra: dict[str, str] | None = None) -> dict:
    """The environment of dj-stripe's processes: its settings, its database,
    Stripe at the fake; on its path, never the checkout's root (whose
    ``djstripe`` would shadow dj-stripe's)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTHON", "BENCH_"))
    }
    path = [LEGACY_GUNICORN, SERVED, ROOT / "tests" / "switch"]
    return {
        **env,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "legacy_settings",
        "PYTHONPATH": os.pathsep.join(map(str, path)),
        **(extra or {}),
    }


def _prepare_legacy(fake_url: str) -> str | None:
    """dj-stripe's database, created on the cluster and migrated by
    dj-stripe, and gunicorn for its virtualenv; ``None`` (with a note) if
    that virtualenv is missing."""
    if not LEGACY_PYTHON.exists():
        print(
            f"no dj-stripe virtualenv at {LEGACY_PYTHON} (scripts/dj-stripe-venv):"
            " dj-stripe 2.11 is not measured",
            file=sys.stderr,
        )
        return None
    if not (LEGACY_GUNICORN / "gunicorn").exists():
        from importlib.metadata import version

        subprocess.run(
            [
                str(LEGACY_PYTHON),
                *("-m", "pip", "install", "-q", "--disable-pip-version-check"),
                *("--target", str(LEGACY_GUNICORN), f"gunicorn=={version('gunicorn')}"),
            ],
            check=True,
        )
    import psycopg
    from django.db import connection

    url = os.environ["DATABASE_URL"]
    name = "bench_load_dj_stripe"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    legacy_url = urlparse(url)._replace(path=f"/{name}").geturl()
    assert connection.settings_dict["NAME"] != name
    subprocess.run(
        [str(LEGACY_PYTHON), "-m", "django", "migrate", "-v0"],
        cwd=SERVED,
        env=_legacy_env(legacy_url, {"STRIPE_API_HOST": fake_url}),
        check=True,
    )
    return legacy_url


def _legacy_site(stats: Path, fake_server, args) -> tuple[Site, str, str]:
    """dj-stripe's site for one phase, on an emptied database with a new
    webhook endpoint; and the endpoint's secret and URL path."""
    env = _legacy_env(
        args.legacy_url,
        {"STRIPE_API_HOST": fake_server.url, "BENCH_STATS_DIR": str(stats)},
    )
    out = subprocess.run(
        [str(LEGACY_PYTHON), "-m", "legacy_setup"],
        cwd=SERVED,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    endpoint = json.loads(out.strip().splitlines()[-1])
    path = f"/stripe/webhook/{endpoint['uuid']}/"
    site = Site(
        env,
        args.web_workers,
        path,
        python=LEGACY_PYTHON,
        app="counting:application",
        cwd=SERVED,
    )
    return site, endpoint["secret"], path


def _verify_legacy(database_url: str, events: list[dict], errors: list[str]) -> dict:
    """Every acknowledged event stored once, processed, and an Event row, in
    dj-stripe's tables (read with SQL: dj-stripe is not imported here)."""
    import psycopg

    failed = {line.split(":", 1)[0] for line in errors}
    acked = [e["id"] for e in events if e["id"] not in failed]
    with psycopg.connect(database_url) as conn:
        triggers = conn.execute(
            "SELECT count(*) FILTER (WHERE valid AND processed), count(*)"
            " FROM djstripe_webhookeventtrigger"
        ).fetchone()
        mirrored = conn.execute(
            "SELECT count(*) FROM djstripe_event WHERE id = ANY(%s)", [acked]
        ).fetchone()
    return {
        "stored once": f"{triggers[0]}/{len(acked)} processed, {triggers[1]} stored",
        "Event rows": mirrored[0],
    }


def _verify(events: list[dict], errors: list[str]) -> dict:
    """Every acknowledged event stored once and processed; every object current."""
    from djstripe import sync
    from djstripe.models import Event, WebhookEventTrigger
    from djstripe.sync.engine import STAMP, normalize

    failed = {line.split(":", 1)[0] for line in errors}
    acked = {e["id"] for e in events} - failed
    triggers = WebhookEventTrigger.objects.filter(valid=True)
    by_event: dict[str, list[bool]] = {}
    for event_id, processed in triggers.values_list("event", "processed"):
        by_event.setdefault(event_id, []).append(processed)
    stored_once = sum(by_event.get(i) == [True] for i in acked)
    mirrored = Event.objects.filter(id__in=acked).count()
    latest: dict[str, dict] = {}
    for event in events:  # in the order things happened
        if event["id"] in acked:
            obj = event["data"]["object"]
            current = latest.get(obj["id"])
            if current is None or event["created"] >= current["created"]:
                latest[obj["id"]] = event
    stale = wrong = 0
    for object_id, event in latest.items():
        obj = event["data"]["object"]
        model = sync.model_for(obj.get("object"))
        if model is None:
            continue
        row = model._base_manager.filter(id=object_id).values(STAMP, "stripe_data")
        row = row.first()
        if event["type"].endswith(".deleted") and not row:
            continue
        stamp = row[STAMP].timestamp() if row else 0
        if stamp < event["created"]:
            stale += 1
        elif stamp == event["created"] and row["stripe_data"] != normalize(model, obj):
            wrong += 1
    return {
        "stored once": f"{stored_once}/{len(acked)}",
        "Event rows": mirrored,
        "stale objects": stale,
        "wrong objects": wrong,
    }


# -- Orchestration -------------------------------------------------------------------


def _postgres() -> str | None:
    """A private cluster unless ``DATABASE_URL`` names a PostgreSQL one;
    returns its directory if started here."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return None
    out = subprocess.run(
        [str(ROOT / "scripts" / "postgres"), "start"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        os.environ[key] = value
    return os.environ["DJSTRIPE_PG_DIR"]


def _durable(on: bool) -> None:
    """Turn fsync and synchronous commit back on (the private cluster starts
    without them, for tests); a production database runs with both."""
    from django.db import connection

    value = "on" if on else "off"
    with connection.cursor() as cursor:
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            cursor.execute(f"ALTER SYSTEM SET {name} = {value}")
        cursor.execute("SELECT pg_reload_conf()")


def _phases(args) -> list[Phase]:
    inline = [Phase(f"inline c={c}", concurrency=c) for c in args.concurrency]
    if not args.no_dj_stripe:
        inline += [
            Phase(f"dj-stripe 2.11 c={c}", concurrency=c, legacy=True)
            for c in args.concurrency
        ]
    binding = Phase(
        f"inline c={args.concurrency[0]}, server-side binding",
        {"BENCH_SERVER_SIDE_BINDING": "1"},
        args.concurrency[0],
    )
    task = {"BENCH_PROCESSING": "task"}
    queue = {**task, "BENCH_TASKS": "django_tasks_db.DatabaseBackend"}
    worker = ["db_worker", "--no-startup-delay", "--interval", "0.05"]
    c = args.concurrency[-1]
    return [
        *inline,
        binding,
        Phase("task, a task per event", queue, c, worker),
        Phase(
            "task, a drain per task (batch 100)",
            {**queue, "BENCH_BATCH_SIZE": "100"},
            c,
            worker,
        ),
        Phase(
            "task, --follow (batch 100)",
            {"BENCH_PROCESSING": "store"},
            c,
            [
                "djstripe_process_events",
                *("--follow", "--batch-size", "100", "--interval", "0.05"),
            ],
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--command"]:
        from .served.counting import run_command

        run_command(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1500)
    parser.add_argument(
        "--concurrency", type=lambda v: [int(x) for x in v.split(",")], default=[8, 32]
    )
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--drainers", type=int, default=2)
    parser.add_argument("--only", default="", help="Phases whose name contains this.")
    parser.add_argument("--no-fsync", action="store_true")
    parser.add_argument(
        "--no-dj-stripe", action="store_true", help="Do not measure dj-stripe 2.11."
    )
    args = parser.parse_args(argv)
    print(f"load: {os.getloadavg()} ({os.cpu_count()} CPUs)", file=sys.stderr)

    pg_dir = _postgres()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    base_env = dict(os.environ)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from djstripe.testing import FakeStripe
        from djstripe.testing.server import FakeStripeServer

        from .scenarios import _event_mix

        call_command("migrate", verbosity=0, interactive=False)
        _durable(not args.no_fsync)
        fake = FakeStripe(seed=7)
        events = _event_mix(args.events, fake)
        rows = []
        with FakeStripeServer(fake) as server:
            phases = [p for p in _phases(args) if args.only in p.name]
            if any(p.legacy for p in phases):
                args.legacy_url = _prepare_legacy(server.url)
                if args.legacy_url is None:
                    phases = [p for p in phases if not p.legacy]
            for phase in phases:
                print(f"-- {phase.name} ...", file=sys.stderr, flush=True)
                rows.append(_run_phase(phase, events, server, args, base_env))
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        _print(rows, args)
    finally:
        if pg_dir:
            subprocess.run([str(ROOT / "scripts" / "postgres"), "stop", pg_dir])
    return 0


def _print(rows: list[dict], args) -> None:
    print(
        f"\n{args.events} events, gunicorn {args.web_workers} sync workers, "
        f"{args.drainers} drain processes, {os.cpu_count()} CPUs\n"
    )
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for row in rows:
        print(f"### {row['phase']}")
        for column in columns[1:]:
            if column in row:
                print(f"- {column}: {row[column]}")
        print()
    by_name = {row["phase"]: row for row in rows}
    for c in args.concurrency:
        ours, theirs = (
            by_name.get(f"inline c={c}"),
            by_name.get(f"dj-stripe 2.11 c={c}"),
        )
        if ours and theirs and theirs["events/s"]:
            ratio = ours["events/s"] / theirs["events/s"]
            print(f"djstripe inline / dj-stripe 2.11, c={c}: {ratio:.2f}x events/s")
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    raise SystemExit(main())
