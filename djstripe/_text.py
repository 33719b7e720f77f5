"""Text every database can store: NUL and lone surrogates become U+FFFD.

JSON may carry ``\\u0000`` and unpaired surrogates (``\\ud800``); Python
decodes them into ``str`` values that SQLite stores but PostgreSQL refuses
(``text`` and ``jsonb`` hold neither). Data from outside (webhook bodies and
headers, Stripe's responses) is cleaned here, once, where it is decoded, so
that the same event is stored the same way on every database and can never
fail forever on one of them. Clean text is returned unchanged, and the
common case, decoded JSON that held no such escape, is not walked at all.
"""

from __future__ import annotations

import re
from typing import Any

#: What replaces each unstorable character: Unicode's replacement character.
REPLACEMENT = "\ufffd"

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: The JSON escapes that decode to an unstorable character.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")

__all__ = ["REPLACEMENT", "clean_json", "clean_text"]


def clean_text(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, value)


def clean_json(data: Any, raw: bytes | str | None = None) -> Any:
    """Decoded JSON with every string (keys included) cleaned, in place where
    possible; returns the cleaned value.

    ``raw``, the JSON text ``data`` was decoded from, lets clean data through
    without a walk: a valid JSON document can hold those characters only as
    ``\\u`` escapes. The walk uses a stack, not recursion, so depth is no limit.
    """
    if raw is not None:
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogatepass")
        if not _UNSTORABLE_ESCAPE.search(raw) and b"\x00" not in raw:
            return data
    if isinstance(data, str):
        return clean_text(data)
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if isinstance(value, dict | list):
                    stack.append(value)
                elif isinstance(value, str):
                    node[key] = clean_text(value)
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    node[clean_text(key)] = node.pop(key)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, dict | list):
                    stack.append(value)
                elif isinstance(value, str):
                    node[index] = clean_text(value)
    return data
