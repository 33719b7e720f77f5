"""Convert the rows of dj-stripe's tables, once every migration has run.

Each legacy row's ``stripe_data`` goes through the mirror engine
(:func:`djstripe.sync.engine.upsert`, never asking Stripe), stamped with the
minute dj-stripe last wrote the row (rounded down): dj-stripe re-read objects
from Stripe when it wrote them, so that is about when the data was true. Then what dj-stripe
kept only locally is copied over: row ids, bookkeeping dates, owner accounts,
subscriber links, endpoint secrets, API keys and the stored webhook requests.

All of it runs in one transaction: a failure leaves the legacy tables as they
were and the next ``migrate`` tries again.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby, islice
from typing import Any, TextIO, cast

from django.apps import apps
from django.core.management.color import no_style
from django.db import IntegrityError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..fields import StripeFieldMixin, StripeForeignKey
from ..sync import engine, registry
from .schema import (
    LEGACY_PREFIX,
    REPORT_TABLE,
    column_names,
    legacy_tables,
    record,
    table_names,
)

#: Rows read from a legacy table at a time.
_PAGE = 1000
#: Converted rows are stamped with when dj-stripe last wrote them, rounded
#: down to this many seconds, so that rows written close together go through
#: the engine in one call. An event up to this much older than dj-stripe's
#: write may still apply after the switch; any later one does.
STAMP_WINDOW = 60

#: dj-stripe columns renamed in djstripe: ``{table: {legacy: ours}}``.
RENAMED = {"djstripe_webhookendpoint": {"djstripe_tolerance": "tolerance"}}

#: dj-stripe's local columns that djstripe does not keep, and why. They stay
#: in the ``djstripe_legacy_*`` tables.
DROPPED = {
    "djstripe_webhookendpoint": {
        "djstripe_validation_method": "djstripe always verifies the signature "
        "with the endpoint's secret",
    },
    "djstripe_webhookeventtrigger": {
        "djstripe_version": "the dj-stripe version that received the request",
        "stripe_trigger_account_id": "the account is in the stored body "
        "(its 'account' field)",
    },
}

#: dj-stripe tables with no djstripe counterpart, and why their rows stay.
UNCONVERTED_TABLES = {
    "djstripe_idempotencykey": "dj-stripe's keys for its own create calls; "
    "djstripe derives its idempotency keys",
    "djstripe_djstripepaymentmethod": "dj-stripe's index of payment method "
    "types; djstripe reads the type from each object",
    "djstripe_djstripeinvoicedefaulttaxrate": "a relation djstripe reads "
    "from the invoice's stripe_data",
    "djstripe_djstripeinvoiceitemtaxrate": "a relation djstripe reads from "
    "the invoice item's stripe_data",
    "djstripe_djstripesubscriptionitemtaxrate": "a relation djstripe reads "
    "from the subscription item's stripe_data",
}

#: Columns a mirror write derives from ``stripe_data`` or keeps for itself.
_ENGINE_COLUMNS = {"livemode", "stripe_data", engine.STAMP, "polymorphic_ctype_id"}


@dataclass
class TableReport:
    """What became of one legacy table's rows."""

    table: str
    converted: int = 0
    not_converted: Counter[str] = field(default_factory=Counter[str])
    #: Converted rows that lost a local value, by reason.
    partial: Counter[str] = field(default_factory=Counter[str])

    @property
    def legacy_table(self) -> str:
        return LEGACY_PREFIX + self.table.removeprefix("djstripe_")


