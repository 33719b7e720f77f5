"""The staleness gate: when an observation of a Stripe object may replace the
row that mirrors it.

The rule is written once, below, as a small expression (:data:`ACCEPTS`), and
rendered twice from that one definition:

* to a Python decision (:func:`verdict`), for rows the engine has read;
* to the ``WHERE`` clause of the gated SQL write (:func:`accepts_sql`), in
  each database's spelling, so that the rule also holds against concurrent
  writers the engine never read.

The per-database pieces of SQL live in one table, :data:`DIALECTS`.

The rule: a deleted object stays deleted (:data:`ADMITS`); otherwise an
observation replaces the stored row when it is newer, and on the same second
(Stripe's timestamps are whole seconds) when its data is the same, when the
stored row is what the event's ``previous_attributes`` say the object was just
before (the event is its successor), or when it is Stripe's own answer to a
tie (a re-read). A tie that none of these settles is left to the engine,
which asks Stripe.

The stored row's stamp is the newest of its own ``djstripe_observed_at`` and
its confirmations' (:class:`~djstripe.models.Confirmation`: an event showed
the object unchanged), so the rule holds whether an unchanged copy moved the
stamp or was only confirmed.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

# -- The expression --------------------------------------------------------------


class Term:
    """A node of the rule; ``a | b`` and ``a & b`` combine them."""

    def __or__(self, other: Term) -> Term:
        return Any_((self, other))

    def __and__(self, other: Term) -> Term:
        return All((self, other))


@dataclass(frozen=True)
class Any_(Term):
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class All(Term):
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Not(Term):
    term: Term


@dataclass(frozen=True)
class Newer(Term):
    """The observation is newer than the stored row (or the row has no stamp)."""


@dataclass(frozen=True)
class Tie(Term):
    """The observation and the stored row are stamped with the same second."""


@dataclass(frozen=True)
class Same(Term):
    """The observation's data is the stored data."""


@dataclass(frozen=True)
class Follows(Term):
    """The stored data is what the event's ``previous_attributes`` say the
    object looked like just before it: each leaf of them equals the stored
    value at its path, a missing value being null."""


@dataclass(frozen=True)
class TieWins(Term):
    """The observation is Stripe's answer to a tie (a re-read)."""


@dataclass(frozen=True)
class Deleted(Term):
    """Stripe deleted the object (a tombstone holds its id)."""


#: Whether an observation may be written at all: never over a deletion.
ADMITS: Term = Not(Deleted())
#: Whether an admitted observation replaces (or, with the same data, confirms)
#: the stored row.
ACCEPTS: Term = Newer() | (Tie() & (Same() | Follows() | TieWins()))


# -- Rendered to Python ----------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """A stored row as the gate sees it."""

    stamp: datetime.datetime | None = None
    data: Any = None
    #: Whether there is a row at all.
    exists: bool = True
    #: Whether a tombstone holds the object's id (the row may be kept).
    deleted: bool = False


@dataclass(frozen=True)
class Observed:
    """An observation as the gate sees it."""

    stamp: datetime.datetime
    data: Any
    previous: dict[str, Any] | None = None
    tie_wins: bool = False


def holds(term: Term, stored: Stored, new: Observed) -> bool:
    """Whether ``term`` holds of ``new`` over ``stored`` (the Python rendering)."""
    return _evaluate(term, stored, new)


def _evaluate(term: Term, stored: Stored, new: Observed) -> bool:
    match term:
        case Any_(terms):
            return any(_evaluate(t, stored, new) for t in terms)
        case All(terms):
            return all(_evaluate(t, stored, new) for t in terms)
        case Not(inner):
            return not _evaluate(inner, stored, new)
        case Newer():
            return stored.stamp is None or stored.stamp < new.stamp
        case Tie():
            return stored.stamp == new.stamp
        case Same():
            return bool(stored.data == new.data)
        case Follows():
            leaves = list(_leaves(new.previous or {}))
            return bool(leaves) and all(
                _value_at(stored.data, path) == value for path, value in leaves
            )
        case TieWins():
            return new.tie_wins
        case Deleted():
            return stored.deleted
    raise TypeError(f"not a term of the gate: {term!r}")


class Verdict(enum.Enum):
    """What the gate makes of one observation of a stored (or absent) row."""

    DELETED = enum.auto()
    CREATED = enum.auto()
    UPDATED = enum.auto()
    #: The same data seen later: nothing to rewrite, only the stamp moves.
    CONFIRMED = enum.auto()
    #: The same data, no newer than the row: nothing at all to write.
    UNCHANGED = enum.auto()
    STALE = enum.auto()
    #: Same second, different data, not placed: Stripe must settle it.
    TIE = enum.auto()


