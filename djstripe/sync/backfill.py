"""Back-filling the mirror from Stripe's list endpoints.

:func:`backfill` lists every object of the chosen types, a page of 100 at a
time with each model's ``expand_fields`` applied, and writes each page with
one :func:`djstripe.sync.upsert` call: no per-object query, no per-object
request. It is three steps, each in a module of its own:

* **planning** (:mod:`djstripe.sync.plan`): which types and parent-scoped
  lists, split into ``created`` ranges, resuming an interrupted run from its
  :class:`~djstripe.models.SyncCheckpoint` rows;
* **running** (:mod:`djstripe.sync.run`, :mod:`djstripe.sync.parents`):
  types and ranges on a pool of threads, then the collections Stripe lists
  only under a parent (a customer's payment methods), all under the
  transport's shared rate limiter;
* **replay** (:mod:`djstripe.sync.replay`): the newest event is noted first
  and every event created since is replayed at the end, so changes made while
  the back-fill ran are not lost.

It fails loudly: when Stripe cannot be reached or refuses the key, the run
stops at once with :class:`SyncAborted`; a type that fails is reported in
the :class:`SyncReport`, whose ``summary()`` says so in one line.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import connections, router
from django.utils import timezone

from .. import stripe_api
from ..settings import djstripe_settings
from .checkpoints import checkpoint_model, scope_for
from .parents import ParentList
from .plan import (
    dependency_order,
    is_backfilled,
    is_listable,
    job_key,
    list_params,
    listable_models,
    make_plan,
    resolve_models,
    split_ranges,
)
from .progress import Progress
from .replay import NoEventCursor, catch_up, note_newest_event, replay_after_backfill
from .report import SyncAborted, SyncReport, TypeStats
from .run import RunContext, complete_sublists, run_plan

if TYPE_CHECKING:
    from djstripe.models.base import StripeModel

__all__ = [
    "NoEventCursor",
    "ParentList",
    "SyncAborted",
    "SyncReport",
    "TypeStats",
    "backfill",
    "catch_up",
    "complete_sublists",
    "dependency_order",
    "is_backfilled",
    "is_listable",
    "job_key",
    "list_params",
    "listable_models",
    "resolve_models",
    "split_ranges",
]

logger = logging.getLogger("djstripe.sync")


def backfill(
    models: Sequence[type[StripeModel]] | None = None,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
    since: int | None = None,
    until: int | None = None,
    workers: int = 1,
    restart: bool = False,
    fail_fast: bool = False,
    gap_free: bool = True,
    progress: Progress | None = None,
) -> SyncReport:
    """Mirror every object of ``models`` (default: every back-filled type).

    :param stripe_account: a connected account to act for (its objects are
        mirrored with it as their owner account).
    :param since: only objects created at or after this Unix time.
    :param until: only objects created before this Unix time.
    :param workers: threads fetching types and ranges at once. With one, or
        when called inside a transaction, everything runs in the calling
        thread (and its database connection).
    :param restart: ignore checkpoints: start every type over.
    :param fail_fast: stop everything at the first type that fails.
    :param gap_free: note the newest event first and replay every event
        created since at the end (one request each way, plus the pages of
        events).
    :raises SyncAborted: Stripe is unreachable or refused the key.
    """
    api_key = api_key or djstripe_settings.STRIPE_SECRET_KEY
    models = list(models) if models is not None else listable_models()
    workers = _usable_workers(workers)
    ctx = RunContext(
        api_key, stripe_account, progress or Progress(), fail_fast, since, until
    )
    with stripe_api.counter.counting() as requests:
        report = SyncReport()
        marker = (
            note_newest_event(api_key, stripe_account, report) if gap_free else None
        )
        scope = scope_for(api_key, stripe_account)
        plan = make_plan(
            models,
            scope=scope,
            api_key=api_key,
            stripe_account=stripe_account,
            since=since,
            until=until,
            parts=workers,
            restart=restart,
            marker=marker,
            # Stripe's clock where we have it: the ranges split what Stripe holds.
            now=int(((marker and marker.seen_at) or timezone.now()).timestamp()),
            hints=workers > 1 or progress is not None,
        )
        plan.report.warnings += report.warnings
        report = plan.report
        try:
            run_plan(plan, ctx, workers)
            if ctx.fatal is not None:
                raise SyncAborted(
                    stripe_api.describe_failure(ctx.fatal, api_key), report
                ) from ctx.fatal
            if gap_free and marker is not None and not ctx.stop.is_set():
                report.replay = replay_after_backfill(
                    marker,
                    plan.checkpoints,
                    plan.rows,
                    scope=scope,
                    api_key=api_key,
                    stripe_account=stripe_account,
                )
        finally:
            ctx.progress.close()
            report.requests = requests.total
            report.retries = requests.retries
            report.rate_limited = requests.rate_limited
    return report


def _usable_workers(workers: int) -> int:
    using = router.db_for_write(checkpoint_model())
    if workers > 1 and connections[using].in_atomic_block:
        # Worker threads have connections of their own: they could neither see
        # nor wait for what this open transaction writes.
        logger.info("Inside a transaction: syncing in this thread only.")
        return 1
    return max(1, workers)
