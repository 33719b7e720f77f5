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
from itertools import groupby
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
    default_value,
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

#: Our field → the SQL of its value in a legacy row ``l``, and its parameters.
_Values = dict[models.Field[Any, Any], tuple[str, list[Any]]]

#: A mirrored legacy table: its name, columns, report, and the Stripe ids of
#: its rows by the model they became.
_Written = tuple[str, list[str], "TableReport", dict[type[Any], list[str]]]

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
        context.reserve_row_ids()
        context.mirror_rows()
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
        #: The legacy tables (they do not change while converting).
        self.legacy = set(legacy_tables(connection))
        #: Tables whose objects go through the engine, for the second pass.
        self.written: list[_Written] = []
        #: Objects Stripe deleted whose rows djstripe keeps (soft delete).
        self.purged: list[tuple[type[Any], dict[str, Any], datetime.datetime]] = []

    # -- reading legacy rows --------------------------------------------------

    def _select(
        self,
        legacy: str,
        columns: list[str],
        where: str = "",
        params: list[Any] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of ``legacy`` (in Stripe id order, where there is one) that
        match ``where``, fetched a page at a time. ``stripe_data`` is read as
        text."""
        qn = self.qn
        cols = ", ".join(
            f"CAST({qn(c)} AS text)" if c == "stripe_data" else qn(c) for c in columns
        )
        have = column_names(self.connection, legacy)
        order = next(
            (f" ORDER BY {qn(c)}" for c in ("id", "djstripe_id") if c in have), ""
        )
        with self.connection.cursor() as cursor:
            where = f" WHERE {where}" if where else ""
            cursor.execute(f"SELECT {cols} FROM {qn(legacy)}{where}{order}", params)
            while page := cursor.fetchmany(_PAGE):
                yield from page

    def stripe_id_sql(self, target: str, column: str) -> str:
        """SQL for the Stripe id of the ``target`` (``"account"``) that the
        legacy relation ``column`` (SQL) names."""
        legacy = LEGACY_PREFIX + target
        if legacy not in self.legacy:
            return column
        return _legacy_id_sql(self.qn(legacy), column)

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
        if legacy_event not in self.legacy:
            return
        rows = self._select(
            legacy_event, ["type", "data", "created"], "type LIKE %s", ["%.deleted"]
        )
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
        if legacy not in self.legacy:
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
        """Register the table for :meth:`mirror_rows`."""
        self.written.append((legacy, columns, entry, {}))

    def mirror_rows(self) -> None:
        """Push the rows of every registered table through the engine, oldest
        first, one call per minute of ``djstripe_updated`` (in pages of 500,
        in table and Stripe id order): within a call an object's own row wins
        over the copies other objects embed (an invoice's lines), and across
        calls the later observation wins."""
        rows_by_age = self._rows_by_age()
        for stamp, rows in groupby(
            rows_by_age, key=lambda r: _window(_as_datetime(r[2]))
        ):
            objects = [
                data
                for table, raw, _, _ in sorted(rows, key=lambda row: (row[0], row[3]))
                if (data := self._object(self.written[table], raw, stamp)) is not None
            ]
            for start in range(0, len(objects), 500):
                batch = objects[start : start + 500]
                engine.upsert(batch, observed_at=stamp, refetch="never")
        for model, data, stamp in self.purged:
            engine.delete(model, data["id"], observed_at=stamp)
            model._base_manager.filter(id=data["id"]).update(stripe_data=data)

    def _rows_by_age(self) -> Iterator[tuple[int, str, Any, str]]:
        """``(table, stripe_data, djstripe_updated, key)`` of every registered
        table's rows, by ``djstripe_updated``, streamed with one query
        (``table`` indexes :attr:`written`; ``key`` is the Stripe id)."""
        qn = self.qn
        selects = [
            f"SELECT {index} AS t, CAST(stripe_data AS text) AS d,"
            f" djstripe_updated AS u,"
            f" CAST({'id' if 'id' in columns else 'djstripe_id'} AS varchar(255)) AS k"
            f" FROM {qn(legacy)}"
            for index, (legacy, columns, _, _) in enumerate(self.written)
        ]
        if not selects:
            return
        with self.connection.chunked_cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects) + " ORDER BY u")
            while page := cursor.fetchmany(_PAGE):
                yield from page

    def _object(
        self, written: _Written, raw: str | None, stamp: datetime.datetime
    ) -> dict[str, Any] | None:
        """The Stripe object a legacy row holds, or None (and why, in the
        report) if there is none to mirror."""
        _, _, entry, ids_by_model = written
        data = json.loads(raw or "{}")
        model: Any  # a model whenever there is no reason
        model, reason = _target(data)
        if reason:
            entry.not_converted[reason] += 1
            return None
        ids_by_model.setdefault(model, []).append(data["id"])
        if data.get("deleted") is True and model.stripe_soft_delete_field:
            # A purged customer: dj-stripe kept the row with Stripe's
            # deletion stub as its data; so does djstripe.
            self.purged.append((model, data, stamp))
            data = {k: v for k, v in data.items() if k != "deleted"}
        return cast(dict[str, Any], data)

    def reserve_row_ids(self) -> None:
        """Make the ids the engine hands out start above dj-stripe's
        ``djstripe_id`` in every table that may get dj-stripe's ids back:
        then one ``UPDATE`` restores them with the local columns, and none of
        the ids it writes can collide with one the engine gave."""
        for legacy, columns, entry, _ in self.written:
            model = self.models.get(entry.table)
            if model is None or not _has_own_ids(model) or "djstripe_id" not in columns:
                continue
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT COALESCE(MAX(djstripe_id), 0) FROM {self.qn(legacy)}"
                )
                top = cursor.fetchone()[0]
            if top:
                _reserve_ids(self.connection, model, top)

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

    def _local_values(
        self, model: type[Any], table: str, columns: list[str]
    ) -> _Values:
        """Our field → the SQL of its value in the legacy row ``l``: dj-stripe's
        value, our default where dj-stripe had NULL and we may not, and the
        owner account by its Stripe id."""
        values: _Values = {}
        for column, ours in self._local_fields(model, table, columns).items():
            source = f"l.{self.qn(column)}"
            if ours.name == "djstripe_owner_account":
                owner = self.stripe_id_sql("account", source)
                values[ours] = (f"NULLIF({owner}, '')", [])
            elif (default := default_value(ours, self.connection)) is None:
                values[ours] = (source, [])
            else:
                values[ours] = (f"COALESCE({source}, %s)", [default])
        return values

    def _copy_local_columns(
        self, legacy: str, columns: list[str], model: type[Any], entry: TableReport
    ) -> None:
        """Copy the local columns, and dj-stripe's row ids where the table
        keeps them, with one ``UPDATE ... FROM`` the legacy table."""
        values = self._local_values(model, entry.table, columns)
        restore_ids = model._meta.db_table == entry.table and self._owns_its_ids(model)
        if restore_ids:
            # Never an id the engine gave: reserve_row_ids started those above.
            values[model._meta.pk] = ("l.djstripe_id", [])
        if values:
            self._update_from_legacy(legacy, model, values, entry)
        if restore_ids:
            self._reset_sequence(model)

    def _update_from_legacy(
        self, legacy: str, model: type[Any], values: _Values, entry: TableReport
    ) -> None:
        """Write ``values`` to every row in one statement. If a unique
        constraint dj-stripe did not have refuses that (two live customers of
        one subscriber), write 500 rows at a time, then the refused ones one
        by one, the latest first, each keeping what the constraint allows;
        the report says what was lost."""
        if self._try_update(legacy, model, values):
            return
        constraints = [
            c for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)
        ]
        guarded = {
            model._meta.get_field(name) for c in constraints for name in c.fields
        }
        names = ", ".join(c.name for c in constraints)
        rows = self._matched_rows(legacy, model)
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            if self._try_update(legacy, model, values, [i for i, _ in chunk]):
                continue
            for stripe_id, _ in sorted(chunk, key=lambda row: row[1], reverse=True):
                if not self._try_update(legacy, model, values, [stripe_id]):
                    lost = self._update_without_one(
                        legacy, model, values, stripe_id, guarded
                    )
                    entry.partial[
                        f"{lost} left empty: djstripe's constraint {names}"
                    ] += 1

    def _update_without_one(
        self,
        legacy: str,
        model: type[Any],
        values: _Values,
        stripe_id: str,
        guarded: set[models.Field[Any, Any]],
    ) -> str:
        """Write one row with one constrained, nullable field emptied if that
        is enough (the owner account last: what dj-stripe had twice is a
        subscriber link); failing that, with all of them emptied."""
        candidates = sorted(
            (f for f in reversed(list(values)) if f in guarded and f.null),
            key=lambda f: f.name == "djstripe_owner_account",
        )
        for emptied in candidates:
            if self._try_update(legacy, model, values, [stripe_id], {emptied}):
                return emptied.name
        self._update(legacy, model, values, [stripe_id], set(candidates))
        return ", ".join(f.name for f in candidates)

    def _try_update(
        self,
        legacy: str,
        model: type[Any],
        values: _Values,
        ids: list[str] | None = None,
        emptied: set[models.Field[Any, Any]] | None = None,
    ) -> bool:
        """:meth:`_update` in a savepoint; whether no constraint refused it."""
        try:
            with transaction.atomic(using=self.connection.alias):
                self._update(legacy, model, values, ids, emptied)
        except IntegrityError:
            return False
        return True

    def _update(
        self,
        legacy: str,
        model: type[Any],
        values: _Values,
        ids: list[str] | None = None,
        emptied: set[models.Field[Any, Any]] | None = None,
    ) -> None:
        """``UPDATE ours SET ... FROM legacy l`` for the rows with ``ids``
        (all of them by default), with the ``emptied`` fields NULL."""
        qn, table = self.qn, self.qn(model._meta.db_table)
        sets, params = [], []
        for ours, (sql, args) in values.items():
            column = qn(cast(str, ours.column))
            if emptied and ours in emptied:
                sets.append(f"{column} = NULL")
            else:
                sets.append(f"{column} = {sql}")
                params.extend(args)
        where = f"l.id = {table}.id"
        if ids is not None:
            where += f" AND l.id IN ({', '.join(['%s'] * len(ids))})"
            params.extend(ids)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {', '.join(sets)} FROM {qn(legacy)} l"
                f" WHERE {where}",
                params,
            )

    def _matched_rows(self, legacy: str, model: type[Any]) -> list[tuple[str, int]]:
        """``(Stripe id, our pk)`` of the rows a legacy row matches, in
        dj-stripe's order (by Stripe id)."""
        qn, table = self.qn, self.qn(model._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.id, t.{qn(model._meta.pk.column)} FROM {table} t"
                f" JOIN {qn(legacy)} l ON l.id = t.id ORDER BY l.id"
            )
            return list(cursor.fetchall())

    @staticmethod
    def _owns_its_ids(model: type[Any]) -> bool:
        """Whether ``djstripe_id`` is this table's own key that nothing
        djstripe wrote refers to yet, so dj-stripe's values can be restored
        (the site's own foreign keys point at them)."""
        return _has_own_ids(model) and not any(
            not isinstance(rel.field, StripeForeignKey)
            and rel.related_model._meta.app_label == "djstripe"
            and rel.related_model._base_manager.exists()
            for rel in model._meta.related_objects
        )

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
                sources.append("%s")
                params.append(default_value(f, conn))
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


def _has_own_ids(model: type[Any]) -> bool:
    """Whether the model's key is its own ``djstripe_id`` (not a parent's)."""
    return not model._meta.parents and model._meta.pk.column == "djstripe_id"


def _reserve_ids(connection: BaseDatabaseWrapper, model: type[Any], top: int) -> None:
    """Make ``model``'s next generated key greater than ``top``."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                [connection.ops.quote_name(table), column, top],
            )
            return
        # SQLite: AUTOINCREMENT keys continue from sqlite_sequence.
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s",
            [top, table],
        )
        if not cursor.rowcount:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, top]
            )


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
    qn = context.qn
    derived: dict[str, str] = {}
    # Relations by Stripe id, and the trigger's by row id (our endpoint's).
    relations = {"djstripe_owner_account_id": "account", "event_id": "event"}
    for column, target in relations.items():
        if column in columns:
            derived[column] = context.stripe_id_sql(target, f"l.{qn(column)}")
    endpoint = LEGACY_PREFIX + "webhookendpoint"
    if "webhook_endpoint_id" in columns and endpoint in context.legacy:
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