@dataclass
class Report:
    """Rows converted per table, rows left behind and why, columns dropped."""

    tables: list[TableReport] = field(default_factory=list)
    dropped_columns: list[tuple[str, str, str]] = field(default_factory=list)
    foreign_keys: list[str] = field(default_factory=list)

    def lines(self) -> Iterator[str]:
        yield "Switched from dj-stripe: rows converted per table."
        for entry in self.tables:
            left = sum(entry.not_converted.values())
            if not entry.converted and not left:
                continue
            yield f"  {entry.table:<44} {entry.converted:>7} converted" + (
                f", {left} not converted (kept in {entry.legacy_table})" if left else ""
            )
            for reason, count in sorted(entry.not_converted.items()):
                yield f"      {count} not converted: {reason}"
            for reason, count in sorted(entry.partial.items()):
                yield f"      {count} converted with {reason} (kept in {entry.legacy_table})"
        if self.dropped_columns:
            yield "dj-stripe columns not carried over (kept in djstripe_legacy_*):"
            for table, column, reason in self.dropped_columns:
                yield f"  {table}.{column}: {reason}"
        if self.foreign_keys:
            yield "Your tables' foreign keys into dj-stripe's tables:"
        for line in self.foreign_keys:
            yield f"  {line}"
        yield (
            "dj-stripe's tables are kept as djstripe_legacy_*; this report is "
            f"in the {REPORT_TABLE} table."
        )

    def rows(self) -> list[tuple[str, str, int, str]]:
        rows = []
        for entry in self.tables:
            rows.append(("converted", entry.table, entry.converted, ""))
            for reason, count in entry.not_converted.items():
                rows.append(("not_converted", entry.table, count, reason))
            for reason, count in entry.partial.items():
                rows.append(("partial", entry.table, count, reason))
        for table, column, reason in self.dropped_columns:
            rows.append(("dropped_column", f"{table}.{column}", 0, reason))
        for line in self.foreign_keys:
            rows.append(("foreign_key_result", "", 0, line))
        rows.append(("done", "", 0, timezone.now().isoformat()))
        return rows


def pending(connection: BaseDatabaseWrapper) -> bool:
    """Whether dj-stripe's tables were moved aside and not yet converted."""
    if REPORT_TABLE not in table_names(connection):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {REPORT_TABLE} WHERE kind = 'done'")
        return bool(cursor.fetchone()[0] == 0)


