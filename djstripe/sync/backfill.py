"""Back-filling the mirror from Stripe's list endpoints.

:func:`backfill` lists every object of the chosen types, a page of 100 at a
time with each model's ``expand_fields`` applied, and writes each page with
one :func:`djstripe.sync.upsert` call: no per-object query, no per-object
request. Around that loop it is

* **parallel**: types, and ``created`` ranges of a large type, are fetched by
  a pool of threads, all under the transport's shared rate limiter;
* **resumable**: a :class:`~djstripe.models.SyncCheckpoint` row per range
  holds the cursor, so an interrupted run continues after the last page it
  recorded instead of starting over;
* **gap-free**: the newest event is noted first and every event created since
  is replayed at the end (:mod:`djstripe.sync.events`), so changes made while
  the back-fill ran are not lost;
* **fault tolerant**: 429 and 5xx are retried by the transport; a type the key
  may not read, or that the account lacks, is skipped with a warning; one
  failing type does not stop the others unless asked (``fail_fast``).

Lists that Stripe truncates inside an object (an invoice's ``lines``, a
subscription's ``items``, beyond 10) are completed from their own URL before
the page is written (:func:`complete_sublists`).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import stripe
from django.db import connections
from django.db.models import Count, Min
from django.utils import timezone

from .. import stripe_api
from ..fields import StripeForeignKey
from ..settings import djstripe_settings
from . import engine, registry
from .checkpoints import EVENT_CURSOR, EventCursor, checkpoint_model, scope_for
from .events import (
    CURSOR_WARNING_AGE,
    EventMarker,
    ReplayResult,
    newest_event,
    replay_events_after,
)
from .progress import Progress

if TYPE_CHECKING:
    from djstripe.models.base import StripeModel

logger = logging.getLogger("djstripe.sync")

PAGE_SIZE = 100
#: Pages that wrote nothing between two checkpoint writes. A page that wrote
#: rows is always recorded; re-reading an unchanged page after a crash costs
#: one request and no write, about what recording it would have cost.
CHECKPOINT_EVERY = 10
#: A type is split into ``created`` ranges of at least this many objects (by
#: the mirror's count from earlier runs) when several workers are available.
SPLIT_SIZE = 1000


# -- Which types ----------------------------------------------------------------


def is_listable(model: type[StripeModel]) -> bool:
    """Whether a back-fill lists ``model`` from its own endpoint."""
    if model.stripe_object_name == EVENT_CURSOR:
        return False  # events are replayed (events.py), never back-filled
    if model.stripe_listable is not None:
        return model.stripe_listable
    return isinstance(model.stripe_class, type) and issubclass(
        model.stripe_class, stripe.ListableAPIResource
    )


def dependency_order(models: Iterable[type[StripeModel]]) -> list[type[StripeModel]]:
    """``models`` with the targets of their relations first (then by name).

    Relations need no order to resolve (they point at Stripe ids), but rows
    whose targets are already there are more useful to look at early.
    """
    pending = {model: _targets(model) for model in models}
    ordered: list[type[StripeModel]] = []
    while pending:
        ready = (
            sorted(
                (m for m, deps in pending.items() if not deps & pending.keys()),
                key=lambda m: m.__name__,
            )
            or sorted(pending, key=lambda m: m.__name__)[:1]
        )  # a cycle: break it
        for model in ready:
            ordered.append(model)
            del pending[model]
    return ordered


def _targets(model: type[StripeModel]) -> set[type]:
    return {
        f.related_model
        for f in model._meta.concrete_fields
        if isinstance(f, StripeForeignKey) and f.related_model is not model
    }


def listable_models() -> list[type[StripeModel]]:
    """Every registered model a back-fill lists, in dependency order."""
    models = {m for m in registry.registered().values() if is_listable(m)}
    return dependency_order(models)


def resolve_models(names: Sequence[str]) -> list[type[StripeModel]]:
    """Models named ``Customer``, ``djstripe.Customer`` or ``customer``.

    :raises ValueError: for an unknown name, or a type that is not back-filled.
    """
    known: dict[str, type[StripeModel]] = {}
    for object_name, model in registry.registered().items():
        for key in (model.__name__, model._meta.label, object_name):
            known.setdefault(key.lower(), model)
    models: list[type[StripeModel]] = []
    for name in names:
        model = known.get(name.lower())
        if model is None:
            choices = ", ".join(sorted({m.__name__ for m in known.values()}))
            raise ValueError(f"Unknown model {name!r}. Known: {choices}.")
        if model.stripe_object_name == EVENT_CURSOR:
            raise ValueError(
                "Events are not back-filled: a back-fill replays the events "
                "created while it runs, and --catch-up replays the rest."
            )
        if not is_listable(model):
            raise ValueError(
                f"{model.__name__} has no list endpoint of its own; it is "
                "mirrored with the objects it belongs to."
            )
        if model not in models:
            models.append(model)
    return dependency_order(models)


# -- Truncated sub-lists --------------------------------------------------------


def complete_sublists(
    objects: Iterable[dict],
    *,
    expand_fields: Sequence[str] = (),
    api_key: str | None = None,
    stripe_account: str | None = None,
) -> int:
    """Fetch the rest of every list that Stripe truncated inside ``objects``.

    Any nested ``{"object": "list", "has_more": true, "url": ..., "data":
    [...]}`` is paged from its ``url`` after its last item, and the items are
    appended in place. Expansions of the parent that reach into the list
    (``lines.data.price``) are applied to its pages. Returns the number of
    requests made.
    """
    requests = 0

    def complete(node: dict, path: str) -> None:
        nonlocal requests
        prefix = f"{path}.data."
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        expand = [
            f"data.{f[len(prefix) :]}" for f in expand_fields if f.startswith(prefix)
        ]
        if expand:
            params["expand"] = expand
        while node.get("has_more") and node["data"] and "id" in node["data"][-1]:
            params["starting_after"] = node["data"][-1]["id"]
            requests += 1
            page = stripe_api.list_page(
                node["url"], params, api_key=api_key, stripe_account=stripe_account
            )
            node["data"].extend(page.get("data") or [])
            node["has_more"] = bool(page.get("has_more")) and bool(page.get("data"))

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            if value.get("object") == "list" and isinstance(value.get("data"), list):
                if value.get("has_more") and isinstance(value.get("url"), str):
                    complete(value, path)
                for item in value["data"]:
                    walk(item, f"{path}.data")
                return
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for item in value:
                walk(item, path)

    for obj in objects:
        walk(obj, "")
    return requests


# -- The report -----------------------------------------------------------------


@dataclass
class TypeStats:
    """What the back-fill of one type did (all its ranges together)."""

    name: str
    fetched: int = 0
    written: int = 0
    unchanged: int = 0
    errors: int = 0
    pages: int = 0
    requests: int = 0
    resumed: bool = False
    skipped: str = ""
    messages: list[str] = field(default_factory=list)
    started: float | None = None
    finished: float | None = None
    ranges_left: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def status(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        if self.errors:
            return "error"
        if self.ranges_left:
            return "stopped"
        return "resumed" if self.resumed else "done"

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


@dataclass
class SyncReport:
    """The outcome of :func:`backfill`: per type, and of the event replay."""

    types: dict[str, TypeStats] = field(default_factory=dict)
    replay: ReplayResult | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(stats.errors for stats in self.types.values())

    def table(self) -> str:
        """The end-of-run table: fetched, written, unchanged, errors, seconds."""
        header = (
            f"{'type':<24} {'fetched':>9} {'written':>9} {'unchanged':>9} "
            f"{'errors':>6} {'seconds':>8}  status"
        )
        lines = [header, "-" * len(header)]
        for stats in self.types.values():
            lines.append(
                f"{stats.name:<24} {stats.fetched:>9,} {stats.written:>9,} "
                f"{stats.unchanged:>9,} {stats.errors:>6} {stats.seconds:>8.1f}  "
                f"{stats.status}"
            )
        if self.replay is not None:
            lines.append(
                f"{'(events replayed)':<24} {self.replay.events:>9,} "
                f"{'':>9} {'':>9} {'':>6} {'':>8}  "
                f"up to {self.replay.cursor.id if self.replay.cursor else '-'}"
            )
        return "\n".join(lines)


# -- Planning -------------------------------------------------------------------


class _Stopped(Exception):
    """Another type failed and the run was asked to stop (``fail_fast``)."""


@dataclass
class _Task:
    model: type[StripeModel]
    checkpoint: Any
    stats: TypeStats


@dataclass
class _Run:
    api_key: str
    stripe_account: str | None
    progress: Progress
    fail_fast: bool
    stop: threading.Event = field(default_factory=threading.Event)


def job_key(since: int | None, until: int | None) -> str:
    """The ``job`` of a run's checkpoints: its ``created`` bounds."""
    return f"{since if since is not None else ''}..{until if until is not None else ''}"


