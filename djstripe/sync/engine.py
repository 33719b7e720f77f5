"""The mirror engine: the one code path by which Stripe objects become rows.

Whatever the source (an API response, a list page, a webhook payload), objects
go through :func:`upsert`, which

1. walks each object for nested objects of mirrored types (an expanded
   ``balance_transaction`` inside a charge, the items of a subscription, the
   object an event carries) and mirrors them as rows of their own,
   collapsing expanded relations to ids so that the stored ``stripe_data``
   has one shape whatever the expansion; what an event carries is stamped
   with the event's ``created``;
2. for a page of API reads (most likely unchanged): reads the stored stamps
   and data of every model of the batch with its deletion tombstones (one
   query), lets the gate decide what is new, changed, unchanged, stale,
   deleted or a tie, and writes the rest with one gated statement per model;
3. for what events carry (most likely changed): writes first, with the same
   gated statement, and reads only what it turned down; the copies an
   event's object embeds (most likely unchanged, and shared by many events)
   are first confirmed, without a row write or lock (:func:`_confirm_unchanged`);
4. on an exact-timestamp tie, places the event by its ``previous_attributes``
   or, failing that, re-reads the object from Stripe.

The staleness rule itself is in :mod:`djstripe.sync.gate`, written once; the
Python decision and the SQL of the gated statement both derive from it.

A page of 100 objects of one type costs two queries; an event carrying one
object, two (its own insert and the object's).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.db import connections, router, transaction
from django.db.models import (
    BooleanField,
    Exists,
    F,
    Field,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from ..fields import StripeFieldMixin, get_path, stripe_id_of, timestamp_to_datetime
from . import gate, registry

if TYPE_CHECKING:
    from djstripe.models.base import StripeModel

logger = logging.getLogger("djstripe.sync")

#: Stamp column of the staleness gate.
STAMP = "djstripe_observed_at"
#: The alias of the stored row in the gated statements.
_STORED = "stored"
#: Rows per INSERT statement: keeps SQLite under its bound-parameter limit.
CHUNK_SIZE = 250


@dataclass
class UpsertResult:
    """What one :func:`upsert` call did, counted in objects."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    deleted: int = 0
    skipped_deleted: int = 0
    refetched: int = 0
    unresolved_ties: int = 0
    ignored: int = 0
    written_ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return self.created + self.updated

    def merge(self, other: UpsertResult) -> UpsertResult:
        for name in (
            "created updated unchanged stale deleted skipped_deleted "
            "refetched unresolved_ties ignored"
        ).split():
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for label, ids in other.written_ids.items():
            self.written_ids.setdefault(label, []).extend(ids)
        return self


@dataclass
class _Observation:
    model: type[StripeModel]
    data: dict[str, Any]
    observed_at: datetime.datetime
    top_level: bool
    #: The Stripe object that embeds this one (for ``stripe_parent_field``).
    parent: dict[str, Any] | None = None
    #: For an event's object: the event's ``previous_attributes`` (what the
    #: object looked like just before), used to break timestamp ties.
    previous: dict[str, Any] | None = None
    #: Carried by an event: most likely a change, so written before reading.
    from_event: bool = False
    #: A copy embedded in the object an event carries (its discount, its
    #: account) that existed before the event: most likely unchanged, so
    #: confirmed before writing (see :func:`_confirm_unchanged`).
    embedded: bool = False


# -- Walking objects ------------------------------------------------------------


#: Keys that hold an object's past values (an event's
#: ``data.previous_attributes``), whose nested objects are not current state.
_PAST_STATE_KEYS = frozenset({"previous_attributes"})


def _collect_nested(
    value: Any,
    found: list[tuple[dict[str, Any], dict[str, Any] | None]],
    parent: Any = None,
) -> None:
    """Append ``(object, embedding object)`` for every mirrored object nested
    anywhere inside ``value``; the embedding object is the nearest enclosing
    Stripe object (lists are looked through). Past values (an event's
    ``previous_attributes``) are skipped: mirroring them would roll back."""
    if isinstance(value, dict):
        kind = value.get("object")
        if kind is not None and kind != "list":
            parent = value
        if _PAST_STATE_KEYS.isdisjoint(value):
            items: Iterable[Any] = value.values()
        else:
            items = [v for k, v in value.items() if k not in _PAST_STATE_KEYS]
    elif isinstance(value, list):
        items = value
    else:
        return
    # Only containers are walked, and the checks are inlined: this walk
    # visits every dict and list of every object, and was a fifth of the
    # engine's time on a large batch.
    model_for = registry.model_for
    for item in items:
        if isinstance(item, dict):
            stripe_id = item.get("id")
            if (
                stripe_id
                and isinstance(stripe_id, str)
                and model_for(item.get("object")) is not None
            ):
                found.append((item, parent))
            _collect_nested(item, found, parent)
        elif isinstance(item, list):
            _collect_nested(item, found, parent)


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data[part]
    data[last] = value


