"""Planning a back-fill: which types and lists, which ranges, which checkpoints.

Nothing here talks to Stripe. :func:`make_plan` turns the chosen models into

* a :class:`TypeTask` per ``created`` range of each type listed from its own
  endpoint (``GET /v1/customers``), resuming an unfinished earlier run from
  its :class:`~djstripe.models.SyncCheckpoint` rows;
* a :class:`ParentListTask` per collection that Stripe lists only under a
  parent (a customer's payment methods), as the models declare it with
  ``stripe_parent_lists`` (:class:`~djstripe.sync.parents.ParentList`).

:mod:`djstripe.sync.run` carries the plan out.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import stripe
from django.db.models import Count, Min

from ..fields import StripeForeignKey
from ..settings import key_is_live
from . import registry
from .checkpoints import EVENT_CURSOR, checkpoint_model
from .events import EventMarker
from .parents import ParentList
from .report import SyncReport, TypeStats

if TYPE_CHECKING:
    from djstripe.models.base import StripeModel

PAGE_SIZE = 100
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


def is_backfilled(model: type[StripeModel]) -> bool:
    """Whether a back-fill lists ``model`` at all: from its own endpoint, or
    under its parents."""
    return is_listable(model) or bool(model.stripe_parent_lists)


def dependency_order(models: Iterable[type[StripeModel]]) -> list[type[StripeModel]]:
    """``models`` with the targets of their relations first (then by name).

    Relations need no order to resolve (they point at Stripe ids), but rows
    whose targets are already there are more useful to look at early.
    """
    pending = {model: _targets(model) for model in models}
    ordered: list[type[StripeModel]] = []
    while pending:
        ready = sorted(
            (m for m, deps in pending.items() if not deps & pending.keys()),
            key=lambda m: m.__name__,
        ) or [  # a cycle (customer <-> payment method): least entangled first
            min(pending, key=lambda m: (len(pending[m] & pending.keys()), m.__name__))
        ]
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
    models = {m for m in registry.registered().values() if is_backfilled(m)}
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
        model = known.get(name.lower())  # type: ignore[assignment]
        if model is None:
            choices = ", ".join(sorted({m.__name__ for m in known.values()}))
            raise ValueError(f"Unknown model {name!r}. Known: {choices}.")
        if model.stripe_object_name == EVENT_CURSOR:
            raise ValueError(
                "Events are not back-filled: a back-fill replays the events "
                "created while it runs, and --catch-up replays the rest."
            )
        if not is_backfilled(model):
            raise ValueError(
                f"{model.__name__} has no list endpoint of its own; it is "
                "mirrored with the objects it belongs to."
            )
        if model not in models:
            models.append(model)
    return dependency_order(models)


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


# -- Ranges -----------------------------------------------------------------------


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
    edges: list[Any] = [
        outer[0],
        *(int(start + step * i) for i in range(1, parts)),
        outer[1],
    ]
    return list(zip(edges[:-1], edges[1:], strict=True))


def _mirror_hint(
    model: type[StripeModel], api_key: str, stripe_account: str | None
) -> tuple[int, int | None]:
    """How many rows of ``model`` the mirror holds, and the oldest ``created``
    (Unix time): the size and start of the type, as far as we know."""
    rows = model._base_manager.filter(livemode=key_is_live(api_key))
    if stripe_account:
        rows = rows.filter(djstripe_owner_account_id=stripe_account)  # type: ignore[misc]
    hint = rows.aggregate(n=Count("pk"), oldest=Min("created"))
    oldest = hint["oldest"]
    return hint["n"], int(oldest.timestamp()) if oldest else None


# -- Checkpoints of a type ------------------------------------------------------------


def _reset(
    row: Any, gte: int, lt: int | None, run: str, marker: EventMarker | None
) -> Any:
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


def _plan_parent_list(
    spec: ParentList, rows: list[Any], *, scope: str, job: str, restart: bool
) -> tuple[Any, bool]:
    """The checkpoint of one parent-scoped list: ``(row, resumed)``. Its
    ``cursor`` is the last parent (by id) whose list is mirrored; an
    unfinished earlier run continues after it."""
    row = next((r for r in rows if r.job == job), None)
    if row is not None and not row.done and row.cursor and not restart:
        return row, True
    row = row or checkpoint_model()(scope=scope, object_type=spec.key, job=job)
    row.cursor, row.cursor_created, row.done = "", None, False
    row.pages = row.fetched = 0
    row.run = uuid.uuid4().hex[:16]
    return row, False


# -- The plan ---------------------------------------------------------------------


@dataclass
class TypeTask:
    """One ``created`` range of one type, listed from the type's endpoint."""

    model: type[StripeModel]
    checkpoint: Any
    stats: TypeStats


