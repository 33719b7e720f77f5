"""Running a back-fill's plan: list pages, write them, record checkpoints.

Each :class:`~djstripe.sync.plan.TypeTask` lists one ``created`` range of one
type a page of 100 at a time and writes each page with one
:func:`djstripe.sync.upsert`. Lists that Stripe truncates inside an object
(a checkout session's ``line_items``) are completed from their own URL before
the page is written (:func:`complete_sublists`). The types run on a pool of
threads, all under the transport's shared rate limiter; then the
parent-scoped lists run (:mod:`djstripe.sync.parents`), whose parents are now
mirrored.

A failing type does not stop the others unless asked (``fail_fast``); a
type the key may not read, or that the account lacks, is skipped. But a
failure that no other request could escape (Stripe unreachable, the key
refused: :func:`djstripe.stripe_api.is_fatal`) stops every worker at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import stripe
from django.db import connections

from .. import stripe_api
from ..stripe_api import StripeData
from . import engine
from .parents import Stopped, run_parent_list
from .plan import PAGE_SIZE, ParentListTask, Plan, TypeTask, list_params
from .progress import Progress
from .report import TypeStats, short_reason

logger = logging.getLogger("djstripe.sync")

#: Pages that wrote nothing between two checkpoint writes. A page that wrote
#: rows is always recorded; re-reading an unchanged page after a crash costs
#: one request and no write, about what recording it would have cost.
CHECKPOINT_EVERY = 10


@dataclass
class RunContext:
    """What every task of one run shares."""

    api_key: str
    stripe_account: str | None
    progress: Progress
    fail_fast: bool
    since: int | None = None
    until: int | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    #: The first failure that made every request pointless (see ``is_fatal``).
    fatal: BaseException | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def abort(self, exc: BaseException) -> None:
        with self._lock:
            if self.fatal is None:
                self.fatal = exc
        self.stop.set()


def run_plan(plan: Plan, ctx: RunContext, workers: int) -> None:
    """Run the types of ``plan`` and its lists under a parent.

    A list starts once every range of its parent's type is done, when its
    parents are mirrored. With several workers the other types keep running
    meanwhile, so the lists (often most of the requests) start early.
    """
    for task in plan.types:
        ctx.progress.start(task.stats.name, expected=task.stats.expected)
    if workers <= 1:
        tasks: list[TypeTask | ParentListTask] = [*plan.types, *plan.parent_lists]
        for each in tasks:
            if ctx.stop.is_set():
                break
            _run_task(each, ctx)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="djstripe-sync") as pool:
        try:
            _run_in_pool(plan, ctx, pool)
        except BaseException:
            ctx.stop.set()
            pool.shutdown(cancel_futures=True)
            raise


def _run_in_pool(plan: Plan, ctx: RunContext, pool: ThreadPoolExecutor) -> None:
    ranges_left = Counter(task.model.stripe_object_name for task in plan.types)
    waiting = list(plan.parent_lists)
    task: TypeTask | ParentListTask
    running: dict[Future[None], TypeTask | ParentListTask] = {
        pool.submit(_run_in_thread, task, ctx): task for task in plan.types
    }
    while running or waiting:
        for task in [t for t in waiting if not ranges_left[t.spec.parent]]:
            waiting.remove(task)
            running[pool.submit(_run_in_thread, task, ctx)] = task
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            task = running.pop(future)
            future.result()
            if isinstance(task, TypeTask):
                ranges_left[task.model.stripe_object_name] -= 1


# -- Truncated sub-lists --------------------------------------------------------


def complete_sublists(
    objects: Iterable[dict[str, Any]],
    *,
    expand_fields: Sequence[str] = (),
    api_key: str | None = None,
    stripe_account: str | None = None,
) -> int:
    """List in full every list that Stripe truncated inside ``objects``.

    Any nested ``{"object": "list", "has_more": true, "url": ..., "data":
    [...]}`` is listed from its ``url``, and its ``data`` replaced by every
    item (``has_more`` then false). It is listed from the start rather than
    after the last embedded item: the same one request for up to 100 items,
    and right whatever order the embedded page was in. Expansions of the
    parent that reach into the list (``lines.data.price``) are applied to its
    pages. Returns the number of requests made.
    """
    requests = 0

    def complete(node: dict[str, Any], path: str) -> None:
        nonlocal requests
        prefix = f"{path}.data."
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        expand = [
            f"data.{f[len(prefix) :]}" for f in expand_fields if f.startswith(prefix)
        ]
        if expand:
            params["expand"] = expand
        url, _, query = node["url"].partition("?")
        params.update(parse_qsl(query))
        items: list[dict[str, Any]] = []
        for page in stripe_api.iter_pages(
            url, params, api_key=api_key, stripe_account=stripe_account
        ):
            requests += 1
            items += page
        node["data"] = items
        node["has_more"] = False

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


# -- One range of one type ---------------------------------------------------------


def _range_params(model: Any, cp: Any, *, by_time: bool = False) -> dict[str, Any]:
    lt = cp.created_lt
    if cp.cursor and by_time and cp.cursor_created is not None:
        # The cursor object is gone: continue from its second instead.
        lt = min(lt if lt is not None else cp.cursor_created + 1, cp.cursor_created + 1)
    params = list_params(model, gte=cp.created_gte or None, lt=lt)
    if cp.cursor and not by_time:
        params["starting_after"] = cp.cursor
    return params


def _sync_range(task: TypeTask, ctx: RunContext) -> None:
    """List one range of one type page by page; one upsert per page.

    The next page is requested (from a helper thread that only waits on
    Stripe) while this one is written, so a range costs about one round trip
    per page, not a round trip plus the write.
    """
    model, cp, stats = task.model, task.checkpoint, task.stats
    path = model.stripe_class_url()
    params = _range_params(model, cp)
    fell_back = False
    unsaved = 0

    def get(params: dict[str, Any]) -> StripeData:
        return stripe_api.list_page(
            path, params, api_key=ctx.api_key, stripe_account=ctx.stripe_account
        )

    with ThreadPoolExecutor(1, thread_name_prefix="djstripe-page") as prefetch:
        ahead = prefetch.submit(get, params)
        try:
            while not cp.done:
                if ctx.stop.is_set():
                    raise Stopped
                try:
                    page = ahead.result()
                except stripe.InvalidRequestError as exc:
                    if getattr(exc, "param", None) != "starting_after" or fell_back:
                        raise
                    fell_back = True  # the cursor object is gone
                    params = _range_params(model, cp, by_time=True)
                    ahead = prefetch.submit(get, params)
                    continue
                data = page.get("data") or []
                if data and page.get("has_more"):
                    params = {**params, "starting_after": data[-1]["id"]}
                    ahead = prefetch.submit(get, params)
                wrote = _write_page(task, page, data, ctx)
                unsaved += 1
                if cp.done or unsaved >= CHECKPOINT_EVERY or wrote:
                    cp.save()
                    unsaved = 0
        finally:
            if unsaved:
                try:
                    cp.save()
                except Exception:  # do not hide the error that got us here
                    logger.warning("Could not record the checkpoint of %s", stats.name)


def _write_page(
    task: TypeTask, page: StripeData, data: list[dict[str, Any]], ctx: RunContext
) -> bool:
    """Mirror one page and move the range's cursor past it. Returns whether
    the page wrote rows (its checkpoint is then recorded at once)."""
    model, cp, stats = task.model, task.checkpoint, task.stats
    requests = 1 + complete_sublists(
        data,
        expand_fields=model.expand_fields,
        api_key=ctx.api_key,
        stripe_account=ctx.stripe_account,
    )
    result = engine.upsert(
        data,
        observed_at=page.observed_at,
        api_key=ctx.api_key,
        stripe_account=ctx.stripe_account,
        owner_account=ctx.stripe_account,
    )
    if data:
        cp.cursor = data[-1]["id"]
        cp.cursor_created = data[-1].get("created")
    cp.pages += 1
    cp.fetched += len(data)
    cp.done = not data or not page.get("has_more")
    stats.add(
        fetched=len(data),
        written=result.written,
        unchanged=result.unchanged,
        pages=1,
        requests=requests,
    )
    ctx.progress.advance(stats.name, len(data))
    return bool(result.written or result.deleted)


# -- Any task: outcome and bookkeeping ------------------------------------------------


def _run_task(task: TypeTask | ParentListTask, ctx: RunContext) -> None:
    stats = task.stats
    stats.begin()
    pages_before = task.checkpoint.pages
    try:
        if isinstance(task, ParentListTask):
            run_parent_list(task, ctx)
        else:
            _sync_range(task, ctx)
    except Stopped:
        pass
    except stripe.PermissionError as exc:
        _skip(stats, f"the key may not read it ({exc.http_status})")
    except stripe.StripeError as exc:
        if exc.http_status == 404 and task.checkpoint.pages == pages_before:
            _skip(stats, "not available to this account (404)")
        else:
            if stripe_api.is_fatal(exc):
                ctx.abort(exc)
            _fail(stats, ctx, exc)
    except Exception as exc:
        _fail(stats, ctx, exc)
    else:
        stats.add(ranges_left=-1)
    finally:
        with stats._lock:
            stats.finished = time.monotonic()
            last = stats.ranges_left == 0 or stats.skipped or stats.errors
        if last:
            ctx.progress.finish(stats.name, stats.status)


def _skip(stats: TypeStats, reason: str) -> None:
    logger.warning("Skipping %s: %s.", stats.name, reason)
    stats.skip(reason)


def _fail(stats: TypeStats, ctx: RunContext, exc: Exception) -> None:
    # One line; the traceback only for whoever asked (DEBUG, --traceback).
    logger.error("Back-fill of %s failed: %s", stats.name, short_reason(exc))
    logger.debug("Back-fill of %s failed", stats.name, exc_info=exc)
    stats.fail(exc)
    if ctx.fail_fast:
        ctx.stop.set()


def _run_in_thread(task: TypeTask | ParentListTask, ctx: RunContext) -> None:
    try:
        _run_task(task, ctx)
    finally:
        connections.close_all()  # this thread's connections only
