"""One benchmark process: one database, the chosen scenarios, JSON out.

Run by :mod:`bench` (``python -m bench``) once per database, because Django's
database settings are fixed for the life of a process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000")
    parser.add_argument("--types", default="")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--admin-rows", type=int, default=10000)
    parser.add_argument("--only", default="backfill,webhooks,shapes,admin")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from . import scenarios

    call_command("migrate", verbosity=0, interactive=False)
    only = set(args.only.split(","))
    results: dict[str, object] = {"database": scenarios.database()}
    if "webhooks" in only:
        results["webhooks"] = scenarios.webhooks(args.events)
    if "shapes" in only:
        results["shapes"] = scenarios.published_shapes()
    if "backfill" in only:
        sizes = [int(s) for s in args.sizes.split(",")]
        types = [t for t in args.types.split(",") if t] or None
        results["backfill"] = scenarios.backfill(sizes, types)
    if "admin" in only:
        results["admin"] = scenarios.admin(args.admin_rows)
    sys.stdout.write("BENCH-RESULT " + json.dumps(results) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
