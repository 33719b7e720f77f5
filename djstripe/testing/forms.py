"""Decoding of Stripe's form-encoded parameters into typed, nested Python values.

stripe-python sends ``a[b][c]=x``, ``items[0][price]=p`` and ``expand[]=e`` as
flat string pairs.  The fake wants nested dicts and lists with the right scalar
types, so values are coerced using the parameter types distilled from Stripe's
OpenAPI spec (``schema.json``); parameters the spec does not know fall back to a
conservative guess.  An empty string means "unset" and becomes ``None``.
"""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid

_TOKEN = re.compile(r"\[([^\]]*)\]")
_INT = re.compile(r"^-?\d+$")

# Parameters newer than the 2023 spec (or reached through "map" types) that
# are integers in today's API.
GUESSED_INTS = {
    "amount",
    "amount_off",
    "billing_cycle_anchor",
    "cancel_at",
    "days_until_due",
    "duration_in_months",
    "expires_at",
    "interval_count",
    "limit",
    "max_redemptions",
    "quantity",
    "trial_end",
    "trial_period_days",
    "unit_amount",
}


COMMON_TYPES = {
    "expand": ["str"],
    "metadata": "map",
    "limit": "int",
    "created": {"gt": "int", "gte": "int", "lt": "int", "lte": "int"},
}


def parse_pairs(text: str | bytes | None) -> list[tuple[str, str]]:
    if not text:
        return []
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return parse_qsl(text, keep_blank_values=True)


def _split_key(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    return [head] + _TOKEN.findall("[" + rest) if rest else [head]


def nest(pairs: list[tuple[str, str]]) -> dict:
    """Build nested dicts from bracketed keys; ``[]`` appends the next index."""
    root: dict = {}
    for key, value in pairs:
        parts = _split_key(key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                nxt = node.get(part)
                if not isinstance(nxt, dict):
                    nxt = node[part] = {}
                node = nxt
    return root


def _is_index_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(k.isdigit() for k in value)


def _as_list(value: dict) -> list:
    return [value[k] for k in sorted(value, key=int)]


def coerce(value: Any, kind: Any, name: str = "", param: str = "") -> Any:
    """Coerce a decoded value to the type tree ``kind`` (see contract.py)."""
    if value == "":
        return None
    if isinstance(value, UploadedFile):
        return value
    if isinstance(kind, list):
        elem = kind[0] if kind else None
        if _is_index_dict(value):
            value = _as_list(value)
        if isinstance(value, list):
            return [coerce(v, elem, name, f"{param}[{i}]") for i, v in enumerate(value)]
        return coerce(value, elem, name, param)
    if isinstance(kind, dict):
        if isinstance(value, dict):
            return {
                k: coerce(v, kind.get(k), k, f"{param}[{k}]") for k, v in value.items()
            }
        if isinstance(value, str) and _INT.match(value):
            return int(value)
        return coerce(value, None, name, param)
    if kind == "map":
        return value
    if isinstance(value, dict):
        if _is_index_dict(value):
            return [coerce(v, None, name, param) for v in _as_list(value)]
        return {k: coerce(v, None, k, f"{param}[{k}]") for k, v in value.items()}
    return _scalar(value, kind, name, param)


def _scalar(value: str, kind: Any, name: str, param: str) -> Any:
    if not isinstance(value, str):
        return value
    if kind == "int" or (kind is None and name in GUESSED_INTS):
        if kind == "int" and re.fullmatch(r"[a-z_]+", value):
            return value  # an enum alternative such as trial_end=now
        if not _INT.match(value):
            raise invalid(
                f"Invalid integer: {value}",
                param=param or name,
                code="parameter_invalid_integer",
            )
        return int(value)
    if kind == "bool" or (kind is None and value in ("true", "false")):
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=param or name)
        return value == "true"
    if kind == "num":
        try:
            return float(value)
        except ValueError:
            raise invalid(f"Invalid decimal: {value}", param=param or name)
    return value


class UploadedFile(dict):
    """A multipart file part: its ``filename``, ``size`` and ``type``."""


def parse_multipart(body: bytes, content_type: str) -> dict:
    """Fields of a multipart upload; a file becomes its name, size and type."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    pairs, files = [], {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            pairs.append((name, payload.decode("utf-8")))
            continue
        files[name] = UploadedFile(
            filename=filename,
            size=len(payload),
            type=filename.rsplit(".", 1)[-1].lower() if "." in filename else None,
        )
    return {**nest(pairs), **files}


def decode(text: str | bytes | dict | None, types: dict | None) -> dict:
    """Parse a form body or query string into typed nested params."""
    raw = text if isinstance(text, dict) else nest(parse_pairs(text))
    types = {**COMMON_TYPES, **(types or {})}
    return {k: coerce(v, types.get(k), k, k) for k, v in raw.items()}