def split_ranges(
    since: int | None,
    until: int | None,
    parts: int,
    *,
    oldest: int | None = None,
    now: int | None = None,
) -> list[tuple[int, int | None]]:
    """``parts`` ``created`` ranges ``[gte, lt)`` covering ``[since, until)``.

    The interior bounds spread evenly between ``since`` (or ``oldest``, a
    guess) and ``until`` (or ``now``); the outer bounds stay exactly
    ``since`` and ``until`` (0 and open when not given), so a wrong guess
    only makes the ranges uneven, never leaves a gap.
    """
    start = since if since is not None else oldest
    end = until if until is not None else now
    outer = (since or 0, until)
    if parts <= 1 or start is None or end is None or end - start < parts:
        return [outer]
    step = (end - start) / parts
    edges = [outer[0], *(int(start + step * i) for i in range(1, parts)), outer[1]]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _mirror_hint(
    model: type[StripeModel], api_key: str, stripe_account: str | None
) -> tuple[int, int | None]:
    """How many rows of ``model`` the mirror holds, and the oldest ``created``
    (Unix time): the size and start of the type, as far as we know."""
    rows = model._base_manager.filter(livemode="_live_" in api_key[:8])
    if stripe_account:
        rows = rows.filter(djstripe_owner_account_id=stripe_account)
    hint = rows.aggregate(n=Count("pk"), oldest=Min("created"))
    oldest = hint["oldest"]
    return hint["n"], int(oldest.timestamp()) if oldest else None


