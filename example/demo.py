"""The djstripe demo: mirror a Stripe account into a fresh database.

This first version mirrors Stripe's published example objects through the
mirror engine and prints what landed in each table. It grows with the fake
Stripe, the webhooks and the sync command (see docs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-serve", action="store_true", help="exit after the summary"
    )
    parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command

    from djstripe import sync

    call_command("migrate", verbosity=0)
    fixtures = json.loads(
        (HERE.parent / "tests" / "data" / "stripe_fixtures.json").read_text()
    )
    result = sync.upsert(list(fixtures.values()))
    print(f"Mirrored {result.written} objects ({result.ignored} of unmirrored types):")
    for label, ids in sorted(result.written_ids.items()):
        print(f"  {label:<32} {len(ids)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
