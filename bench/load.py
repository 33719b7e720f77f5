"""Load benchmark: signed events through gunicorn into PostgreSQL, at concurrency.

    python -m bench.load                       # 1,500 events; concurrency 8 and 32
    python -m bench.load --events 3000 --web-workers 4 --drainers 2

What it runs, against a private PostgreSQL (``scripts/postgres start``, with
``fsync`` turned back on unless ``--no-fsync``) and nothing but loopback:

* gunicorn with ``--web-workers`` sync workers serving the test site (this
  module's :func:`application`, Django's WSGI app with a statement counter);
* a fake Stripe served on 127.0.0.1, whose shop flows produced the events (a
  shop's mix, see ``bench.scenarios``) and which answers any re-read;
* a load generator: threads posting the events, signed, at each concurrency.

Phases: inline processing at each ``--concurrency``; inline with psycopg's
server-side binding; then the web tier only stores (and queues), and the queue is drained by ``--drainers`` processes: Django Tasks'
``db_worker`` with one task per event, the same with
``DJSTRIPE_WEBHOOK_BATCH_SIZE = 100`` (each task drains a batch), and, with
``DJSTRIPE_WEBHOOK_PROCESSING = "store"``, ``djstripe_process_events
--follow --once``.

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
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_djstripe_load"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# -- Served side: the WSGI app, and worker processes with a statement counter -----

_statement_count = 0
_application = None


def _count(execute, sql, params, many, context):
    global _statement_count
    _statement_count += 1
    return execute(sql, params, many, context)


def _install_counter() -> None:
    """Count the statements of every database connection this process opens
    (transaction control included: a statement is a round trip)."""
    from django.db.backends.signals import connection_created

    def install(sender, connection, **kwargs):
        if _count not in connection.execute_wrappers:
            connection.execute_wrappers.append(_count)

    connection_created.connect(install, weak=False)


def _save_count() -> None:
    stats = os.environ.get("BENCH_STATS_DIR")
    if stats:
        Path(stats, str(os.getpid())).write_text(str(_statement_count))


def application(environ, start_response):
    """Django's WSGI application, counting statements per process."""
    global _application
    if _application is None:
        from django.core.wsgi import get_wsgi_application

        _install_counter()
        _application = get_wsgi_application()
    try:
        return _application(environ, start_response)
    finally:
        _save_count()


def _run_command(argv: list[str]) -> None:
    """``python -m bench.load --command NAME ARGS``: a management command
    with the statement counter (the drain workers)."""
    import django

    django.setup()
    _install_counter()
    from django.core.management import call_command

    try:
        call_command(*argv)
    finally:
        _save_count()


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
    #: What the drain processes cost on an empty queue: wall, CPU and
    #: database CPU seconds, statements.
    idle: tuple = (0.0, 0.0, 0.0, 0)


@dataclass
class Site:
    """gunicorn serving the site, for one phase."""

    env: dict[str, str]
    workers: int
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    def __enter__(self) -> Site:
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
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
                "bench.load:application",
            ],
            cwd=ROOT,
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
        from django.urls import reverse

        def get():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            connection.request("GET", reverse("djstripe:webhook"))
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
    port: int, path: str, events: list[dict], concurrency: int
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
                "Stripe-Signature": sign_payload(body, SECRET),
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
    total = sum(int(p.read_text() or 0) for p in stats.iterdir())
    for p in stats.iterdir():
        p.unlink()
    return total


def _run_phase(phase: Phase, events, fake_server, args, base_env) -> dict:
    from django.core.management import call_command
    from django.urls import reverse

    call_command("flush", interactive=False, verbosity=0)
    stats = Path(tempfile.mkdtemp(prefix="djstripe-load-"))
    env = {
        **base_env,
        "BENCH_STATS_DIR": str(stats),
        "BENCH_API_BASE": fake_server.url,
        "BENCH_SECRET": SECRET,
        "BENCH_CONN_MAX_AGE": "600",
        **phase.env,
    }
    if phase.drain:
        _idle_drain(phase, env, stats, args.drainers)
    requests_before = len(fake_server.fake.requests)
    postmaster = _postmaster_pid()
    db_before = _cpu_tree(postmaster)
    with Site(env, args.web_workers) as site:
        web_before = _cpu_tree(site.process.pid)
        latencies, errors, wall = _post_all(
            site.port, reverse("djstripe:webhook"), events, phase.concurrency
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
        row.update(_drain(phase, env, stats, args.drainers, acked))
    row["Stripe requests/event"] = round(
        (len(fake_server.fake.requests) - requests_before) / max(acked, 1), 3
    )
    row.update(_verify(events, errors))
    for problem in errors[:3]:
        print(f"  error: {problem}", file=sys.stderr)
    return row


def _drain(phase: Phase, env: dict, stats: Path, drainers: int, acked: int) -> dict:
    """Run the drain workers on what the web tier queued; time them, less
    what the same processes cost on an empty queue (starting Django)."""
    _collect_statements(stats)
    wall, cpu, db_cpu, failures = _run_drainers(phase, env, drainers)
    statements = _collect_statements(stats)
    return {
        "drainers": drainers,
        "drain events/s": round(acked / max(wall - phase.idle[0], 1e-3), 1),
        "drain CPU ms/event": round((cpu - phase.idle[1]) * 1000 / max(acked, 1), 2),
        "drain db CPU ms/event": round(
            (db_cpu - phase.idle[2]) * 1000 / max(acked, 1), 2
        ),
        "drain statements/event": round(
            (statements - phase.idle[3]) / max(acked, 1), 2
        ),
        "drain start-up s (subtracted)": round(phase.idle[0], 2),
        "drain failures": failures,
    }


def _idle_drain(phase: Phase, env: dict, stats: Path, drainers: int) -> None:
    """What the drain processes cost with nothing to do."""
    _collect_statements(stats)
    wall, cpu, db_cpu, _ = _run_drainers(phase, env, drainers)
    phase.idle = (wall, cpu, db_cpu, _collect_statements(stats))


def _run_drainers(phase: Phase, env: dict, drainers: int) -> tuple:
    postmaster = _postmaster_pid()
    db_before = _cpu_tree(postmaster)
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.load", "--command", *phase.drain],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(drainers)
    ]
    cpu = 0.0
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
    wall = time.perf_counter() - start
    db_cpu = _cpu_tree(postmaster) - db_before
    return wall, cpu, db_cpu, sum(p.returncode != 0 for p in processes)


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
    binding = Phase(
        f"inline c={args.concurrency[0]}, server-side binding",
        {"BENCH_SERVER_SIDE_BINDING": "1"},
        args.concurrency[0],
    )
    task = {"BENCH_PROCESSING": "task"}
    queue = {**task, "BENCH_TASKS": "django_tasks_db.DatabaseBackend"}
    worker = ["db_worker", "--batch", "--no-startup-delay", "--interval", "0"]
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
            ["djstripe_process_events", "--follow", "--once", "--batch-size", "100"],
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--command"]:
        _run_command(argv[1:])
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
    args = parser.parse_args(argv)

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
            for phase in _phases(args):
                if args.only and args.only not in phase.name:
                    continue
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


if __name__ == "__main__":
    raise SystemExit(main())
