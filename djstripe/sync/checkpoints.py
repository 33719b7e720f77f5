"""Where back-fills and event replays record how far they got.

The rows are :class:`djstripe.models.SyncCheckpoint`; this module names the
scope they belong to and reads and writes the Events API cursor. Everything
goes through ``apps.get_model`` so the engine package never imports a model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.apps import apps

from ..settings import key_mode
from .events import EventMarker

#: ``object_type`` and ``job`` of the Events API cursor row.
EVENT_CURSOR = "event"


def checkpoint_model() -> Any:
    return apps.get_model("djstripe", "SyncCheckpoint")


def scope_for(api_key: str, stripe_account: str | None = None) -> str:
    """The checkpoint scope of an API key: its mode and a fingerprint (not the
    key), plus the connected account acted for, if any.

    Two keys of one account get two scopes; that costs a full pass at worst.
    """
    mode = key_mode(api_key)
    fingerprint = hashlib.sha256(api_key.encode()).hexdigest()[:12]
    scope = f"{mode}:{fingerprint}"
    return f"{scope}:{stripe_account}" if stripe_account else scope


def event_cursor(scope: str) -> EventMarker | None:
    """The newest event replayed in ``scope``, if a replay ever ran."""
    return EventCursor.load(scope).marker


def _cursor_of(row: Any) -> EventMarker | None:
    if row is None or row.cursor_created is None:
        return None
    return EventMarker(row.cursor, row.cursor_created)


class EventCursor:
    """The Events API cursor row of a scope, written only when it moves."""

    def __init__(self, scope: str, row: Any = None) -> None:
        self.row = row or checkpoint_model()(
            scope=scope, object_type=EVENT_CURSOR, job=EVENT_CURSOR
        )

    @classmethod
    def load(cls, scope: str) -> EventCursor:
        """The cursor of ``scope``, read from the database."""
        row = (
            checkpoint_model()
            .objects.filter(scope=scope, object_type=EVENT_CURSOR, job=EVENT_CURSOR)
            .first()
        )
        return cls(scope, row)

    @classmethod
    def from_rows(cls, scope: str, rows: Iterable[Any]) -> EventCursor:
        """The cursor among already loaded checkpoint rows of ``scope``."""
        row = next(
            (
                r
                for r in rows
                if r.object_type == EVENT_CURSOR and r.job == EVENT_CURSOR
            ),
            None,
        )
        return cls(scope, row)

    @property
    def marker(self) -> EventMarker | None:
        return _cursor_of(self.row)

    def save(self, marker: EventMarker) -> None:
        if self.marker == marker and self.row.pk is not None:
            return
        self.row.cursor = marker.id
        self.row.cursor_created = marker.created
        self.row.done = True
        self.row.save()