def convert(using: str = "default") -> Report | None:
    """Convert the legacy rows if the switch is pending; return the report."""
    connection = connections[using]
    if not pending(connection):
        return None
    report = Report()
    with transaction.atomic(using=using):
        context = _Context(connection, report)
        context.record_deletions()
        tables = legacy_tables(connection)
        # Mirrored tables first: the copied ones (webhook requests) refer to
        # rows whose ids the mirrored ones restore.
        for legacy in [t for t in tables if not context.is_copied(t)]:
            context.convert_table(legacy)
        context.mirror_queued()
        context.copy_local_columns()
        for legacy in [t for t in tables if context.is_copied(t)]:
            context.convert_table(legacy)
        context.restore_foreign_keys()
        record(connection, report.rows())
    return report


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: convert once every djstripe migration ran."""
    if sender.name != "djstripe" or not pending(connections[using]):
        return
    stdout: TextIO = kwargs.get("stdout") or sys.stdout
    if _unapplied_migrations(connections[using]):
        stdout.write(
            "dj-stripe's tables are set aside; run `migrate` to the latest "
            "djstripe migration to convert their rows.\n"
        )
        return
    report = convert(using)
    if report is not None and kwargs.get("verbosity", 1) >= 1:
        stdout.write("\n".join(report.lines()) + "\n")


def _unapplied_migrations(connection: BaseDatabaseWrapper) -> list[Any]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return [
        key
        for key in loader.graph.nodes
        if key[0] == "djstripe" and key not in loader.applied_migrations
    ]


class _Context:
    """One conversion run: the connection, the report, and what tables share."""

    def __init__(self, connection: BaseDatabaseWrapper, report: Report):
        self.connection = connection
        self.report = report
        self.qn = connection.ops.quote_name
        self.models = {
            m._meta.db_table: m for m in apps.get_app_config("djstripe").get_models()
        }
        self.account_ids = self._account_ids()
        #: Tables whose objects went through the engine, for the second pass.
        self.written: list[
            tuple[str, list[str], TableReport, dict[type[Any], list[str]]]
        ] = []
        #: ``(second of djstripe_updated, stripe_data)`` of every legacy object.
        self.queued: list[tuple[datetime.datetime, str]] = []
        #: Objects Stripe deleted whose rows djstripe keeps (soft delete).
        self.purged: list[tuple[type[Any], dict[str, Any], datetime.datetime]] = []

    # -- reading legacy rows --------------------------------------------------

    def _select(self, legacy: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        """Rows of ``legacy`` (in Stripe id order, where there is one),
        fetched a page at a time. ``stripe_data`` is read as text."""
        qn = self.qn
        cols = ", ".join(
            f"CAST({qn(c)} AS text)" if c == "stripe_data" else qn(c) for c in columns
        )
        have = column_names(self.connection, legacy)
        order = next(
            (f" ORDER BY {qn(c)}" for c in ("id", "djstripe_id") if c in have), ""
        )
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT {cols} FROM {qn(legacy)}{order}")
            while page := cursor.fetchmany(_PAGE):
                yield from page

    def _account_ids(self) -> dict[str, str]:
        """Legacy account ``djstripe_id`` → Stripe id: dj-stripe sites that set
        ``DJSTRIPE_FOREIGN_KEY_TO_FIELD = "djstripe_id"`` store those."""
        legacy = LEGACY_PREFIX + "account"
        if legacy not in table_names(self.connection):
            return {}
        return {str(pk): sid for pk, sid in self._select(legacy, ["djstripe_id", "id"])}

    def _owner(self, value: Any) -> str | None:
        if value in (None, ""):
            return None
        return self.account_ids.get(str(value), str(value))

    # -- one table ------------------------------------------------------------

    def is_copied(self, legacy: str) -> bool:
        """Whether ``legacy`` becomes a table djstripe keeps locally (API
        keys, webhook requests), copied rather than mirrored."""
        model = self.models.get("djstripe_" + legacy.removeprefix(LEGACY_PREFIX))
        return model is not None and not self._is_mirrored(model)

    def record_deletions(self) -> None:
        """Tombstone what stored ``*.deleted`` events deleted and dj-stripe
        removed, so that the copies those events carry do not bring it back."""
        legacy_event = LEGACY_PREFIX + "event"
        if legacy_event not in table_names(self.connection):
            return
        rows = self._select(legacy_event, ["type", "data", "created"])
        for event_type, data, created in list(rows):
            if not (event_type or "").endswith(".deleted"):
                continue
            data = data if isinstance(data, dict) else json.loads(data or "{}")
            obj = (data or {}).get("object") or {}
            model = registry.model_for(obj.get("object"))
            if model is None or model.stripe_soft_delete_field or not obj.get("id"):
                continue
            legacy = LEGACY_PREFIX + model._meta.db_table.removeprefix("djstripe_")
            if not self._legacy_has(legacy, obj["id"]):
                engine.delete(model, obj["id"], observed_at=_as_datetime(created))

    def _legacy_has(self, legacy: str, stripe_id: str) -> bool:
        if legacy not in table_names(self.connection):
            return False
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {self.qn(legacy)} WHERE id = %s", [stripe_id]
            )
            return cursor.fetchone() is not None

    def convert_table(self, legacy: str) -> None:
        table = "djstripe_" + legacy.removeprefix(LEGACY_PREFIX)
        entry = TableReport(table)
        self.report.tables.append(entry)
        columns = column_names(self.connection, legacy)
        model = self.models.get(table)
        for column, reason in DROPPED.get(table, {}).items():
            if column in columns:
                self.report.dropped_columns.append((table, column, reason))
        total = self._count(legacy)
        if table in UNCONVERTED_TABLES or (
            model is None and "stripe_data" not in columns
        ):
            reason = UNCONVERTED_TABLES.get(table, "djstripe has no such table")
            if total:
                entry.not_converted[reason] += total
        elif model is not None and not self._is_mirrored(model):
            entry.converted = self._copy_rows(legacy, model, columns)
        else:
            self._mirror(legacy, columns, entry)

    def _count(self, legacy: str) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {self.qn(legacy)}")
            return cast(int, cursor.fetchone()[0])

    @staticmethod
    def _is_mirrored(model: type[Any]) -> bool:
        name = getattr(model, "stripe_object_name", "")
        return bool(name) and registry.model_for(name) is model

    # -- mirrored objects ---------------------------------------------------

    def _mirror(self, legacy: str, columns: list[str], entry: TableReport) -> None:
        """Queue every row's ``stripe_data`` for :meth:`mirror_queued`."""
        ids_by_model: dict[type[Any], list[str]] = {}
        for raw, updated in self._select(legacy, ["stripe_data", "djstripe_updated"]):
            data = json.loads(raw or "{}")
            model: Any  # a model whenever there is no reason
            model, reason = _target(data)
            if reason:
                entry.not_converted[reason] += 1
                continue
            ids_by_model.setdefault(model, []).append(data["id"])
            stamp = _window(_as_datetime(updated))
            if data.get("deleted") is True and model.stripe_soft_delete_field:
                # A purged customer: dj-stripe kept the row with Stripe's
                # deletion stub as its data; so does djstripe.
                self.purged.append((model, data, stamp))
                raw = json.dumps({k: v for k, v in data.items() if k != "deleted"})
            self.queued.append((stamp, raw))
        self.written.append((legacy, columns, entry, ids_by_model))

    def mirror_queued(self) -> None:
        """Push the queued objects of every table through the engine, oldest
        first, one call per minute of ``djstripe_updated``: within a call an
        object's own row wins over the copies other objects embed (an
        invoice's lines), and across calls the later observation wins."""
        self.queued.sort(key=lambda item: item[0])
        for second, group in groupby(self.queued, key=lambda item: item[0]):
            while batch := [json.loads(raw) for _, raw in islice(group, 500)]:
                engine.upsert(batch, observed_at=second, refetch="never")
        self.queued = []
        for model, data, stamp in self.purged:
            engine.delete(model, data["id"], observed_at=stamp)
            model._base_manager.filter(id=data["id"]).update(stripe_data=data)

    def copy_local_columns(self) -> None:
        """Once every table's objects went through the engine (a table's
        objects also arrive nested in others': a customer in its events),
        count what was written and copy the local columns over it."""
        for legacy, columns, entry, ids_by_model in self.written:
            for model, ids in ids_by_model.items():
                found = self._found_ids(model, ids)
                entry.converted += len(found)
                if missing := len(ids) - len(found):
                    reason = "deleted in Stripe (a stored event says so)"
                    entry.not_converted[reason] += missing
                self._copy_local_columns(legacy, columns, model, entry)

    @staticmethod
    def _found_ids(model: type[Any], ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            found.update(
                model._base_manager.filter(
                    id__in=ids[start : start + 500],
                    # A placeholder (see schema.move_aside) not yet written.
                    **{f"{engine.STAMP}__isnull": False},
                ).values_list("id", flat=True)
            )
        return found

    def _local_fields(
        self, model: type[Any], table: str, columns: list[str]
    ) -> dict[str, models.Field[Any, Any]]:
        """Legacy column → our field, for what dj-stripe kept only locally."""
        renamed = RENAMED.get(table, {})
        by_column = {f.column: f for f in model._meta.concrete_fields}
        local: dict[str, models.Field[Any, Any]] = {}
        for column in columns:
            ours = by_column.get(renamed.get(column, column))
            if ours is None or ours.primary_key or ours.column in _ENGINE_COLUMNS:
                continue
            if ours.name == "djstripe_owner_account" or not isinstance(
                ours, StripeFieldMixin
            ):
                local[column] = ours
        return local

    def _copy_local_columns(
        self, legacy: str, columns: list[str], model: type[Any], entry: TableReport
    ) -> None:
        table = entry.table
        local = self._local_fields(model, table, columns)
        if local:
            self._update_from_legacy(legacy, model, local, entry)
        if model._meta.db_table == table and self._owns_its_ids(model):
            self._restore_row_ids(legacy, model)

    def _update_from_legacy(
        self,
        legacy: str,
        model: type[Any],
        local: dict[str, models.Field[Any, Any]],
        entry: TableReport,
    ) -> None:
        names = list(local)
        rows = self._select(legacy, ["id", *names])
        while chunk := list(islice(rows, 500)):
            pks = dict(
                model._base_manager.filter(id__in=[r[0] for r in chunk]).values_list(
                    "id", "pk"
                )
            )
            objs = []
            for stripe_id, *values in chunk:
                if stripe_id not in pks:
                    continue
                obj = model(pk=pks[stripe_id])
                for column, value in zip(names, values, strict=True):
                    self._set_local(obj, local[column], value)
                objs.append(obj)
            self._save_local(model, objs, [f.name for f in local.values()], entry)

    def _save_local(
        self, model: type[Any], objs: list[Any], fields: list[str], entry: TableReport
    ) -> None:
        """Write the local columns; a row that would break a unique
        constraint dj-stripe did not have (two live customers of one
        subscriber) keeps the rest, and the report says what it lost."""
        alias = self.connection.alias
        try:
            with transaction.atomic(using=alias):
                model._base_manager.bulk_update(objs, fields)
            return
        except IntegrityError:
            pass
        constraints = [
            c for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)
        ]
        guarded = {name for c in constraints for name in c.fields}
        for obj in sorted(objs, key=lambda o: o.pk, reverse=True):
            try:
                with transaction.atomic(using=alias):
                    model._base_manager.bulk_update([obj], fields)
            except IntegrityError:
                lost = self._save_without_one(model, obj, fields, guarded)
                names = ", ".join(c.name for c in constraints)
                entry.partial[f"{lost} left empty: djstripe's constraint {names}"] += 1

    def _save_without_one(
        self, model: type[Any], obj: Any, fields: list[str], guarded: set[str]
    ) -> str:
        """Save ``obj`` with one constrained, nullable field emptied if that is
        enough (the owner account last: what dj-stripe had twice is a
        subscriber link); failing that, with all of them emptied."""
        candidates = sorted(
            (f for f in reversed(fields) if f in guarded and _nullable(model, f)),
            key=lambda f: f == "djstripe_owner_account",
        )
        for name in candidates:
            kept = getattr(obj, model._meta.get_field(name).attname)
            setattr(obj, model._meta.get_field(name).attname, None)
            try:
                with transaction.atomic(using=self.connection.alias):
                    model._base_manager.bulk_update([obj], fields)
                return name
            except IntegrityError:
                setattr(obj, model._meta.get_field(name).attname, kept)
        for name in candidates:
            setattr(obj, model._meta.get_field(name).attname, None)
        model._base_manager.bulk_update([obj], fields)
        return ", ".join(candidates)

    def _set_local(self, obj: Any, ours: models.Field[Any, Any], value: Any) -> None:
        if ours.name == "djstripe_owner_account":
            value = self._owner(value)
        elif value is None and not ours.null:
            value = ours.get_default()
        elif isinstance(ours, models.DateTimeField) and isinstance(value, str):
            value = _as_datetime(value)
        else:
            value = ours.to_python(value)
        setattr(obj, ours.attname, value)

    @staticmethod
    def _owns_its_ids(model: type[Any]) -> bool:
        """Whether ``djstripe_id`` is this table's own key that nothing
        djstripe wrote refers to yet, so dj-stripe's values can be restored
        (the site's own foreign keys point at them)."""
        if model._meta.parents or model._meta.pk.column != "djstripe_id":
            return False
        return not any(
            not isinstance(rel.field, StripeForeignKey)
            and rel.related_model._meta.app_label == "djstripe"
            and rel.related_model._base_manager.exists()
            for rel in model._meta.related_objects
        )

    def _restore_row_ids(self, legacy: str, model: type[Any]) -> None:
        """Give converted rows dj-stripe's ``djstripe_id``; rows dj-stripe did
        not have get ids above all of those."""
        qn, table = self.qn, self.qn(model._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET djstripe_id = -djstripe_id")
            cursor.execute(
                f"UPDATE {table} SET djstripe_id = l.djstripe_id FROM {qn(legacy)} l"
                f" WHERE l.id = {table}.id"
            )
            cursor.execute(f"SELECT COALESCE(MAX(djstripe_id), 0) FROM {qn(legacy)}")
            top = cursor.fetchone()[0]
            cursor.execute(
                f"UPDATE {table} SET djstripe_id = %s - djstripe_id"
                " WHERE djstripe_id < 0",
                [top],
            )
        self._reset_sequence(model)

    def _reset_sequence(self, model: type[Any]) -> None:
        with self.connection.cursor() as cursor:
            for sql in self.connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(sql)

    # -- local tables ---------------------------------------------------------

    def _copy_rows(self, legacy: str, model: type[Any], columns: list[str]) -> int:
        """Copy a table djstripe keeps locally (API keys, webhook requests)
        with ``INSERT ... SELECT``: same-named columns as they are, the
        others from :func:`_derived` or their defaults."""
        qn, conn = self.qn, self.connection
        targets, sources, params = [], [], []
        derived = _derived(model, columns, self)
        for f in model._meta.concrete_fields:
            targets.append(qn(f.column))
            if f.column in derived:
                sources.append(derived[f.column])
            elif f.column in columns:
                sources.append(f"l.{qn(f.column)}")
            else:
                default = None if f.null else f.get_default()
                sources.append("%s")
                params.append(f.get_db_prep_save(default, conn))
        with conn.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(targets)})"
                f" SELECT {', '.join(sources)} FROM {qn(legacy)} l",
                params,
            )
            copied: int = cursor.rowcount
        self._reset_sequence(model)
        if model._meta.db_table == "djstripe_webhookeventtrigger":
            _fill_event_types(model)
        return copied

    def restore_foreign_keys(self) -> None:
        """Add back the site's foreign keys into dj-stripe's tables (dropped
        with them), now pointing at djstripe's tables."""
        qn = self.qn
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT label, detail FROM {REPORT_TABLE} WHERE kind = 'foreign_key'"
            )
            pending = cursor.fetchall()
        for table, detail in pending:
            name, definition = json.loads(detail)
            try:
                with transaction.atomic(using=self.connection.alias):
                    with self.connection.cursor() as cursor:
                        cursor.execute(
                            f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}"
                        )
                self.report.foreign_keys.append(f"foreign key {table}.{name} restored")
            except Exception as exc:  # reported, and kept in the report table
                self.report.foreign_keys.append(
                    f"foreign key {table}.{name} NOT restored ({exc}".strip() + ")"
                )


