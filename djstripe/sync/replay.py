"""The gap-free part of a back-fill, and catching up from the Events API.

A back-fill reads each type over minutes or hours; an object changed after
its page was read would be missed. So the newest event is noted before the
back-fill (:func:`note_newest_event`, which is also the run's first request
and so its probe: an unreachable Stripe or a refused key stops the run
there), and every event created since is replayed afterwards
(:func:`replay_after_backfill`). :func:`catch_up` replays from the last
event replayed (``djstripe_sync_models --catch-up``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, cast

import stripe
from django.utils import timezone

from .. import stripe_api
from ..exceptions import DjstripeError
from ..settings import djstripe_settings
from .checkpoints import EventCursor, scope_for
from .events import (
    CURSOR_WARNING_AGE,
    EventMarker,
    ReplayResult,
    newest_event,
    replay_events_after,
)
from .report import SyncAborted, SyncReport

logger = logging.getLogger("djstripe.sync")

#: Retries of the first request: a Stripe that cannot be reached is reported
#: within seconds instead of after the whole retry budget.
PROBE_RETRIES = 1


class NoEventCursor(DjstripeError):
    """There is nothing to catch up from: no back-fill or replay ran yet."""


def note_newest_event(
    api_key: str, stripe_account: str | None, report: SyncReport
) -> EventMarker | None:
    """The newest event before the back-fill starts, or None (with a warning
    in ``report``) when the key may not read events.

    :raises SyncAborted: when Stripe is unreachable or refuses the key.
    """
    try:
        with stripe_api.max_retries(PROBE_RETRIES):
            return newest_event(api_key=api_key, stripe_account=stripe_account)
    except stripe.StripeError as exc:
        if stripe_api.is_fatal(exc):
            raise SyncAborted(stripe_api.describe_failure(exc, api_key)) from exc
        message = (
            f"Cannot read events ({exc.http_status}): changes made during the "
            "back-fill may be missed until the next webhook or back-fill."
        )
        logger.warning(message)
        report.warnings.append(message)
        return None


def replay_start(checkpoints: Iterable[Any]) -> EventMarker | None:
    """The oldest event marker of the runs being carried out."""
    markers = [
        EventMarker(r.event_marker, r.event_marker_created)
        for r in checkpoints
        if getattr(r, "event_marker_created", None) is not None
    ]
    return min(markers, key=lambda m: m.created) if markers else None


def replay_after_backfill(
    marker: EventMarker,
    checkpoints: Iterable[Any],
    rows: Iterable[Any],
    *,
    scope: str,
    api_key: str,
    stripe_account: str | None,
) -> ReplayResult:
    """Replay every event since the oldest marker of the runs carried out
    (an earlier, resumed run may have noted an older one) and move the
    scope's event cursor."""
    start = replay_start(checkpoints)
    start = min(start or marker, marker, key=lambda m: m.created)
    cursor = EventCursor.from_rows(scope, rows)
    result = replay_events_after(
        start, api_key=api_key, stripe_account=stripe_account, save_cursor=cursor.save
    )
    cursor.save(cast(EventMarker, result.cursor))
    return result


def catch_up(
    *, api_key: str | None = None, stripe_account: str | None = None
) -> ReplayResult:
    """Replay every event created since the last one replayed.

    A warning is added when the cursor was older than 25 days (by Stripe's
    clock): Stripe keeps events for 30, and older ones are gone (run a
    back-fill then).
    """
    api_key = api_key or djstripe_settings.STRIPE_SECRET_KEY
    cursor = EventCursor.load(scope_for(api_key, stripe_account))
    marker = cursor.marker
    if marker is None:
        raise NoEventCursor(
            "No event cursor for this API key: run a back-fill first "
            "(djstripe_sync_models without --catch-up)."
        )
    result = replay_events_after(
        marker, api_key=api_key, stripe_account=stripe_account, save_cursor=cursor.save
    )
    cursor.save(cast(EventMarker, result.cursor))
    age = (result.stripe_now or timezone.now()) - marker.created_at
    if marker.id and age > CURSOR_WARNING_AGE:
        result.warnings.append(
            f"The last event replayed before this catch-up was {age.days} days old; "
            "Stripe keeps events for 30 days, so changes older than that may be "
            "missing. Run a back-fill to be sure."
        )
        logger.warning(result.warnings[-1])
    return result
