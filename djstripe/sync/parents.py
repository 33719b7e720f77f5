"""Collections that Stripe lists only under a parent object.

A customer's payment methods, sources and tax ids, a subscription's items,
an invoice's lines, a transfer's reversals: Stripe documents each through an
endpoint of the parent (``GET /v1/customers/{id}/payment_methods``), and
some never appear in any top-level list. A model declares where its objects
are listed::

    class PaymentMethod(StripeModel):
        stripe_parent_lists = (
            ParentList("customer", "/v1/customers/{id}/payment_methods"),
        )

and a back-fill lists the collection under every mirrored parent
(:func:`run_parent_list`), after the parents themselves were listed. When the
parent embeds the collection (an invoice's ``lines``) and its stored copy
says ``has_more: false``, the embedded copy is complete and already mirrored:
that parent's request is skipped.

The requests of many parents are in flight at once, under the transport's
rate limiter; they only wait on Stripe, while the calling thread writes each
batch of parents' objects with one :func:`djstripe.sync.upsert` and then
moves the list's checkpoint past the batch, so an interrupted run resumes
after the last batch written.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

import stripe

from .. import stripe_api
from ..exceptions import DjstripeError
from ..fields import timestamp_to_datetime
from ..settings import key_is_live
from . import engine, registry

if TYPE_CHECKING:
    from djstripe.models.base import StripeModel

    from .plan import ParentListTask
    from .run import RunContext

logger = logging.getLogger("djstripe.sync")

#: Parents whose lists are requested at once. The requests only wait on
#: Stripe (writes happen in the calling thread), so there can be more of
#: them than workers; the rate limiter keeps the pace.
FETCHERS = 8
#: Parents per batch: one upsert and one checkpoint write each.
BATCH_SIZE = 100
PAGE_SIZE = 100


@dataclass(frozen=True)
class ParentList:
    """Where Stripe lists a collection under its parent.

    :param parent: the parent's Stripe ``object`` (``"customer"``).
    :param path: the list's path, ``{id}`` standing for the parent's id; a
        query names the parent where Stripe wants it as a parameter
        (``"/v1/subscription_items?subscription={id}"``).
    :param embedded: the parent's field that embeds the list's first page
        (``"lines"``), if it has one: a parent whose stored copy is complete
        (``has_more: false``) is not asked again.
    """

    parent: str
    path: str
    embedded: str | None = None

    @property
    def key(self) -> str:
        """The ``object_type`` of the list's checkpoint row."""
        return f"{self.parent}:{self.path}"[:100]

    @property
    def label(self) -> str:
        """How reports name the list: ``customers/*/payment_methods``."""
        return self.path.removeprefix("/v1/").replace("{id}", "*")

    def request(self, parent_id: str) -> tuple[str, dict[str, Any]]:
        """The path and parameters that list ``parent_id``'s collection."""
        path, _, query = self.path.partition("?")
        params = {k: v.replace("{id}", parent_id) for k, v in parse_qsl(query)}
        return path.replace("{id}", quote(parent_id, safe="")), params


class Stopped(DjstripeError):
    """The run was stopped (another task failed, with ``fail_fast``)."""