def _nullable(model: type[Any], name: str) -> bool:
    return bool(model._meta.get_field(name).null)


def _target(data: Any) -> tuple[type[Any] | None, str]:
    """The model a legacy row's ``stripe_data`` becomes, or why none."""
    if not isinstance(data, dict) or not data.get("object"):
        return None, "stripe_data holds no Stripe object"
    if not isinstance(data.get("id"), str) or not data["id"]:
        return None, f"a {data['object']} without a Stripe id (a preview)"
    model = registry.model_for(data["object"])
    if model is None:
        return None, f"djstripe does not mirror '{data['object']}' objects"
    if not model.is_valid_object(data):
        return None, f"not a valid '{data['object']}' object"
    return model, ""


def _derived(model: type[Any], columns: list[str], context: _Context) -> dict[str, str]:
    """SQL for the columns of a copied table that need more than a copy."""
    qn, tables = context.qn, table_names(context.connection)
    derived: dict[str, str] = {}
    # Relations by Stripe id, and the trigger's by row id (our endpoint's).
    relations = {"djstripe_owner_account_id": "account", "event_id": "event"}
    for column, target in relations.items():
        legacy = LEGACY_PREFIX + target
        if column in columns and legacy in tables:
            derived[column] = _legacy_id_sql(qn(legacy), f"l.{qn(column)}")
    endpoint = LEGACY_PREFIX + "webhookendpoint"
    if "webhook_endpoint_id" in columns and endpoint in tables:
        stripe_id = _legacy_id_sql(qn(endpoint), "l.webhook_endpoint_id")
        derived["webhook_endpoint_id"] = (
            "(SELECT w.djstripe_id FROM djstripe_webhookendpoint w"
            f" WHERE w.id = {stripe_id})"
        )
    if model._meta.db_table == "djstripe_webhookeventtrigger":
        derived.update(
            attempts="CASE WHEN l.valid AND (l.processed OR l.exception <> '')"
            " THEN 1 ELSE 0 END",
            exception="COALESCE(l.exception, '')",
            traceback="COALESCE(l.traceback, '')",
        )
    return derived


