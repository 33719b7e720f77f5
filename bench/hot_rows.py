"""``python -m bench.hot_rows``: do concurrent events queue on a shared row?

Eight writers mirror ``customer.updated`` events at once on PostgreSQL
(``DATABASE_URL``), each event carrying its own customer. In the *shared* run
every customer embeds the same discount, unchanged (as events embed the
platform account, a popular price, a coupon); in the *distinct* run each
embeds its own. A sampler polls ``pg_locks`` for lock requests not granted.
Prints events/s and the share of samples that saw a writer waiting: the
figures to compare, not a timed assertion.
"""

from __future__ import annotations

import argparse
import os
import threading
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--events", type=int, default=100, help="per writer")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench.hot_rows needs PostgreSQL: set DATABASE_URL")
    call_command("migrate", verbosity=0, interactive=False)
    for shared in (True, False):
        call_command("flush", interactive=False, verbosity=0)
        rate, waiting = _run(args.writers, args.events, shared=shared)
        label = "one shared discount" if shared else "distinct discounts"
        print(
            f"{label:20} {args.writers} writers: {rate:7.0f} events/s, "
            f"a writer waiting on a lock in {waiting:5.1%} of samples"
        )
    return 0


def _event(writer: int, n: int, shared: bool) -> dict:
    from djstripe.testing import templates

    examples = templates.fixtures()
    discount = dict(examples["discount"], id="di_shared")
    if not shared:
        discount["id"] = f"di_{writer}_{n}"
    customer = dict(
        examples["customer"],
        id=f"cus_{writer}_{n}",
        discount=discount,
        livemode=False,
    )
    return dict(
        examples["event"],
        id=f"evt_{writer}_{n}",
        type="customer.updated",
        created=1_700_000_000 + n,
        livemode=False,
        data={"object": customer},
    )


def _run(writers: int, count: int, *, shared: bool) -> tuple[float, float]:
    from django.db import connections, transaction

    from djstripe import sync

    batches = [[_event(w, n, shared) for n in range(count)] for w in range(writers)]
    barrier = threading.Barrier(writers + 1)
    done = threading.Event()
    samples = {"all": 0, "waiting": 0}

    def write(events: list[dict]) -> None:
        try:
            barrier.wait()
            for event in events:
                with transaction.atomic():
                    sync.upsert([event], refetch="never")
        finally:
            connections.close_all()

    def sample() -> None:
        with connections["default"].cursor() as cursor:
            while not done.is_set():
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                samples["all"] += 1
                samples["waiting"] += bool(cursor.fetchone()[0])
        connections.close_all()

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    sampler = threading.Thread(target=sample)
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    sampler.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    return writers * count / elapsed, samples["waiting"] / max(1, samples["all"])


if __name__ == "__main__":
    raise SystemExit(main())