@dataclass
class _Children:
    """What one parent's list held."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    observed_at: datetime.datetime | None = None
    pages: int = 0
    gone: bool = False  # the parent no longer exists in Stripe


def run_parent_list(task: ParentListTask, ctx: RunContext) -> None:
    """List ``task.spec`` under every mirrored parent after the checkpoint."""
    parent_model = registry.model_for(task.spec.parent)
    if parent_model is None:
        task.stats.skip(f"{task.spec.parent} is not mirrored")
        return
    ctx.progress.start(task.stats.name)
    outstanding: list[Future[Any]] = []
    with ThreadPoolExecutor(FETCHERS, thread_name_prefix="djstripe-lists") as pool:
        try:
            pending = None
            for last_id, parent_ids in _parent_batches(parent_model, task, ctx):
                if ctx.stop.is_set():
                    raise Stopped
                futures = [
                    pool.submit(_list_children, task, parent_id, ctx)
                    for parent_id in parent_ids
                ]
                outstanding += futures
                if pending is not None:
                    _write_batch(task, *pending, ctx)
                pending = (last_id, futures)
            if pending is not None:
                _write_batch(task, *pending, ctx)
        except BaseException:
            for future in outstanding:
                future.cancel()
            raise
    task.checkpoint.done = True
    task.checkpoint.save()


def _parent_batches(
    parent_model: type[StripeModel], task: ParentListTask, ctx: RunContext
) -> Iterator[tuple[str, list[str]]]:
    """``(last id, ids to list)`` per batch of mirrored parents, by id, after
    the checkpoint's cursor; a parent whose embedded copy of the list is
    complete is left out of ``ids to list``."""
    rows = parent_model._base_manager.filter(livemode=key_is_live(ctx.api_key))
    if ctx.stripe_account:
        rows = rows.filter(djstripe_owner_account_id=ctx.stripe_account)  # type: ignore[misc]
    else:  # the platform's own objects, not its connected accounts'
        rows = rows.filter(djstripe_owner_account_id__isnull=True)
    if parent_model.stripe_soft_delete_field:
        rows = rows.filter(**{f"{parent_model.stripe_soft_delete_field}__isnull": True})
    if ctx.since is not None:
        rows = rows.filter(created__gte=timestamp_to_datetime(ctx.since))
    if ctx.until is not None:
        rows = rows.filter(created__lt=timestamp_to_datetime(ctx.until))
    embedded = task.spec.embedded
    columns = ["id", f"stripe_data__{embedded}__has_more"] if embedded else ["id"]
    after = task.checkpoint.cursor or ""
    while True:
        chunk = list(
            rows.filter(id__gt=after).order_by("id").values_list(*columns)[:BATCH_SIZE]
        )
        if not chunk:
            return
        after = chunk[-1][0]
        yield after, [row[0] for row in chunk if not _complete(row)]


def _complete(row: tuple[Any, ...]) -> bool:
    """Whether the stored parent embeds the whole list (``has_more`` false)."""
    return len(row) > 1 and row[1] in (False, "false")


def _list_children(task: ParentListTask, parent_id: str, ctx: RunContext) -> _Children:
    """Every page of one parent's list (runs in a fetcher thread: no database)."""
    path, params = task.spec.request(parent_id)
    params["limit"] = PAGE_SIZE
    expand = sorted({f"data.{f}" for m in task.models for f in m.expand_fields})
    if expand:
        params["expand"] = expand
    children = _Children()
    while True:
        if ctx.stop.is_set():
            raise Stopped
        try:
            page = stripe_api.list_page(
                path, params, api_key=ctx.api_key, stripe_account=ctx.stripe_account
            )
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404 and exc.code == "resource_missing":
                children.gone = True  # deleted since it was mirrored
                return children
            raise
        children.pages += 1
        data = page.get("data") or []
        children.objects += data
        observed = getattr(page, "observed_at", None)
        if observed and (
            children.observed_at is None or observed < children.observed_at
        ):
            children.observed_at = observed
        if not page.get("has_more") or not data:
            return children
        params["starting_after"] = data[-1]["id"]


def _write_batch(
    task: ParentListTask, last_id: str, futures: list[Future[Any]], ctx: RunContext
) -> None:
    """Mirror one batch of parents' lists with one upsert; move the cursor."""
    batch = [future.result() for future in futures]
    objects = [obj for children in batch for obj in children.objects]
    stamps = [c.observed_at for c in batch if c.observed_at is not None]
    result = engine.upsert(
        objects,
        observed_at=min(stamps) if stamps else None,
        api_key=ctx.api_key,
        stripe_account=ctx.stripe_account,
        owner_account=ctx.stripe_account,
    )
    cp = task.checkpoint
    cp.cursor = last_id
    cp.pages += sum(c.pages for c in batch)
    cp.fetched += len(objects)
    cp.save()
    task.stats.add(
        fetched=len(objects),
        written=result.written,
        unchanged=result.unchanged,
        pages=sum(c.pages for c in batch),
        requests=sum(c.pages + c.gone for c in batch),
    )
    ctx.progress.advance(task.stats.name, len(objects), pages=len(futures))
