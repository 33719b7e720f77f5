"""Replaying Stripe's Events API into the mirror.

A back-fill reads each type page by page over minutes or hours; an object
changed after its page was read would be missed. So before a back-fill the
newest event is noted (:func:`newest_event`), and afterwards every event
created since is replayed (:func:`replay_events_after`): each event's object,
stamped with ``event.created``, goes through the mirror engine, whose
staleness gate keeps whichever of page and event is newer. The same replay,
from the last event replayed, is ``djstripe_sync_models --catch-up``.

Stripe keeps events for 30 days, so a catch-up must run more often than that.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import stripe
from django.apps import apps

from .. import stripe_api

logger = logging.getLogger("djstripe.sync")

EVENTS_PATH = "/v1/events"
#: Stripe keeps events for 30 days; a cursor older than this is close to the edge.
CURSOR_WARNING_AGE = datetime.timedelta(days=25)


@dataclass(frozen=True)
class EventMarker:
    """A position in the event stream: an event id and its ``created``.

    ``EventMarker("", 0)`` is the beginning: there were no events.
    """

    id: str
    created: int
    #: Stripe's clock when the marker was read (not part of the position).
    seen_at: datetime.datetime | None = field(default=None, compare=False)

    @property
    def created_at(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.created, datetime.UTC)


@dataclass
class ReplayResult:
    """What a replay did."""

    events: int = 0
    requests: int = 0
    cursor: EventMarker | None = None
    #: Stripe's clock at the first response (its ``Date`` header).
    stripe_now: datetime.datetime | None = None
    warnings: list[str] = field(default_factory=list)


def newest_event(
    *, api_key: str | None = None, stripe_account: str | None = None
) -> EventMarker:
    """The newest event of the account (one request)."""
    page = stripe_api.list_page(
        EVENTS_PATH, {"limit": 1}, api_key=api_key, stripe_account=stripe_account
    )
    data = page.get("data") or []
    marker = _marker(data[0]) if data else EventMarker("", 0)
    return replace(marker, seen_at=getattr(page, "observed_at", None))


def _marker(event: dict[str, Any]) -> EventMarker:
    return EventMarker(event["id"], int(event.get("created") or 0))


def iter_event_pages_after(
    marker: EventMarker,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
    on_response: Callable[[dict[str, Any]], None] | None = None,
) -> Iterator[tuple[list[dict[str, Any]], bool]]:
    """Pages of the events created after ``marker``, each oldest first.

    Yields ``(events, in_order)``. Normally the pages walk forward in time
    (``ending_before``), ``in_order`` is true, and the newest event of a page
    is a safe cursor. If the marker event is gone (older than 30 days), the
    events are listed by time instead (``created[gte]``), newest page first,
    and ``in_order`` is false: only the end of the walk is a safe cursor.
    """
    seen = on_response or (lambda page: None)
    if marker.id:
        params = {"limit": 100, "ending_before": marker.id}
        try:
            while True:
                page = stripe_api.list_page(
                    EVENTS_PATH, params, api_key=api_key, stripe_account=stripe_account
                )
                seen(page)
                data = page.get("data") or []
                if data:
                    yield list(reversed(data)), True
                if not page.get("has_more") or not data:
                    return
                params["ending_before"] = data[0]["id"]
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "param", None) != "ending_before":
                raise
            logger.warning(
                "Event %s is no longer available; replaying events by time since %s.",
                marker.id,
                marker.created_at.isoformat(),
            )
    params = {"limit": 100, "created": {"gte": marker.created}}
    while True:
        page = stripe_api.list_page(
            EVENTS_PATH, params, api_key=api_key, stripe_account=stripe_account
        )
        seen(page)
        data = [event for event in page.get("data") or [] if event["id"] != marker.id]
        if data:
            yield list(reversed(data)), False
        raw = page.get("data") or []
        if not page.get("has_more") or not raw:
            return
        params["starting_after"] = raw[-1]["id"]


def apply_events(events: list[dict[str, Any]], *, api_key: str | None = None) -> None:
    """Mirror ``events`` (oldest first) as their webhooks would have: each
    through ``Event.process``, the one processing path, handlers included."""
    event_model = apps.get_model("djstripe", "Event")
    for event in events:
        event_model.process(event, api_key=api_key)


def replay_events_after(
    marker: EventMarker,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
    save_cursor: Callable[[EventMarker], None] | None = None,
) -> ReplayResult:
    """Apply every event created after ``marker``; return the new cursor.

    Events are deduplicated by id. ``save_cursor`` is called with the newest
    event applied whenever every older one has been applied too, so an
    interrupted replay resumes without a gap.
    """
    result = ReplayResult(cursor=marker)
    seen: set[str] = set()
    newest = saved = marker

    def count(page: dict[str, Any]) -> None:
        result.requests += 1
        result.stripe_now = result.stripe_now or getattr(page, "observed_at", None)

    for events, in_order in iter_event_pages_after(
        marker, api_key=api_key, stripe_account=stripe_account, on_response=count
    ):
        fresh = [event for event in events if event["id"] not in seen]
        seen.update(event["id"] for event in fresh)
        apply_events(fresh, api_key=api_key)
        result.events += len(fresh)
        if in_order:
            newest = _marker(events[-1])
            if save_cursor is not None:
                save_cursor(newest)
                saved = newest
        elif newest is marker and events:
            newest = _marker(events[-1])  # the first page holds the newest event
    if newest != saved and save_cursor is not None:
        save_cursor(newest)
    result.cursor = newest
    return result
