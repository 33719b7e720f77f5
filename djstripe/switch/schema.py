"""Recognise dj-stripe's schema and move its tables aside (migration time)."""

from __future__ import annotations

import json
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

#: Prefix of the copies of dj-stripe's tables.
LEGACY_PREFIX = "djstripe_legacy_"
#: What the switch recorded: pending work, and the report once converted.
REPORT_TABLE = "djstripe_switch_report"
#: Legacy columns the conversion reads rows in order of, and joins on.
_INDEXED = {"id", "djstripe_updated"}
#: A column every djstripe mirror table has and dj-stripe's never had.
_DJSTRIPE_MARK = ("djstripe_customer", "djstripe_observed_at")


def table_names(connection: BaseDatabaseWrapper) -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def column_names(connection: BaseDatabaseWrapper, table: str) -> list[str]:
    with connection.cursor() as cursor:
        return [
            c.name
            for c in connection.introspection.get_table_description(cursor, table)
        ]


def is_dj_stripe_schema(connection: BaseDatabaseWrapper) -> bool:
    """Whether the ``djstripe_*`` tables are dj-stripe's: its customer table
    exists without the stamp column that djstripe's has had from the start."""
    table, column = _DJSTRIPE_MARK
    return table in table_names(connection) and column not in column_names(
        connection, table
    )


def legacy_tables(connection: BaseDatabaseWrapper) -> list[str]:
    return sorted(t for t in table_names(connection) if t.startswith(LEGACY_PREFIX))


def _dj_stripe_tables(connection: BaseDatabaseWrapper) -> list[str]:
    return sorted(
        t
        for t in table_names(connection)
        if t.startswith("djstripe_")
        and not t.startswith(LEGACY_PREFIX)
        and t != REPORT_TABLE
    )


def _external_foreign_keys(
    connection: BaseDatabaseWrapper, tables: list[str]
) -> list[tuple[str, str, str]]:
    """``(table, constraint, definition)`` of the site's own foreign keys into
    dj-stripe's tables (PostgreSQL). Dropping dj-stripe's tables drops them;
    they are added back, pointing at djstripe's tables, once rows are converted.

    SQLite names the referenced table in the referencing table's definition,
    so its foreign keys follow the new table by themselves.
    """
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT src.relname, con.conname, pg_get_constraintdef(con.oid)
            FROM pg_constraint con
            JOIN pg_class src ON src.oid = con.conrelid
            JOIN pg_class dst ON dst.oid = con.confrelid
            WHERE con.contype = 'f' AND dst.relname = ANY(%s)
              AND NOT src.relname = ANY(%s)
            ORDER BY src.relname, con.conname
            """,
            [tables, tables],
        )
        return list(cursor.fetchall())


def default_value(field: Any, connection: BaseDatabaseWrapper) -> Any:
    """The database value of a column dj-stripe had no value for: NULL if
    allowed, else the field's default."""
    return field.get_db_prep_save(
        None if field.null else field.get_default(), connection
    )


def _create_report_table(schema_editor: Any) -> None:
    schema_editor.execute(
        f"CREATE TABLE {REPORT_TABLE} ("
        " id integer PRIMARY KEY, kind varchar(32) NOT NULL,"
        " label varchar(255) NOT NULL, count integer NOT NULL, detail text NOT NULL)"
    )


def record(
    connection: BaseDatabaseWrapper, rows: list[tuple[str, str, int, str]]
) -> None:
    """Append ``(kind, label, count, detail)`` rows to the report table."""
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {qn(REPORT_TABLE)}")
        start = cursor.fetchone()[0] + 1
        cursor.executemany(
            f"INSERT INTO {qn(REPORT_TABLE)} (id, kind, label, count, detail)"
            " VALUES (%s, %s, %s, %s, %s)",
            [(start + i, *row) for i, row in enumerate(rows)],
        )


def move_aside(apps: Any, schema_editor: Any) -> None:
    """Migration step: on a dj-stripe database, copy dj-stripe's tables to
    ``djstripe_legacy_*``, drop them, and create djstripe's tables as the
    migration state has them. On any other database, do nothing.

    A copy (``CREATE TABLE ... AS SELECT``) rather than a rename: a renamed
    table would keep its index names, which djstripe's tables reuse. The
    copies are indexed on what the conversion looks rows up and reads them
    in order by.
    """
    connection = schema_editor.connection
    if not is_dj_stripe_schema(connection):
        return
    qn = connection.ops.quote_name
    tables = _dj_stripe_tables(connection)
    external = _external_foreign_keys(connection, tables)
    cascade = " CASCADE" if connection.vendor == "postgresql" else ""
    for table in tables:
        legacy = LEGACY_PREFIX + table.removeprefix("djstripe_")
        schema_editor.execute(f"CREATE TABLE {qn(legacy)} AS SELECT * FROM {qn(table)}")
        for column in _INDEXED & set(column_names(connection, legacy)):
            schema_editor.execute(
                f"CREATE INDEX {qn(f'{legacy}_{column}')} ON {qn(legacy)} ({qn(column)})"
            )
    for table in tables:
        schema_editor.execute(f"DROP TABLE {qn(table)}{cascade}")
    _create_report_table(schema_editor)
    record(
        connection, [("foreign_key", t, 0, json.dumps([n, d])) for t, n, d in external]
    )
    referenced = _referenced_on_sqlite(connection, tables)
    for model in apps.get_app_config("djstripe").get_models():
        schema_editor.create_model(model)
        if model._meta.db_table in referenced and not model._meta.parents:
            _placeholders(schema_editor, model)


def _referenced_on_sqlite(
    connection: BaseDatabaseWrapper, tables: list[str]
) -> set[Any]:
    """dj-stripe tables that the site's own tables point at, on SQLite.

    SQLite keeps those foreign keys (they name the table), and Django checks
    them when each migration ends, before the rows are converted.
    """
    if connection.vendor != "sqlite":
        return set()
    qn = connection.ops.quote_name
    referenced: set[str] = set()
    with connection.cursor() as cursor:
        for table in table_names(connection):
            if table.startswith("djstripe_"):
                continue
            cursor.execute(f"PRAGMA foreign_key_list({qn(table)})")
            referenced.update(row[2] for row in cursor.fetchall() if row[2] in tables)
    return referenced


def _placeholders(schema_editor: Any, model: Any) -> None:
    """Rows with dj-stripe's ``djstripe_id`` and Stripe id and nothing else
    (no stamp: the conversion's first write fills them), so that the site's
    foreign keys stay valid until then."""
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    legacy = LEGACY_PREFIX + model._meta.db_table.removeprefix("djstripe_")
    kept = {"djstripe_id", "id", "djstripe_created", "djstripe_updated"}
    targets, sources, params = [], [], []
    for field in model._meta.concrete_fields:
        targets.append(qn(field.column))
        if field.column in kept:
            sources.append(qn(field.column))
        else:
            sources.append("%s")
            params.append(default_value(field, connection))
    schema_editor.execute(
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(targets)})"
        f" SELECT {', '.join(sources)} FROM {qn(legacy)}",
        params,
    )
