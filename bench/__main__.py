"""``python -m bench``: what a webhook event and a synced object cost.

Runs the scenarios in :mod:`bench.scenarios` on SQLite and on PostgreSQL (a
private cluster started by ``scripts/postgres`` unless ``DATABASE_URL`` names
one), prints one table per scenario and database, and with ``--check`` exits
non-zero when a count exceeds its target. Counts only are checked; timings are
printed, never asserted.

    python -m bench                 # 1k/10k/100k back-fill, 1,000 events, admin over 10k
    python -m bench --only shapes   # the mix's events on Stripe's published objects
    python -m bench --quick --check # what CI runs: 1k, counts checked
    python -m bench.pace            # a back-fill at Stripe's pace (latency, 25 req/s)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The targets, from docs/benchmarks.md: queries for any webhook event of the
#: mix (inline processing), queries per list page of 100, memory growth. On
#: Stripe's published example objects, which embed more mirrored objects than
#: a webhook payload does, an event's target is one statement per model its
#: payload holds (see ``scenarios.published_shapes``).
MAX_QUERIES_PER_EVENT = 5
MAX_QUERIES_PER_PAGE = 5
MAX_MEMORY_GROWTH_MIB = 50


def _run(database: str, args: list[str]) -> dict:
    env = dict(os.environ)
    pg_dir = None
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
    elif not env.get("DATABASE_URL", "").startswith("postgres"):
        out = subprocess.run(
            [str(ROOT / "scripts" / "postgres"), "start"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for line in out.splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
        pg_dir = env["DJSTRIPE_PG_DIR"]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.run", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        if pg_dir:
            subprocess.run(
                [str(ROOT / "scripts" / "postgres"), "stop", pg_dir], check=False
            )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"benchmark on {database} failed")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("BENCH-RESULT "))
    return json.loads(line.removeprefix("BENCH-RESULT "))


def _table(title: str, rows: list[dict]) -> None:
    print(f"\n### {title}\n")
    if not rows:
        print("(nothing)")
        return
    columns = list(dict.fromkeys(key for row in rows for key in row))
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")


def _problems(result: dict) -> list[str]:
    problems = []
    for row in result.get("webhooks", []) + result.get("shapes", []):
        where = f"webhooks {row['mode']} {row['event type']}"
        if row["requests/event"] > 0:
            problems.append(
                f"{where}: {row['requests/event']} Stripe requests per event"
            )
        target = row.get("target", MAX_QUERIES_PER_EVENT)
        if row["mode"] != "task" and row["max queries"] > target:
            problems.append(
                f"{where}: {row['max queries']} queries for an event > {target}"
            )
    backfill = result.get("backfill", [])
    for row in backfill:
        where = f"back-fill {row['type']} N={row['N']}"
        if row["list requests"] != row["target"]:
            problems.append(
                f"{where}: {row['list requests']} list requests != {row['target']}"
            )
        if row["queries/page"] > MAX_QUERIES_PER_PAGE:
            problems.append(f"{where}: {row['queries/page']} queries per page")
        if row["resync rewritten"]:
            problems.append(f"{where}: re-sync rewrote {row['resync rewritten']} rows")
        if row["rows"] < row["N"]:
            problems.append(f"{where}: only {row['rows']} rows mirrored")
    by_type: dict[str, list[dict]] = {}
    for row in backfill:
        by_type.setdefault(row["type"], []).append(row)
    for label, rows in by_type.items():
        if len(rows) > 1:
            growth = rows[-1]["peak MiB"] - rows[0]["peak MiB"]
            if growth > MAX_MEMORY_GROWTH_MIB:
                problems.append(f"back-fill {label}: peak memory grew {growth:.1f} MiB")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument(
        "--quick", action="store_true", help="1k objects, 300 events, 1k admin rows"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a count misses its target"
    )
    parser.add_argument("--sizes", help="back-fill sizes, e.g. 1000,10000,100000")
    parser.add_argument("--only", default="webhooks,shapes,backfill,admin")
    args = parser.parse_args(argv)

    run_args = ["--only", args.only]
    if args.quick:
        run_args += [
            "--sizes",
            args.sizes or "1000",
            "--events",
            "300",
            "--admin-rows",
            "1000",
        ]
    else:
        run_args += ["--sizes", args.sizes or "1000,10000,100000"]
    databases = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    failed = False
    for database in databases:
        result = _run(database, run_args)
        print(f"\n## {result['database']}")
        for key in ("webhooks", "shapes", "backfill", "admin"):
            if key in result:
                _table(f"{key} ({result['database']})", result[key])
        problems = _problems(result)
        for problem in problems:
            print(f"TARGET MISSED: {problem}")
        failed |= bool(problems)
    if args.check:
        print("\nbench check: " + ("FAILED" if failed else "all counts within targets"))
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