@dataclass
class ParentListTask:
    """One collection listed under every mirrored parent (``spec``), for the
    ``models`` that the collection holds."""

    spec: ParentList
    models: list[type[StripeModel]]
    checkpoint: Any
    stats: TypeStats


@dataclass
class Plan:
    """What a back-fill will do, with the report it will fill in."""

    scope: str
    job: str
    since: int | None
    until: int | None
    types: list[TypeTask] = field(default_factory=list)
    parent_lists: list[ParentListTask] = field(default_factory=list)
    report: SyncReport = field(default_factory=SyncReport)
    #: Checkpoint rows of the scope as they were before the run.
    rows: list[Any] = field(default_factory=list)

    @property
    def checkpoints(self) -> list[Any]:
        tasks: list[TypeTask | ParentListTask] = [*self.types, *self.parent_lists]
        return [t.checkpoint for t in tasks]


def parent_lists_of(
    models: Iterable[type[StripeModel]],
) -> dict[ParentList, list[type[StripeModel]]]:
    """The parent-scoped lists the models declare, each once (cards, bank
    accounts and sources share ``/v1/customers/{id}/sources``)."""
    found: dict[ParentList, list[type[StripeModel]]] = {}
    for model in models:
        for spec in model.stripe_parent_lists:
            found.setdefault(spec, []).append(model)
    return found


def make_plan(
    models: Sequence[type[StripeModel]],
    *,
    scope: str,
    api_key: str,
    stripe_account: str | None,
    since: int | None,
    until: int | None,
    parts: int,
    restart: bool,
    marker: EventMarker | None,
    now: int,
    hints: bool,
) -> Plan:
    """Plan the back-fill of ``models`` and record its checkpoint rows.

    :param parts: how many ``created`` ranges a large type may be split into.
    :param hints: whether to count the mirror's rows (for the ranges and the
        progress ETA): one query per type.
    """
    job = job_key(since, until)
    plan = Plan(scope, job, since, until)
    plan.rows = list(checkpoint_model().objects.filter(scope=scope))
    obsolete: list[Any] = []
    for model in (m for m in models if is_listable(m)):
        stats = plan.report.types[model.__name__] = TypeStats(model.__name__)
        count, oldest = (
            _mirror_hint(model, api_key, stripe_account) if hints else (0, None)
        )
        n = parts if not count else min(parts, max(1, count // SPLIT_SIZE))
        to_run, stats.resumed, stale = _plan_type(
            model,
            [r for r in plan.rows if r.object_type == model.stripe_object_name],
            scope=scope,
            job=job,
            ranges=split_ranges(since, until, n, oldest=oldest, now=now),
            restart=restart,
            marker=marker,
        )
        obsolete += [r for r in stale if r.pk is not None]
        stats.ranges_left = len(to_run)
        stats.expected = count or None
        plan.types += [TypeTask(model, row, stats) for row in to_run]
    for spec, holders in parent_lists_of(models).items():
        stats = plan.report.types[spec.label] = TypeStats(spec.label)
        row, stats.resumed = _plan_parent_list(
            spec,
            [r for r in plan.rows if r.object_type == spec.key],
            scope=scope,
            job=job,
            restart=restart,
        )
        stats.ranges_left = 1
        plan.parent_lists.append(ParentListTask(spec, holders, row, stats))
    if obsolete:
        checkpoint_model().objects.filter(pk__in=[r.pk for r in obsolete]).delete()
    # Every range of a new plan gets its row now, so a run cut short before a
    # range's first page still resumes that range instead of forgetting it.
    new_rows = [row for row in plan.checkpoints if row.pk is None]
    if new_rows:
        checkpoint_model().objects.bulk_create(new_rows)
    return plan