def _reset(row: Any, gte: int, lt: int | None, run: str, marker: EventMarker | None):
    row.created_gte, row.created_lt = gte, lt
    row.cursor, row.cursor_created, row.done = "", None, False
    row.pages = row.fetched = 0
    row.run = run
    row.event_marker = marker.id if marker else ""
    row.event_marker_created = marker.created if marker else None
    return row


def _plan_type(
    model: type[StripeModel],
    rows: list[Any],
    *,
    scope: str,
    job: str,
    ranges: list[tuple[int, int | None]],
    restart: bool,
    marker: EventMarker | None,
) -> tuple[list[Any], bool, list[Any]]:
    """The checkpoints to run for ``model``: ``(to_run, resumed, obsolete)``.

    An unfinished earlier run of the same job is resumed: its finished ranges
    are skipped, the others continue from their cursors. Otherwise (or with
    ``restart``) the type starts over on ``ranges``.
    """
    mine = [r for r in rows if r.job == job]
    obsolete = [r for r in rows if r.job != job]
    if mine and not restart:
        latest = max(mine, key=lambda r: r.updated_at).run
        if not all(r.run == latest and r.done for r in mine):
            to_run = []
            for row in mine:
                if row.run != latest:  # left from an earlier, completed run
                    row = _reset(row, row.created_gte, row.created_lt, latest, None)
                    _copy_marker(row, mine, latest)
                    to_run.append(row)
                elif not row.done:
                    to_run.append(row)
            return to_run, True, obsolete
    run = uuid.uuid4().hex[:16]
    by_start = {r.created_gte: r for r in mine}
    to_run = []
    for gte, lt in ranges:
        row = by_start.pop(gte, None) or checkpoint_model()(
            scope=scope, object_type=model.stripe_object_name, job=job
        )
        to_run.append(_reset(row, gte, lt, run, marker))
    return to_run, False, obsolete + list(by_start.values())


def _copy_marker(row: Any, rows: list[Any], run: str) -> None:
    for other in rows:
        if other.run == run and other.event_marker_created is not None:
            row.event_marker = other.event_marker
            row.event_marker_created = other.event_marker_created
            return


def _replay_start(rows: Iterable[Any]) -> EventMarker | None:
    """The oldest event marker of the runs being carried out."""
    markers = [
        EventMarker(r.event_marker, r.event_marker_created)
        for r in rows
        if r.event_marker_created is not None
    ]
    return min(markers, key=lambda m: m.created) if markers else None


# -- Running --------------------------------------------------------------------


def list_params(
    model: type[StripeModel], *, gte: int | None = None, lt: int | None = None
) -> dict[str, Any]:
    """The parameters of a back-fill's list request for ``model``: pages of
    100, ``expand_fields`` as ``data.<field>``, ``stripe_list_params``, and
    the ``created`` bounds."""
    params: dict[str, Any] = {"limit": PAGE_SIZE, **model.stripe_list_params}
    if model.expand_fields:
        params["expand"] = [f"data.{f}" for f in model.expand_fields]
    created = {k: v for k, v in (("gte", gte), ("lt", lt)) if v is not None}
    if created:
        params["created"] = created
    return params


