"""The search endpoints (``GET /v1/customers/search?query=...``).

A subset of Stripe's search query language: clauses ``field:'value'``
(exact match, case-insensitive), ``field~'value'`` (substring, at least three
characters), ``field>10`` / ``<`` / ``>=`` / ``<=`` / ``=`` on numbers,
``metadata['key']:'value'``, ``field:null``, a ``-`` before a clause to negate
it, joined by ``AND`` or by ``OR`` (not both, at most ten clauses).  Each
resource accepts only the fields Stripe documents for it.  Results are newest
first, ``limit`` per page, and ``next_page`` is the opaque token to pass as
``page``.  Unlike Stripe, new objects are searchable at once.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any

from . import hooks
from .errors import invalid

if TYPE_CHECKING:
    from .fake import FakeStripe

_CARD = tuple(
    f"payment_method_details.card.{f}"
    for f in ("brand", "exp_month", "exp_year", "fingerprint", "last4")
)
SEARCH_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "charges": (
        "charge",
        (
            "amount",
            "billing_details.address.postal_code",
            "created",
            "currency",
            "customer",
            "disputed",
            "payment_intent",
            "refunded",
            "status",
            *_CARD,
        ),
    ),
    "customers": ("customer", ("created", "email", "name", "phone")),
    "invoices": (
        "invoice",
        (
            "created",
            "currency",
            "customer",
            "last_finalization_error_code",
            "last_finalization_error_type",
            "number",
            "receipt_number",
            "status",
            "subscription",
            "total",
        ),
    ),
    "payment_intents": (
        "payment_intent",
        ("amount", "created", "currency", "customer", "status"),
    ),
    "prices": ("price", ("active", "currency", "lookup_key", "product", "type")),
    "products": ("product", ("active", "description", "name", "shippable", "url")),
    "subscriptions": ("subscription", ("created", "status")),
}
"""Per search path: the object searched and its query fields (plus metadata)."""

_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?
    (?P<field>metadata\[(?P<q>['"])(?P<key>[^'"]+)(?P=q)\]|[a-z_][a-z0-9_.]*)
    (?P<op>>=|<=|:|~|>|<|=)
    (?:(?P<vq>['"])(?P<quoted>(?:\\.|(?!(?P=vq)).)*)(?P=vq)|(?P<bare>[^\s'"]+))
    \s*""",
    re.VERBOSE,
)
_JOIN = re.compile(r"\s+(AND|OR)\s+")
MAX_CLAUSES = 10


def _error(query: str, detail: str):
    return invalid(f"Invalid query ({query!r}): {detail}", param="query")


def parse(query: str, fields: tuple[str, ...]) -> tuple[str, list[dict]]:
    """``("AND"|"OR", clauses)`` of ``query``; 400 for what Stripe rejects."""
    if not query or not query.strip():
        raise _error(query, "the query is empty.")
    parts = _JOIN.split(query.strip())
    clauses, joins = parts[::2], set(parts[1::2])
    if len(joins) > 1:
        raise _error(query, "a query cannot mix AND and OR.")
    if len(clauses) > MAX_CLAUSES:
        raise _error(query, f"a query has at most {MAX_CLAUSES} clauses.")
    return (joins.pop() if joins else "AND"), [
        _clause(query, text, fields) for text in clauses
    ]


def _clause(query: str, text: str, fields: tuple[str, ...]) -> dict:
    match = _CLAUSE.fullmatch(text)
    if match is None:
        raise _error(query, f"cannot parse {text!r}.")
    field, op = match["field"], match["op"]
    if match["key"] is None and field not in fields:
        raise _error(
            query,
            f"the field {field!r} is not supported; use one of "
            f"{', '.join(fields)} or metadata['key'].",
        )
    if match["bare"] is not None:
        value: Any = match["bare"]
        if value != "null" and not re.fullmatch(r"-?\d+(\.\d+)?|true|false", value):
            raise _error(query, f"the value {value!r} must be quoted.")
    else:
        value = re.sub(r"\\(.)", r"\1", match["quoted"])
    if op == "~" and (not isinstance(value, str) or len(value) < 3):
        raise _error(query, "a substring (~) needs at least 3 characters.")
    if op not in (":", "~") and _number(value) is None:
        raise _error(query, f"{op} compares numbers; {value!r} is not one.")
    return {
        "path": ["metadata", match["key"]] if match["key"] else field.split("."),
        "op": op,
        "value": value,
        "negate": bool(match["neg"]),
    }


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _value_at(fake: FakeStripe, obj: dict, path: list[str]) -> Any:
    node: Any = obj
    for key in path:
        if isinstance(node, str) and fake.exists(node):
            node = fake._objects[node]
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node.get("id") if isinstance(node, dict) and "id" in node else node


def _holds(actual: Any, op: str, wanted: Any) -> bool:
    if wanted == "null" and op == ":":
        return actual in (None, "")
    if op in (":", "~"):
        if actual is None:
            return False
        text = str(actual).lower()
        wanted = str(wanted).lower()
        return wanted in text if op == "~" else text == wanted
    number = _number(actual)
    if number is None or isinstance(actual, bool):
        return False
    bound = float(wanted)
    return {
        ">": number > bound,
        "<": number < bound,
        ">=": number >= bound,
        "<=": number <= bound,
        "=": number == bound,
    }[op]


def matches(fake: FakeStripe, obj: dict, join: str, clauses: list[dict]) -> bool:
    results = (
        _holds(_value_at(fake, obj, c["path"]), c["op"], c["value"]) != c["negate"]
        for c in clauses
    )
    return any(results) if join == "OR" else all(results)


def _offset(page: str | None) -> int:
    if not page:
        return 0
    try:
        return int(base64.urlsafe_b64decode(page.encode()).decode().removeprefix("o:"))
    except ValueError:
        raise invalid(f"Invalid page: {page!r}", param="page") from None


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def _search_route(path: str, object_name: str, fields: tuple[str, ...]):
    url = f"/v1/{path}/search"

    def search(fake: FakeStripe, match, params: dict):
        query = params.get("query")
        if query is None:
            raise invalid(
                "Missing required param: query.",
                param="query",
                code="parameter_missing",
            )
        join, clauses = parse(query, fields)
        limit = params.get("limit", 10)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise invalid(
                "This value must be greater than or equal to 1 and less than or "
                "equal to 100.",
                param="limit",
            )
        expand = params.get("expand") or []
        found = [
            obj
            for obj in reversed(fake.all(object_name))
            if matches(fake, obj, join, clauses)
        ]
        found.sort(key=fake._list_key, reverse=True)
        start = _offset(params.get("page"))
        window = found[start : start + limit]
        has_more = start + limit < len(found)
        item_expand = [p.removeprefix("data.") for p in expand if p != "total_count"]
        body = {
            "object": "search_result",
            "data": [fake.render(obj, item_expand) for obj in window],
            "has_more": has_more,
            "next_page": _token(start + limit) if has_more else None,
            "url": url,
        }
        if "total_count" in expand:
            body["total_count"] = len(found)
        return 200, body

    search.__name__ = f"_search_{path}"
    return hooks.route("GET", re.escape(url), url)(search)


for _path, (_object, _fields) in SEARCH_FIELDS.items():
    _search_route(_path, _object, _fields)