def normalize(model: type[StripeModel], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with expanded relations collapsed to their ids.

    Only the paths the model maps to a relation or expands are collapsed (a
    list of expanded objects to a list of ids): an embedded object that Stripe
    always sends whole (a customer's ``discount``) stays.
    """
    normalized = dict(data)
    for path in model._stripe_relation_paths():
        value = get_path(normalized, path)
        if isinstance(value, dict) and "id" in value:
            collapsed: Any = value["id"]
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) and "id" in v for v in value)
        ):
            collapsed = [v["id"] for v in value]  # an expanded list of ids
        else:
            continue
        if "." in path:  # copy the parents we are about to change
            head = path.split(".")[0]
            normalized[head] = _deep_copy_dicts(normalized[head])
        _set_path(normalized, path, collapsed)
    return normalized


def _deep_copy_dicts(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy_dicts(v) for k, v in value.items()}
    return value


def _event_facts(
    obj: dict[str, Any],
) -> tuple[datetime.datetime | None, dict[str, Any] | None, dict[str, Any] | None]:
    """For an event: when it happened, the object it carries, and that
    object's ``previous_attributes``; for anything else, Nones."""
    if obj.get("object") != "event" or not isinstance(obj.get("data"), dict):
        return None, None, None
    try:
        when = timestamp_to_datetime(obj.get("created"))
    except (TypeError, ValueError, OverflowError):
        when = None
    data = obj["data"]
    previous = data.get("previous_attributes")
    return when, data.get("object"), previous if isinstance(previous, dict) else None


def _created_by(
    item: dict[str, Any], parent: dict[str, Any] | None, when: datetime.datetime
) -> bool:
    """Whether an embedded copy was created with its event (a new
    subscription's items, a refund in ``charge.refunded``): its ``created``,
    or its parent's if it has none, is within the seconds just before the
    event. Such a copy has no row to confirm; trying would cost a statement
    for nothing. (A ``created`` after the event is not Stripe's: it is tried.)"""
    created = item.get("created")
    if not isinstance(created, int) and parent is not None:
        created = parent.get("created")
    if not isinstance(created, int):
        return False
    return 0 <= when.timestamp() - created <= _CREATED_WITH_EVENT


#: Seconds between an object's ``created`` and the event that announces it.
_CREATED_WITH_EVENT = 2


def _observations(
    objects: Iterable[dict[str, Any]],
    observed_at: datetime.datetime,
    result: UpsertResult,
) -> tuple[
    dict[type[StripeModel], dict[str, _Observation]],
    list[tuple[type[StripeModel], dict[str, Any]]],
]:
    """Group ``objects`` and everything nested in them by model, one per id.

    A top-level object wins over a nested copy of the same object; among
    equals, the later one wins (it is the later observation).
    """
    groups: dict[type[StripeModel], dict[str, _Observation]] = {}
    deletions: list[tuple[type[StripeModel], dict[str, Any]]] = []

    def add(
        data: dict[str, Any],
        top_level: bool,
        parent: dict[str, Any] | None = None,
        seen_at: datetime.datetime = observed_at,
        previous: dict[str, Any] | None = None,
        from_event: bool = False,
        embedded: bool = False,
    ) -> None:
        model = registry.model_for(data.get("object"))
        if model is None or not isinstance(data.get("id"), str):
            result.ignored += top_level
            return
        if data.get("deleted") is True:
            deletions.append((model, data))
            return
        if not model.is_valid_object(data):
            result.ignored += top_level
            return
        bucket = groups.setdefault(model, {})
        current = bucket.get(data["id"])
        if current is None or top_level or not current.top_level:
            if current is None or seen_at >= current.observed_at:
                bucket[data["id"]] = _Observation(
                    model,
                    data,
                    seen_at,
                    top_level,
                    parent,
                    previous,
                    from_event,
                    embedded,
                )

    for obj in objects:
        nested: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
        _collect_nested(obj, nested)
        # What an event carries was true when the event happened, not when the
        # event was read: a page of old events must not pass for current state.
        event_time, carried, previous = _event_facts(obj)
        for item, parent in nested:
            if event_time is not None and item is not carried and parent is not carried:
                # Deeper copies in an event (a subscription item's price) are
                # incidental snapshots of objects with events of their own.
                continue
            add(
                item,
                top_level=False,
                parent=parent,
                seen_at=min(event_time or observed_at, observed_at),
                previous=previous if item is carried else None,
                from_event=event_time is not None,
                embedded=event_time is not None
                and item is not carried
                and not _created_by(item, parent, event_time),
            )
        add(obj, top_level=True)
    return groups, deletions


# -- Writing --------------------------------------------------------------------


_State = dict[str, gate.Stored]
#: The first column of :func:`_stored_states`' rows that are not a model's.
_TOMBSTONES = -1
_CONFIRMATIONS = -2


def _stored_states(
    ids_by_model: dict[type[StripeModel], list[str]],
) -> dict[type, _State]:
    """For each model, what the gate needs of its stored ids: their stamp and
    data, and whether Stripe deleted them (ids with neither are absent).

    One query for the whole batch, whatever the number of models: a ``UNION
    ALL`` of each model's rows and the tombstones. This runs for every batch;
    for a webhook event it is most of the cost.
    """
    models = [model for model, ids in ids_by_model.items() if ids]
    states: dict[type, _State] = {model: {} for model in ids_by_model}
    if not models:
        return states
    connection = connections[router.db_for_read(models[0])]
    shape = tuple((model, len(ids_by_model[model])) for model in models)
    sql, params, template, compiler = _states_query(shape, connection)
    ids = [i for model in models for i in ids_by_model[model]]
    params = [ids[template[p]] if p in template else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = compiler.results_iter(results=[cursor.fetchall()])
    deleted: set[str] = set()
    confirmed: dict[str, datetime.datetime] = {}
    for index, stripe_id, stamp, data in rows:
        if index == _TOMBSTONES:
            deleted.add(stripe_id)
        elif index == _CONFIRMATIONS:
            confirmed[stripe_id] = stamp
        else:
            states[models[index]][stripe_id] = gate.Stored(stamp, data)
    for (
        model
    ) in models:  # a row's stamp is the newest of its own and its confirmations'
        for stripe_id, stored in states[model].items():
            if stripe_id in confirmed and (
                stored.stamp is None or stored.stamp < confirmed[stripe_id]
            ):
                states[model][stripe_id] = replace(stored, stamp=confirmed[stripe_id])
    for model in models:
        for stripe_id in deleted.intersection(ids_by_model[model]):
            stored = states[model].get(stripe_id, gate.Stored(exists=False))
            states[model][stripe_id] = replace(stored, deleted=True)
    return states


def observed_stamps(
    model: type[StripeModel], ids: Iterable[str]
) -> dict[str, datetime.datetime | None]:
    """When the mirror last saw each stored object of ``ids`` as it is: the
    newest of its row's ``djstripe_observed_at`` and its confirmations (see
    :class:`~djstripe.models.Confirmation`). This is the stamp the gate
    compares with."""
    states = _stored_states({model: list(ids)})[model]
    return {i: stored.stamp for i, stored in states.items() if stored.exists}


@functools.lru_cache(maxsize=256)
def _states_query(
    shape: tuple[tuple[type[StripeModel], int], ...], connection: Any
) -> tuple[str, list[Any], dict[str, int], Any]:
    """The read of :func:`_stored_states` for batches of one shape (models and
    how many ids of each), built with the ORM so that Django converts the
    values: its SQL, its parameters with placeholders where the ids go, which
    id of the batch each placeholder stands for, and the compiler that
    converts its rows. Built once per shape: compiling a union of querysets
    costs more than running it."""
    placeholders = {
        f"\x00djstripe-id-{n}": n for n in range(sum(count for _, count in shape))
    }
    ids = iter(placeholders)
    batch = [(model, [next(ids) for _ in range(count)]) for model, count in shape]
    first = shape[0][0]
    queries = [
        _annotated(
            model._base_manager.filter(id__in=model_ids),
            Value(index),
            F("id"),
            F(STAMP),
            F("stripe_data"),
        )
        for index, (model, model_ids) in enumerate(batch)
    ]
    tombstone = apps.get_model("djstripe", "DeletedStripeObject")
    confirmation = apps.get_model("djstripe", "Confirmation")
    every_id = [i for _, model_ids in batch for i in model_ids]
    stamp_field = cast(Field[Any, Any], first._meta.get_field(STAMP))
    no_data = Value(
        None, output_field=cast(Field[Any, Any], first._meta.get_field("stripe_data"))
    )
    queries.append(
        _annotated(
            tombstone._base_manager.filter(stripe_id__in=every_id),
            Value(_TOMBSTONES),
            F("stripe_id"),
            Value(None, output_field=stamp_field),
            no_data,
        )
    )
    queries.append(
        _annotated(
            confirmation._base_manager.filter(stripe_id__in=every_id).values(
                "stripe_id"
            ),
            Value(_CONFIRMATIONS),
            F("stripe_id"),
            Max("observed_at", output_field=stamp_field),
            no_data,
        )
    )
    union = queries[0].union(*queries[1:], all=True)
    compiler = union.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    return sql, list(params), placeholders, compiler


def _annotated(queryset: Any, *columns: Any) -> Any:
    """``queryset`` as rows of ``columns`` (expressions), in that order, ready
    to be combined with others: annotations only, no ordering."""
    names = [f"_gate_{n}" for n in range(len(columns))]
    return (
        queryset.order_by()
        .annotate(**dict(zip(names, columns, strict=True)))
        .values_list(*names)
    )


def _from_db(field: Any, connection: Any) -> Any:
    """The conversion Django applies to ``field``'s raw value from a raw query."""
    converters = connection.ops.get_db_converters(
        field.cached_col
    ) + field.get_db_converters(connection)

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, field.cached_col, connection)
        return value

    return convert


def row_values(
    model: type[StripeModel],
    data: dict[str, Any],
    observed_at: datetime.datetime | None,
    owner_account: str | None,
) -> dict[str, Any]:
    """The column values (by attname) that ``data`` gives a row of ``model``."""
    now = timezone.now()
    values: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        value = f.stripe_value(data) if isinstance(f, StripeFieldMixin) else None
        values[f.attname] = f.get_default() if value is None and not f.null else value
    values.update(
        livemode=data.get("livemode"),
        created=timestamp_to_datetime(data.get("created")),
        stripe_data=data,
        djstripe_owner_account_id=owner_account
        or values.get("djstripe_owner_account_id"),
        djstripe_created=now,
        djstripe_updated=now,
        **{STAMP: observed_at},
    )
    values.update(model.stripe_extra_values(data))
    return values


def _row(
    model: type[StripeModel],
    obs: _Observation,
    owner_account: str | None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row an observation writes (``data``: its normalized data, if the
    caller already has it), with the parent an embedded child inherits."""
    if data is None:
        data = normalize(model, obs.data)
    row = row_values(model, data, obs.observed_at, owner_account)
    _inherit_parent(model, row, obs.parent)
    return row


def _inherit_parent(
    model: type[StripeModel], row: dict[str, Any], parent: dict[str, Any] | None
) -> None:
    """Fill ``model.stripe_parent_field`` from the object that embedded this one,
    when the object's own data does not name it.

    Stripe does not always repeat the parent in a nested child (a line item
    inside its invoice, an entitlement inside a customer's entitlement
    summary). The parent is either the embedding object itself, if it is of
    the relation's type, or what the embedding object names under the same
    field (the summary's ``customer``).
    """
    if parent is None or not model.stripe_parent_field:
        return
    field: Any = model._meta.get_field(model.stripe_parent_field)
    if row.get(field.attname):
        return
    if registry.model_for(parent.get("object")) is field.related_model:
        row[field.attname] = parent.get("id")
    else:
        row[field.attname] = stripe_id_of(parent.get(field.stripe_path or field.name))


def _update_columns(model: type[StripeModel]) -> list[str]:
    """Columns an upsert may overwrite: what Stripe says, plus bookkeeping."""
    local = {"djstripe_created"} | set(model.stripe_local_fields)
    return [f.column for f in _table_fields(_id_table(model)) if f.attname not in local]


def _execute_insert(
    model: type[StripeModel], rows: list[dict[str, Any]], *, on_conflict: str
) -> list[str]:
    """``INSERT ... VALUES ... ON CONFLICT (id) <on_conflict> RETURNING id``;
    return the ids of the rows inserted or updated."""
    qn = connections[router.db_for_write(model)].ops.quote_name

    def statement(head: str, rows_sql: str) -> str:
        return (
            f"{head} {rows_sql} "
            f"ON CONFLICT ({qn('id')}) {on_conflict} RETURNING {qn('id')}"
        )

    return [row[0] for row in _insert_chunks(model, rows, statement)]


def _insert_chunks(
    model: type[StripeModel],
    rows: list[dict[str, Any]],
    statement: Callable[[str, str], str],
    extra_params: Sequence[Any] = (),
    *,
    table_model: Any = None,
) -> list[tuple[Any, ...]]:
    """Run an ``INSERT`` per chunk of rows and return what it ``RETURNING``s.

    ``statement(head, rows_sql)`` builds the SQL from the ``INSERT INTO table
    (columns)`` head and the chunk's rows as SQL (``gate.Dialect.rows``;
    ``extra_params`` follow the chunk's). The table is ``table_model``'s, by
    default the one that holds the Stripe ``id`` (a multi-table model's
    parent). Rows go in id order: concurrent batches that share ids then wait
    for each other instead of deadlocking.
    """
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    sql = gate.dialect(connection.vendor)
    table_model = table_model or _id_table(model)
    fields = _table_fields(table_model)
    head = (
        f"INSERT INTO {qn(table_model._meta.db_table)} AS {_STORED} "
        f"({', '.join(qn(f.column) for f in fields)})"
    )
    types = [f.cast_db_type(connection) for f in fields]
    returned: list[tuple[Any, ...]] = []
    rows = sorted(rows, key=lambda row: row["id"])
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK_SIZE):
            chunk = rows[start : start + CHUNK_SIZE]
            values = [
                [f.get_db_prep_save(row[f.attname], connection) for f in fields]
                for row in chunk
            ]
            cursor.execute(
                statement(head, sql.rows(types, len(chunk))),
                [*sql.rows_params(values), *extra_params],
            )
            if cursor.description:
                returned.extend(cursor.fetchall())
    return returned


def _id_table(model: type[StripeModel]) -> Any:
    """The model whose table holds the Stripe ``id``: ``model`` itself, or the
    parent of a multi-table model (the polymorphic payment sources' shared
    table)."""
    return model._meta.get_field("id").model


def _table_fields(table_model: Any) -> list[Any]:
    """The columns an ``INSERT`` into ``table_model``'s own table writes: its
    concrete fields but an automatic primary key (a parent link is kept)."""
    return [
        f
        for f in table_model._meta.local_concrete_fields
        if not (f.primary_key and not f.remote_field)
    ]


def _write_children(
    model: type[StripeModel], rows: list[dict[str, Any]], parent_pks: dict[str, Any]
) -> None:
    """The child-table half of a multi-table model's rows (a Card's own
    columns), once the gated write of the parent half let them through: one
    ``INSERT ... ON CONFLICT (parent link) DO UPDATE`` for the batch."""
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    link = model._meta.pk
    own = [f for f in _table_fields(model) if f is not link]
    rows = [{**row, link.attname: parent_pks[row["id"]]} for row in rows]
    update = ", ".join(f"{qn(f.column)} = excluded.{qn(f.column)}" for f in own)
    action = f"DO UPDATE SET {update}" if update else "DO NOTHING"

    def statement(head: str, rows_sql: str) -> str:
        return f"{head} {rows_sql} ON CONFLICT ({qn(cast(str, link.column))}) {action}"

    _insert_chunks(model, rows, statement, table_model=model)


def _insert_new(
    model: type[StripeModel],
    observations: dict[str, _Observation],
    owner_account: str | None,
    result: UpsertResult,
) -> None:
    """Write objects that never change once created (events): insert the new
    ones and leave the known ones alone, in one statement and without a read."""
    rows = [_row(model, obs, owner_account) for obs in observations.values()]
    inserted = _execute_insert(model, rows, on_conflict="DO NOTHING")
    result.created += len(inserted)
    result.unchanged += len(rows) - len(inserted)
    if inserted:
        result.written_ids.setdefault(model._meta.label, []).extend(inserted)


def _bump_stamps(
    model: type[StripeModel], ids: list[str], observed_at: datetime.datetime
) -> None:
    """Record that unchanged rows were seen at ``observed_at`` (the gate's
    :attr:`~djstripe.sync.gate.Verdict.CONFIRMED`), where it is newer.

    Without this, an event older than this observation but newer than the
    row's stamp would pass the gate and roll the row back.
    """
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    stamp_table = model._meta.get_field(STAMP).model._meta.db_table
    columns = replace(
        _columns(model, connection),
        stored_stamp=f"{qn(stamp_table)}.{qn(STAMP)}",
        new_stamp="%s",
    )
    newer, _ = gate.render_sql(gate.Newer(), gate.dialect(connection.vendor), columns)
    stamp_field = cast(Field[Any, Any], model._meta.get_field(STAMP))
    stamp = stamp_field.get_db_prep_save(observed_at, connection)
    model._base_manager.filter(id__in=ids).filter(
        RawSQL(newer, [stamp], output_field=BooleanField())
    ).update(**{STAMP: observed_at})


def _columns(
    model: type[StripeModel], connection: Any, new_id: str = "NULL"
) -> gate.Columns:
    """The gate's operands in a gated write of ``model``: the stored row, the
    new one (``excluded``) and the new row's id (``new_id``). The stored
    stamp is the newest of the row's own and its confirmations'."""
    qn = connection.ops.quote_name
    sql = gate.dialect(connection.vendor)
    tombstones = apps.get_model("djstripe", "DeletedStripeObject")._meta.db_table
    confirmations = apps.get_model("djstripe", "Confirmation")._meta.db_table
    return gate.Columns(
        stored_stamp=sql.greatest(
            f"{_STORED}.{qn(STAMP)}",
            sql.confirmed_at(confirmations, f"{_STORED}.{qn('id')}"),
        ),
        new_stamp=f"excluded.{qn(STAMP)}",
        stored_data=f"{_STORED}.{qn('stripe_data')}",
        new_data=f"excluded.{qn('stripe_data')}",
        tombstone=f"SELECT 1 FROM {qn(tombstones)} WHERE {qn(tombstones)}.{qn('stripe_id')} = {new_id}",
    )


def _writes_first(model: type[StripeModel], bucket: dict[str, _Observation]) -> bool:
    """Objects carried by events are written first, with the whole gate in the
    statement, and read only if it turned them down: an event's objects are
    one or a few rows, most likely changed. (A page of API reads is a hundred
    rows, most likely unchanged: those are read first, and not rewritten.)"""
    return all(obs.from_event for obs in bucket.values())


def _write_first(
    model: type[StripeModel],
    observations: dict[str, _Observation],
    owner_account: str | None,
    result: UpsertResult,
) -> dict[str, _Observation]:
    """One gated write for the whole bucket; return what it turned down
    (stale, a tie, deleted) for the read-first path to sort out."""
    rows = {i: _row(model, obs, owner_account) for i, obs in observations.items()}
    [first, *others] = observations.values()
    previous = first.previous if not others else None
    verdicts = _execute_gated_insert(model, list(rows.values()), previous=previous)
    for stripe_id, verdict in verdicts.items():
        _count(result, model, stripe_id, verdict)
    return {i: obs for i, obs in observations.items() if i not in verdicts}


# -- Unchanged copies in events: confirmations -----------------------------------


def _confirm_unchanged(
    embedded: dict[type[StripeModel], dict[str, _Observation]],
    result: UpsertResult,
) -> None:
    """Take out of ``embedded`` the copies that equal their rows, and record
    each as a :class:`~djstripe.models.Confirmation` instead of moving the
    row's stamp: one ``INSERT ... SELECT`` for the whole batch, which reads
    the rows but neither writes nor locks them.

    Events embed shared objects (the platform account, a popular price, a
    discount) that rarely change. Rewriting the row for each copy would make
    every concurrent event queue on it. A copy is confirmed if its row holds
    the same data and is not tombstoned; the others go on to the gated write.
    A confirmation counts as the row's stamp in the gate, so a late event
    still cannot roll the row back.

    A confirmation takes no row lock, so the database would not order it
    against a concurrent writer of older data. Where writers run at once
    (PostgreSQL), the comparison (``gate.Dialect.matches``) first takes a
    *shared* advisory lock on the id, which confirmers never wait for among
    themselves, and then reads what is committed; a gated write takes the
    id's lock *exclusively* before it reads the confirmations
    (``gate.Dialect.confirmed_at``). So a writer either sees a confirmation
    or is seen by it.
    """
    candidates = [
        (model, obs)
        for model, bucket in embedded.items()
        if not model.stripe_immutable
        for obs in bucket.values()
    ]
    if not candidates:
        return
    connection = connections[router.db_for_write(candidates[0][0])]
    qn = connection.ops.quote_name
    confirmations = apps.get_model("djstripe", "Confirmation")._meta.db_table
    columns = ", ".join(qn(c) for c in ("object_type", "stripe_id", "observed_at"))
    candidates.sort(key=lambda candidate: candidate[1].data["id"])
    for start in range(0, len(candidates), CHUNK_SIZE):
        matching, params = _matching_copies(
            candidates[start : start + CHUNK_SIZE], connection
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(confirmations)} ({columns}) {matching} "
                f"RETURNING {qn('object_type')}, {qn('stripe_id')}",
                params,
            )
            for object_type, stripe_id in cursor.fetchall():
                model = registry.model_for(object_type)
                bucket = embedded.get(model) if model is not None else None
                if bucket is not None and bucket.pop(stripe_id, None) is not None:
                    result.unchanged += 1


def _matching_copies(
    copies: list[tuple[type[StripeModel], _Observation]], connection: Any
) -> tuple[str, list[Any]]:
    """A ``SELECT`` of ``(object_type, stripe_id, observed_at)`` for each copy
    whose row holds the same data (the database's JSON equality) and is not
    tombstoned, and its parameters."""
    sql = gate.dialect(connection.vendor)
    qn = connection.ops.quote_name
    tombstones = apps.get_model("djstripe", "DeletedStripeObject")._meta.db_table
    v = [sql.values_column(i) for i in range(3)]
    by_model: dict[type[StripeModel], list[_Observation]] = {}
    for model, obs in copies:
        by_model.setdefault(model, []).append(obs)
    selects, params = [], []
    for model, observations in by_model.items():
        table = _id_table(model)
        data, stamp = (
            cast(Field[Any, Any], table._meta.get_field(name))
            for name in ("stripe_data", STAMP)
        )
        id_field = cast(Field[Any, Any], table._meta.get_field("id"))
        marks = ", ".join(
            sql.value_mark(cast(str, f.cast_db_type(connection)))
            for f in (id_field, data, stamp)
        )
        selects.append(
            f"SELECT %s, {v[0]}, {v[2]} "
            f"FROM (VALUES {', '.join([f'({marks})'] * len(observations))}) "
            f"AS {sql.values_alias(3)} WHERE NOT EXISTS "
            f"(SELECT 1 FROM {qn(tombstones)} AS t WHERE t.{qn('stripe_id')} = {v[0]}) "
            f"AND {sql.matches(table._meta.db_table, v[0], v[1])}"
        )
        params.append(model.stripe_object_name)
        for obs in observations:
            params += [
                obs.data["id"],
                data.get_db_prep_save(normalize(model, obs.data), connection),
                stamp.get_db_prep_save(obs.observed_at, connection),
            ]
    return " UNION ALL ".join(selects), params


def fold_confirmations(using: str | None = None) -> int:
    """Fold the confirmations into their rows' stamps and delete them; return
    how many were deleted.

    What the gate compares does not change: a row's stamp becomes the newest
    of its own and its confirmations'. It bounds the table, which grows by one
    row for each unchanged copy an event embeds. The fold writes each
    confirmed row once, in one ``UPDATE`` per type, however many events
    confirmed it; ``djstripe_prune_webhooks`` runs it.
    """
    confirmation = apps.get_model("djstripe", "Confirmation")
    using = using or router.db_for_write(confirmation)
    confirmations = confirmation._base_manager.db_manager(using)
    deleted = 0
    for object_type in list(
        confirmations.order_by().values_list("object_type", flat=True).distinct()
    ):
        of_type = confirmations.filter(object_type=object_type)
        model = registry.model_for(object_type)
        if model is None:
            deleted += of_type.delete()[0]
            continue
        rows = _id_table(model)._base_manager.db_manager(using)
        newest = Subquery(
            confirmations.filter(stripe_id=OuterRef("id"))
            .order_by()
            .values("stripe_id")
            .annotate(newest=Max("observed_at"))
            .values("newest")[:1]
        )
        with transaction.atomic(using=using):
            rows.filter(id__in=of_type.values("stripe_id")).annotate(
                newest=newest
            ).filter(
                Q(**{f"{STAMP}__isnull": True}) | Q(**{f"{STAMP}__lt": F("newest")})
            ).update(**{STAMP: newest})
            newer = rows.filter(
                id=OuterRef("stripe_id"), **{f"{STAMP}__lt": OuterRef("observed_at")}
            )
            deleted += of_type.exclude(Exists(newer)).delete()[0]
    return deleted


def _count(
    result: UpsertResult,
    model: type[StripeModel],
    stripe_id: str,
    verdict: gate.Verdict,
) -> None:
    """Count one observation's verdict; note the ids whose data was written."""
    counter = _COUNTERS.get(verdict)
    if counter:
        setattr(result, counter, getattr(result, counter) + 1)
    if verdict in (gate.Verdict.CREATED, gate.Verdict.UPDATED):
        result.written_ids.setdefault(model._meta.label, []).append(stripe_id)


#: Which :class:`UpsertResult` field counts each verdict (a tie is counted
#: once Stripe has settled it).
_COUNTERS = {
    gate.Verdict.DELETED: "skipped_deleted",
    gate.Verdict.CREATED: "created",
    gate.Verdict.UPDATED: "updated",
    gate.Verdict.CONFIRMED: "unchanged",
    gate.Verdict.UNCHANGED: "unchanged",
    gate.Verdict.STALE: "stale",
}


def _execute_gated_insert(
    model: type[StripeModel],
    rows: list[dict[str, Any]],
    *,
    previous: dict[str, Any] | None = None,
    tie_wins: bool = False,
) -> dict[str, gate.Verdict]:
    """The gated write, the one statement by which the engine changes a row:
    ``INSERT ... SELECT`` from ``VALUES`` of what the gate admits, ``ON
    CONFLICT`` updating the rows it accepts (``djstripe_updated`` only when
    the data differs). Return the verdict on each row it inserted
    (``CREATED``), updated (``UPDATED``) or only stamped (``CONFIRMED``);
    what it turned down is not there.

    A multi-table model (a polymorphic payment source) is gated on its
    parent's table, which holds the Stripe ``id``; its own columns follow in
    a second statement, for the rows whose data changed.

    ``previous``: the ``previous_attributes`` of a single event's object;
    ``tie_wins``: the rows are Stripe's answers to ties (see :mod:`.gate`).
    """
    connection = connections[router.db_for_write(model)]
    parts = _gated_write(model, connection)
    if previous:
        where, extra_params = gate.render_sql(
            gate.ACCEPTS,
            parts.dialect,
            parts.columns,
            previous=previous,
            tie_wins=tie_wins,
        )
    else:
        where, extra_params = parts.accepts[tie_wins], []

    def statement(head: str, rows_sql: str) -> str:
        return (
            f"{head} SELECT * FROM ({rows_sql}) "
            f"AS {parts.alias} WHERE {parts.admits} {parts.on_conflict} "
            f"WHERE {where} RETURNING {parts.returning}"
        )

    constants = _polymorphic_type(model, connection)
    rows = [{**row, **constants} for row in rows]
    verdicts: dict[str, gate.Verdict] = {}
    parent_pks: dict[str, Any] = {}
    now = {row["id"]: row["djstripe_updated"] for row in rows}
    for stripe_id, created, updated, pk in _insert_chunks(
        model, rows, statement, extra_params
    ):
        if parts.created_from_db(created) == now[stripe_id]:
            verdicts[stripe_id] = gate.Verdict.CREATED
        elif parts.updated_from_db(updated) == now[stripe_id]:
            verdicts[stripe_id] = gate.Verdict.UPDATED
        else:  # the same data: only the stamp moved forward
            verdicts[stripe_id] = gate.Verdict.CONFIRMED
            continue
        parent_pks[stripe_id] = pk
    if model._meta.parents and parent_pks:
        changed = [row for row in rows if row["id"] in parent_pks]
        _write_children(model, changed, parent_pks)
    return verdicts


@dataclass(frozen=True)
class _GatedWrite:
    """What a model's gated statement holds whatever the rows: the database's
    spelling, the gate's operands and clauses, and the converters of what it
    returns."""

    dialect: gate.Dialect
    columns: gate.Columns
    alias: str
    admits: str
    #: ``WHERE`` of the update, without ``previous_attributes``, by ``tie_wins``.
    accepts: dict[bool, str]
    on_conflict: str
    returning: str
    created_from_db: Callable[[Any], Any]
    updated_from_db: Callable[[Any], Any]


@functools.lru_cache(maxsize=256)
def _gated_write(model: type[StripeModel], connection: Any) -> _GatedWrite:
    sql = gate.dialect(connection.vendor)
    qn = connection.ops.quote_name
    table = _id_table(model)
    fields = _table_fields(table)
    id_column = sql.values_column([f.attname for f in fields].index("id"))
    columns = _columns(model, connection, id_column)
    data, updated = qn("stripe_data"), qn("djstripe_updated")
    assignments = [
        f"{qn(c)} = excluded.{qn(c)}"
        for c in _update_columns(model)
        if c != "djstripe_updated"
    ]
    assignments.append(
        f"{updated} = CASE WHEN {_STORED}.{data} {sql.distinct} excluded.{data} "
        f"THEN excluded.{updated} ELSE {_STORED}.{updated} END"
    )
    return _GatedWrite(
        dialect=sql,
        columns=columns,
        alias=sql.values_alias(len(fields)),
        admits=gate.render_sql(gate.ADMITS, sql, columns)[0],
        accepts={
            wins: gate.render_sql(gate.ACCEPTS, sql, columns, tie_wins=wins)[0]
            for wins in (False, True)
        },
        on_conflict=f"ON CONFLICT ({qn('id')}) DO UPDATE SET {', '.join(assignments)}",
        returning=(
            f"{qn('id')}, {qn('djstripe_created')}, {updated}, "
            f"{qn(table._meta.pk.column)}"
        ),
        created_from_db=_from_db(model._meta.get_field("djstripe_created"), connection),
        updated_from_db=_from_db(model._meta.get_field("djstripe_updated"), connection),
    )


def _polymorphic_type(model: type[StripeModel], connection: Any) -> dict[str, Any]:
    """For a django-polymorphic model, its content type, which the ORM would
    set on save: queries through the parent return each row as its type.
    (Django caches content types, and clears its cache when they change.)"""
    if not any(f.name == "polymorphic_ctype" for f in model._meta.concrete_fields):
        return {}
    content_types = apps.get_model("contenttypes", "ContentType").objects
    content_type = content_types.db_manager(connection.alias).get_for_model(
        model, for_concrete_model=False
    )
    return {"polymorphic_ctype_id": content_type.pk}


def _write_model(
    model: type[StripeModel],
    observations: dict[str, _Observation],
    state: _State,
    *,
    owner_account: str | None,
    tie_wins: bool,
    result: UpsertResult,
) -> list[str]:
    """Gate and write one model's observations against what was read of
    them; return the ids of ties for Stripe to settle."""
    to_write: list[dict[str, Any]] = []
    #: Ties the event's ``previous_attributes`` placed, on the row just read.
    placed: list[dict[str, Any]] = []
    confirmed: dict[datetime.datetime, list[str]] = {}
    ties: list[str] = []
    for stripe_id, obs in observations.items():
        stored = state.get(stripe_id, gate.Stored(exists=False))
        data = normalize(model, obs.data)
        new = gate.Observed(obs.observed_at, data, obs.previous, tie_wins)
        verdict = gate.verdict(stored, new)
        if verdict is gate.Verdict.TIE:
            ties.append(stripe_id)
            continue
        _count(result, model, stripe_id, verdict)
        if verdict is gate.Verdict.CONFIRMED:
            confirmed.setdefault(obs.observed_at, []).append(stripe_id)
        elif verdict in (gate.Verdict.CREATED, gate.Verdict.UPDATED):
            row = _row(model, obs, owner_account, data)
            tie = stored.exists and gate.holds(gate.Tie(), stored, new)
            (placed if tie else to_write).append(row)
    # A placed tie was judged on the row read in this transaction, where
    # Python compares JSON exactly (SQLite compares JSON text): it is written
    # as Stripe's answer would be, still never over newer data.
    for rows, wins in ((to_write, tie_wins), (placed, True)):
        if rows:
            _execute_gated_insert(model, rows, tie_wins=wins)
    for seen_at, ids in confirmed.items():
        _bump_stamps(model, ids, seen_at)
    return ties


def upsert(
    objects: Iterable[dict[str, Any]] | dict[str, Any],
    *,
    observed_at: datetime.datetime | None = None,
    api_key: str | None = None,
    stripe_account: str | None = None,
    owner_account: str | None = None,
    refetch: str = "on_tie",
    _tie_wins: bool = False,
) -> UpsertResult:
    """Mirror a batch of Stripe objects (of any mirrored types) into rows.

    :param objects: Stripe objects as dicts (one dict is accepted too).
    :param observed_at: when the objects were true: ``event.created`` for a
        webhook payload, the response time for an API read. By default the
        ``observed_at`` that :mod:`djstripe.stripe_api` attaches to what it
        returns (Stripe's ``Date`` header), else now; in whole seconds.
    :param refetch: on an exact-timestamp tie with the stored row, ``"on_tie"``
        re-reads the object from Stripe; ``"never"`` keeps the stored row.
    :param owner_account: the Stripe account that owns the objects.
    """
    if isinstance(objects, dict):
        objects = [objects]
    observed_at = observed_at or _observed_at_of(objects) or _now()
    result = UpsertResult()
    groups, deletions = _observations(objects, observed_at, result)
    if not groups and not deletions:
        return result
    using = router.db_for_write(next(iter(groups or dict(deletions))))
    # All or nothing; inside a caller's transaction (a webhook's), no savepoint.
    with transaction.atomic(using=using, savepoint=False):
        for model, data in deletions:
            delete(model, data["id"], observed_at=observed_at, result=result)
        ties: list[tuple[type[StripeModel], str]] = []
        if not _tie_wins:
            # What events carry first, then the copies it embeds: confirmed
            # if unchanged, written first otherwise.
            embedded = _take_embedded(groups)
            _write_events_first(groups, owner_account, result)
            _confirm_unchanged(embedded, result)
            _write_events_first(embedded, owner_account, result)
            for model, bucket in embedded.items():
                groups.setdefault(model, {}).update(bucket)
        states = _stored_states({m: list(b) for m, b in groups.items() if b})
        for model, state in states.items():
            for stripe_id in _write_model(
                model,
                groups[model],
                state,
                owner_account=owner_account,
                tie_wins=_tie_wins,
                result=result,
            ):
                ties.append((model, stripe_id))
        if ties:
            _resolve_ties(ties, refetch, api_key, stripe_account, owner_account, result)
    return result


def _take_embedded(
    groups: dict[type[StripeModel], dict[str, _Observation]],
) -> dict[type[StripeModel], dict[str, _Observation]]:
    """Move the copies that events embed out of ``groups``, by model."""
    embedded: dict[type[StripeModel], dict[str, _Observation]] = {}
    for model, bucket in groups.items():
        for stripe_id, obs in list(bucket.items()):
            if obs.embedded:
                embedded.setdefault(model, {})[stripe_id] = bucket.pop(stripe_id)
    return embedded


def _write_events_first(
    groups: dict[type[StripeModel], dict[str, _Observation]],
    owner_account: str | None,
    result: UpsertResult,
) -> None:
    """Insert the immutable objects (events) and write first the buckets of
    what events carry; leave in ``groups`` what is still to read and write."""
    for model, bucket in list(groups.items()):
        if not bucket:
            del groups[model]
        elif model.stripe_immutable:
            _insert_new(model, bucket, owner_account, result)
            del groups[model]
        elif _writes_first(model, bucket):
            groups[model] = _write_first(model, bucket, owner_account, result)


def _observed_at_of(objects: Any) -> datetime.datetime | None:
    """The Stripe time a page, or every object of a batch, was read at."""
    stamp = getattr(objects, "observed_at", None)
    if stamp is None and isinstance(objects, list | tuple) and objects:
        stamps = [getattr(obj, "observed_at", None) for obj in objects]
        if None not in stamps:
            stamp = max(cast(list[datetime.datetime], stamps))
    return stamp


def _now() -> datetime.datetime:
    """Now, in whole seconds like Stripe's timestamps.

    A fraction would rank a read at 12:00:00.5 above an event Stripe stamped
    12:00:00 for a change made at 12:00:00.7; truncated, the two tie and the
    engine asks Stripe instead of dropping the event.
    """
    now = _clocks[-1]() if _clocks else timezone.now()
    return now.replace(microsecond=0)


_clocks: list[Callable[[], datetime.datetime]] = []


@contextlib.contextmanager
def use_clock(clock: Callable[[], datetime.datetime]) -> Iterator[None]:
    """Take "now" from ``clock`` for objects that carry no observation time.

    Data read through :mod:`djstripe.stripe_api` is stamped with Stripe's own
    clock; only objects from elsewhere fall back to now. A fake Stripe whose
    clock is not the wall clock installs its own here (the testing kit's
    ``fake_stripe`` fixture does), so that both kinds of stamp agree.
    """
    _clocks.append(clock)
    try:
        yield
    finally:
        _clocks.remove(clock)


def _resolve_ties(
    ties: list[tuple[type[StripeModel], str]],
    refetch: str,
    api_key: str | None,
    stripe_account: str | None,
    owner_account: str | None,
    result: UpsertResult,
) -> None:
    """Two different states stamped with the same second: ask Stripe which is
    current instead of guessing. Without a way to ask, keep the stored row."""
    if refetch == "never":
        result.unresolved_ties += len(ties)
        return
    fresh: list[dict[str, Any]] = []
    for model, stripe_id in ties:
        try:
            fresh.append(model.api_retrieve_data(stripe_id, api_key, stripe_account))
        except Exception:  # a re-read is best effort; the stored row stays
            logger.warning(
                "Could not re-read %s %s on a tie",
                model.__name__,
                stripe_id,
                exc_info=True,
            )
            result.unresolved_ties += 1
    if fresh:
        result.refetched += len(fresh)
        result.merge(
            upsert(
                fresh,
                observed_at=max(
                    getattr(data, "observed_at", None) or _now() for data in fresh
                ),
                owner_account=owner_account,
                refetch="never",
                _tie_wins=True,
            )
        )


def delete(
    model: type[StripeModel] | str,
    stripe_id: str,
    *,
    observed_at: datetime.datetime | None = None,
    result: UpsertResult | None = None,
) -> None:
    """Record that Stripe deleted ``stripe_id`` and apply it to the mirror.

    Deletion in Stripe is final, so the tombstone makes every later update of
    the object a no-op, whatever its timestamp. Models that keep deleted rows
    (``stripe_soft_delete_field``) are marked instead of removed.
    """
    if isinstance(model, str):
        found = registry.model_for(model)
        if found is None:
            return
        model = found
    observed_at = observed_at or _now()
    tombstone = apps.get_model("djstripe", "DeletedStripeObject")
    tombstone._base_manager.get_or_create(
        stripe_id=stripe_id,
        defaults={"object_type": model.stripe_object_name, "deleted_at": observed_at},
    )
    rows = model._base_manager.filter(id=stripe_id)
    if model.stripe_soft_delete_field:
        changed = rows.update(
            **{model.stripe_soft_delete_field: observed_at, STAMP: observed_at}
        )
    else:
        changed = rows.delete()[0]
    if result is not None:
        result.deleted += bool(changed)