def _range_params(model: type[StripeModel], cp: Any, *, by_time: bool = False) -> dict:
    lt = cp.created_lt
    if cp.cursor and by_time and cp.cursor_created is not None:
        # The cursor object is gone: continue from its second instead.
        lt = min(lt if lt is not None else cp.cursor_created + 1, cp.cursor_created + 1)
    params = list_params(model, gte=cp.created_gte or None, lt=lt)
    if cp.cursor and not by_time:
        params["starting_after"] = cp.cursor
    return params


def _sync_range(task: _Task, run: _Run) -> None:
    """List one range of one type page by page; one upsert per page."""
    model, cp, stats = task.model, task.checkpoint, task.stats
    path = model.stripe_class_url()
    params = _range_params(model, cp)
    fell_back = False
    unsaved = 0
    try:
        while not cp.done:
            if run.stop.is_set():
                raise _Stopped
            try:
                page = stripe_api.list_page(
                    path, params, api_key=run.api_key, stripe_account=run.stripe_account
                )
            except stripe.InvalidRequestError as exc:
                if getattr(exc, "param", None) == "starting_after" and not fell_back:
                    fell_back = True
                    params = _range_params(model, cp, by_time=True)
                    continue
                raise
            data = page.get("data") or []
            requests = 1 + complete_sublists(
                data,
                expand_fields=model.expand_fields,
                api_key=run.api_key,
                stripe_account=run.stripe_account,
            )
            result = engine.upsert(
                data,
                observed_at=page.observed_at,
                api_key=run.api_key,
                stripe_account=run.stripe_account,
                owner_account=run.stripe_account,
            )
            if data:
                cp.cursor = data[-1]["id"]
                cp.cursor_created = data[-1].get("created")
                params["starting_after"] = cp.cursor
            cp.pages += 1
            cp.fetched += len(data)
            cp.done = not data or not page.get("has_more")
            unsaved += 1
            if (
                cp.done
                or unsaved >= CHECKPOINT_EVERY
                or result.written
                or result.deleted
            ):
                cp.save()
                unsaved = 0
            stats.add(
                fetched=len(data),
                written=result.written,
                unchanged=result.unchanged,
                pages=1,
                requests=requests,
            )
            run.progress.advance(stats.name, len(data))
    finally:
        if unsaved:
            try:
                cp.save()
            except Exception:  # do not hide the error that got us here
                logger.warning("Could not record the checkpoint of %s", stats.name)


def _run_task(task: _Task, run: _Run) -> None:
    stats = task.stats
    with stats._lock:
        if stats.started is None:
            stats.started = time.monotonic()
    pages_before = task.checkpoint.pages
    try:
        _sync_range(task, run)
    except _Stopped:
        pass
    except stripe.PermissionError as exc:
        _skip(stats, f"the key may not read it ({exc.http_status})")
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404 and task.checkpoint.pages == pages_before:
            _skip(stats, "not available to this account (404)")
        else:
            _fail(task, run, exc)
    except Exception as exc:
        _fail(task, run, exc)
    else:
        stats.add(ranges_left=-1)
    finally:
        with stats._lock:
            stats.finished = time.monotonic()
            last = stats.ranges_left == 0 or stats.skipped or stats.errors
        if last:
            run.progress.finish(stats.name, stats.status)


def _skip(stats: TypeStats, reason: str) -> None:
    logger.warning("Skipping %s: %s.", stats.name, reason)
    with stats._lock:
        stats.skipped = reason
        stats.ranges_left = 0


def _fail(task: _Task, run: _Run, exc: Exception) -> None:
    logger.error("Back-fill of %s failed: %s", task.stats.name, exc, exc_info=exc)
    task.stats.add(errors=1)
    task.stats.messages.append(f"{type(exc).__name__}: {exc}")
    if run.fail_fast:
        run.stop.set()