def verdict(stored: Stored, new: Observed) -> Verdict:
    """The gate's decision for ``new`` over ``stored``."""
    if not _evaluate(ADMITS, stored, new):
        return Verdict.DELETED
    if not stored.exists:
        return Verdict.CREATED
    if _evaluate(Same(), stored, new):
        newer = _evaluate(Newer(), stored, new)
        return Verdict.CONFIRMED if newer else Verdict.UNCHANGED
    if _evaluate(ACCEPTS, stored, new):
        return Verdict.UPDATED
    return Verdict.TIE if _evaluate(Tie(), stored, new) else Verdict.STALE


def _leaves(
    value: dict[str, Any], path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """``(path, value)`` of each leaf of nested dicts (lists, empty dicts and
    Stripe list objects are leaves)."""
    for key, item in value.items():
        if isinstance(item, dict) and item and item.get("object") != "list":
            yield from _leaves(item, (*path, key))
        else:
            yield (*path, key), item


def _value_at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# -- Rendered to SQL -------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """How one database spells the pieces of the gated write."""

    #: ``a <same> b`` is true when both are equal or both null.
    same: str
    #: ``a <distinct> b`` is its negation.
    distinct: str
    #: The placeholder of a ``VALUES`` row's value, given its column type.
    value_mark: Callable[[str], str]
    #: The alias of a ``VALUES`` list of ``n`` columns, and its ``i``-th column.
    values_alias: Callable[[int], str]
    values_column: Callable[[int], str]
    #: The rows of a batch as SQL, given their columns' types and how many
    #: rows there are (a ``VALUES`` list, or a ``SELECT`` usable wherever one
    #: is: ``INSERT ... <rows>``, ``FROM (<rows>) AS alias``), and the
    #: parameters it takes from the rows' prepared values.
    rows: Callable[[list[str], int], str]
    rows_params: Callable[[list[list[Any]]], list[Any]]
    #: A leaf of :class:`Follows`: stored JSON ``column`` at ``path`` equals the
    #: JSON ``value``; ``None`` if the path cannot be spelled.
    json_leaf: Callable[[str, tuple[Any, ...], Any], tuple[str, list[Any]] | None]
    #: The newest of two stamps, either of which may be null.
    greatest: Callable[[str, str], str]
    #: The newest confirmation (``djstripe_confirmation``, given its table) of
    #: the object whose id is the SQL ``id_sql``, or null. Where writers run
    #: at once, it first waits for the transactions confirming the object
    #: (:attr:`confirming`) and then sees what they committed.
    confirmed_at: Callable[[str, str], str]
    #: Whether the row of the SQL id ``id_sql`` in ``table`` holds the JSON
    #: ``data_sql``, for a confirmation. Where writers run at once, it first
    #: locks the id (shared among confirmers, exclusive with
    #: :attr:`confirmed_at`) and then compares with what is committed.
    matches: Callable[[str, str, str], str]


def _postgres_leaf(
    column: str, path: tuple[Any, ...], value: Any
) -> tuple[str, list[Any]]:
    return (
        f"COALESCE({column} #> %s, 'null'::jsonb) = "
        "COALESCE(CAST(%s AS jsonb), 'null'::jsonb)",
        [list(path), json.dumps(value)],
    )


def _sqlite_leaf(
    column: str, path: tuple[Any, ...], value: Any
) -> tuple[str, list[Any]] | None:
    if any(not isinstance(key, str) or '"' in key for key in path):
        return None  # SQLite's JSON paths have no escape for a quote
    return (
        f"json_extract({column}, %s) IS json_extract(%s, '$')",
        ["$" + "".join(f'."{key}"' for key in path), json.dumps(value)],
    )


def _json_value(value: Any) -> Any:
    """A prepared column value as JSON (for :func:`_postgres_rows_params`)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    obj = getattr(value, "obj", value)  # psycopg's Jsonb wrapper
    if obj is not value:
        return obj
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _postgres_rows(types: list[str], n: int) -> str:
    # The record's columns take the types without their modifiers, and an
    # explicit CAST applies them, as a VALUES list's casts did: a string
    # longer than a varchar(n) is cut, not refused.
    record = ", ".join(
        f"c{i} {re.sub(r'[(][^)]*[)]', '', db_type)}" for i, db_type in enumerate(types)
    )
    columns = ", ".join(f"CAST(r.c{i} AS {db_type})" for i, db_type in enumerate(types))
    return f"SELECT {columns} FROM jsonb_to_recordset(CAST(%s AS jsonb)) AS r({record})"


def _postgres_rows_params(rows: list[list[Any]]) -> list[Any]:
    # One JSON parameter for the whole batch: psycopg quotes one string and
    # parses a short statement once, where a VALUES list of 250 rows had
    # thousands of placeholders to find and values to quote, a third of the
    # engine's time on a large batch; PostgreSQL parses the JSON in C.
    return [
        json.dumps(
            [{f"c{i}": value for i, value in enumerate(row)} for row in rows],
            default=_json_value,
            allow_nan=False,
        )
    ]


#: The per-database pieces, by ``connection.vendor``.
DIALECTS: dict[str, Dialect] = {
    "postgresql": Dialect(
        same="IS NOT DISTINCT FROM",
        distinct="IS DISTINCT FROM",
        # VALUES in a subquery has no column types to infer them from.
        value_mark=lambda db_type: f"CAST(%s AS {db_type})",
        values_alias=lambda n: f"v({', '.join(f'c{i}' for i in range(n))})",
        values_column=lambda i: f"v.c{i}",
        json_leaf=_postgres_leaf,
        rows=_postgres_rows,
        rows_params=_postgres_rows_params,
        greatest=lambda a, b: f"GREATEST({a}, {b})",
        # A VOLATILE PL/pgSQL function (migration 0008): it takes the id's
        # advisory lock exclusively, then its query takes a fresh snapshot and
        # sees the confirmations committed meanwhile (a subquery would not).
        confirmed_at=lambda table, id_sql: f"djstripe_confirmed_at({id_sql})",
        # VOLATILE PL/pgSQL too (migration 0008): shared lock, fresh snapshot.
        matches=lambda table, id_sql, data_sql: (
            f"djstripe_confirms('{table}', {id_sql}, {data_sql})"
        ),
    ),
    "sqlite": Dialect(
        same="IS",
        distinct="IS NOT",
        value_mark=lambda db_type: "%s",
        values_alias=lambda n: "v",
        values_column=lambda i: f"v.column{i + 1}",
        json_leaf=_sqlite_leaf,
        rows=lambda types, n: (
            "VALUES " + ", ".join(["(" + ", ".join(["%s"] * len(types)) + ")"] * n)
        ),
        rows_params=lambda rows: [value for row in rows for value in row],
        # SQLite's two-argument MAX() is null if either is.
        greatest=lambda a, b: f"COALESCE(MAX({a}, {b}), {a}, {b})",
        # Writers take the whole database in turn: a subquery sees every
        # committed confirmation, and no confirmation is in flight.
        confirmed_at=lambda table, id_sql: (
            f'(SELECT MAX(c."observed_at") FROM "{table}" AS c '
            f'WHERE c."stripe_id" = {id_sql})'
        ),
        matches=lambda table, id_sql, data_sql: (
            f'EXISTS (SELECT 1 FROM "{table}" AS s WHERE s."id" = {id_sql} '
            f'AND s."stripe_data" = {data_sql})'
        ),
    ),
}


def dialect(vendor: str) -> Dialect:
    """The :class:`Dialect` of a database vendor, or a clear error."""
    try:
        return DIALECTS[vendor]
    except KeyError:
        raise NotImplementedError(
            f"djstripe's mirror engine supports {' and '.join(DIALECTS)}, not {vendor}."
        ) from None


@dataclass(frozen=True)
class Columns:
    """The SQL spelling of the operands: the stored row's and the new one's."""

    stored_stamp: str
    new_stamp: str
    stored_data: str
    new_data: str
    #: A subquery that is non-empty when the object is tombstoned.
    tombstone: str = ""


def render_sql(
    term: Term,
    sql: Dialect,
    columns: Columns,
    *,
    previous: dict[str, Any] | None = None,
    tie_wins: bool = False,
) -> tuple[str, list[Any]]:
    """``term`` as an SQL condition and its parameters."""
    match term:
        case Any_(terms) | All(terms):
            parts = [
                render_sql(t, sql, columns, previous=previous, tie_wins=tie_wins)
                for t in terms
            ]
            joiner = " OR " if isinstance(term, Any_) else " AND "
            return (
                "(" + joiner.join(text for text, _ in parts) + ")",
                [p for _, params in parts for p in params],
            )
        case Not(inner):
            text, params = render_sql(
                inner, sql, columns, previous=previous, tie_wins=tie_wins
            )
            return f"NOT {text}", params
        case Newer():
            stamp = columns.stored_stamp
            return f"({stamp} IS NULL OR {stamp} < {columns.new_stamp})", []
        case Tie():
            return f"{columns.stored_stamp} = {columns.new_stamp}", []
        case Same():
            return f"{columns.stored_data} {sql.same} {columns.new_data}", []
        case Follows():
            return _follows_sql(sql, columns.stored_data, previous)
        case TieWins():
            return ("1 = 1" if tie_wins else "1 = 0"), []
        case Deleted():
            return f"EXISTS ({columns.tombstone})", []
    raise TypeError(f"not a term of the gate: {term!r}")


def _follows_sql(
    sql: Dialect, column: str, previous: dict[str, Any] | None
) -> tuple[str, list[Any]]:
    """:class:`Follows` in SQL; false when there is nothing to compare, or a
    path the database cannot spell (the engine's read then decides)."""
    leaves = [
        sql.json_leaf(column, path, value) for path, value in _leaves(previous or {})
    ]
    if not leaves or None in leaves:
        return "1 = 0", []
    spelled = cast(list[tuple[str, list[Any]]], leaves)
    return (
        "(" + " AND ".join(text for text, _ in spelled) + ")",
        [p for _, params in spelled for p in params],
    )