def _legacy_id_sql(legacy_table: str, column: str) -> str:
    """SQL for the Stripe id a legacy relation column names: dj-stripe stored
    the Stripe id, or the ``djstripe_id`` on sites that set
    ``DJSTRIPE_FOREIGN_KEY_TO_FIELD = "djstripe_id"``."""
    return (
        f"COALESCE((SELECT r.id FROM {legacy_table} r WHERE"
        f" CAST(r.djstripe_id AS varchar(32)) = CAST({column} AS varchar(255))),"
        f" CAST({column} AS varchar(255)))"
    )


def _fill_event_types(model: type[Any]) -> None:
    """``event_type`` from each stored body (dj-stripe had no such column)."""
    ids_by_type: dict[str, list[int]] = {}
    for pk, body in model._base_manager.values_list("pk", "body").iterator():
        try:
            event_type = json.loads(body).get("type")
        except (ValueError, AttributeError):
            continue
        if isinstance(event_type, str) and event_type:
            ids_by_type.setdefault(event_type[:250], []).append(pk)
    for event_type, pks in ids_by_type.items():
        model._base_manager.filter(pk__in=pks).update(event_type=event_type)


def _window(when: datetime.datetime) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(
        int(when.timestamp()) // STAMP_WINDOW * STAMP_WINDOW, datetime.UTC
    )


def _as_datetime(value: Any) -> datetime.datetime:
    """A legacy timestamp (a string on SQLite) as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return cast(datetime.datetime, value)