def _run_in_thread(task: _Task, run: _Run) -> None:
    try:
        _run_task(task, run)
    finally:
        connections.close_all()  # this thread's connections only


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
    """Mirror every object of ``models`` (default: all listable types).

    :param since: only objects created at or after this Unix time.
    :param until: only objects created before this Unix time.
    :param workers: threads fetching types and ranges at once. With one,
        everything runs in the calling thread (and its database connection).
    :param restart: ignore checkpoints: start every type over.
    :param fail_fast: stop everything at the first type that fails.
    :param gap_free: note the newest event first and replay every event
        created since at the end (one request each way, plus the pages of
        events).
    """
    api_key = api_key or djstripe_settings.STRIPE_SECRET_KEY
    models = list(models) if models is not None else listable_models()
    scope = scope_for(api_key, stripe_account)
    run = _Run(api_key, stripe_account, progress or Progress(), fail_fast)
    report = SyncReport()
    rows = list(checkpoint_model().objects.filter(scope=scope))
    marker = _note_newest_event(run, report) if gap_free else None
    job = job_key(since, until)
    tasks: list[_Task] = []
    obsolete: list[Any] = []
    now = int(timezone.now().timestamp())
    for model in models:
        stats = report.types[model.__name__] = TypeStats(model.__name__)
        count, oldest = (
            _mirror_hint(model, api_key, stripe_account)
            if workers > 1 or progress is not None
            else (0, None)
        )
        parts = workers if not count else min(workers, max(1, count // SPLIT_SIZE))
        to_run, stats.resumed, stale = _plan_type(
            model,
            [r for r in rows if r.object_type == model.stripe_object_name],
            scope=scope,
            job=job,
            ranges=split_ranges(since, until, parts, oldest=oldest, now=now),
            restart=restart,
            marker=marker,
        )
        obsolete += [r for r in stale if r.pk is not None]
        stats.ranges_left = len(to_run)
        run.progress.start(stats.name, expected=count or None)
        tasks += [_Task(model, row, stats) for row in to_run]
    if obsolete:
        checkpoint_model().objects.filter(pk__in=[r.pk for r in obsolete]).delete()

    _execute(tasks, run, workers)
    start = _replay_start(task.checkpoint for task in tasks)
    if gap_free and marker is not None and not run.stop.is_set():
        start = min(start or marker, marker, key=lambda m: m.created)
        cursor = EventCursor.from_rows(scope, rows)
        report.replay = replay_events_after(
            start,
            api_key=api_key,
            stripe_account=stripe_account,
            save_cursor=cursor.save,
        )
        cursor.save(report.replay.cursor)
    run.progress.close()
    return report


def _note_newest_event(run: _Run, report: SyncReport) -> EventMarker | None:
    try:
        return newest_event(api_key=run.api_key, stripe_account=run.stripe_account)
    except stripe.StripeError as exc:  # retries spent, or not allowed
        message = (
            f"Cannot read events ({exc.http_status}): changes made during the "
            "back-fill may be missed until the next webhook or back-fill."
        )
        logger.warning(message)
        report.warnings.append(message)
        return None


def _execute(tasks: list[_Task], run: _Run, workers: int) -> None:
    if workers <= 1:
        for task in tasks:
            if run.stop.is_set():
                break
            _run_task(task, run)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="djstripe-sync") as pool:
        futures = [pool.submit(_run_in_thread, task, run) for task in tasks]
        try:
            for future in as_completed(futures):
                future.result()
        except BaseException:
            run.stop.set()
            pool.shutdown(cancel_futures=True)
            raise


# -- Catching up from the Events API ----------------------------------------------


class NoEventCursor(Exception):
    """There is nothing to catch up from: no back-fill or replay ran yet."""


def catch_up(
    *, api_key: str | None = None, stripe_account: str | None = None
) -> ReplayResult:
    """Replay every event created since the last one replayed.

    A warning is added when the cursor was older than 25 days (by Stripe's
    clock): Stripe keeps events for 30, and older ones are gone (run a
    back-fill then).
    """
    api_key = api_key or djstripe_settings.STRIPE_SECRET_KEY
    cursor = EventCursor.load(scope_for(api_key, stripe_account))
    marker = cursor.marker
    if marker is None:
        raise NoEventCursor(
            "No event cursor for this API key: run a back-fill first "
            "(djstripe_sync_models without --catch-up)."
        )
    result = replay_events_after(
        marker, api_key=api_key, stripe_account=stripe_account, save_cursor=cursor.save
    )
    cursor.save(result.cursor)
    age = (result.stripe_now or timezone.now()) - marker.created_at
    if marker.id and age > CURSOR_WARNING_AGE:
        result.warnings.append(
            f"The last event replayed before this catch-up was {age.days} days old; "
            "Stripe keeps events for 30 days, so changes older than that may be "
            "missing. Run a back-fill to be sure."
        )
        logger.warning(result.warnings[-1])
    return result
