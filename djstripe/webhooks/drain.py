"""Processing stored webhook requests many at a time, for workers.

:func:`drain` claims a batch of verified requests that were never processed
and applies them in one transaction: the events that need nothing but their
payload (see :func:`~djstripe.webhooks.processing.batchable`) go to the
engine together, in one call (a few statements for the whole batch); the
others, one by one, as the view would have. What stays exactly as for one
event: the engine's staleness gate and ordering (each object ends as its
latest event says), one Event row per Stripe id, and each event's handlers
run once, for its first delivery, inside the transaction that records it.

If the batch's mirror write fails (the database refuses, the data is
malformed), it is rolled back and the batch is processed one by one
instead, so that the failure is recorded on its own request. A handler runs
in a savepoint of its own: if it raises, its event is taken back out (its
Event row deleted, so that a retry runs the handlers) and the failure is
recorded on its request (exception, traceback; ``djstripe_process_events
--failed`` replays it), while the other events of the batch are kept and no
handler runs twice. Unlike one-by-one processing, what the failed event's
object became is kept: it was Stripe's state, and the gate orders it.

In task mode the view does not queue a task per request: it queues a
drain only when none is queued and not yet started (:func:`want_drain`, a
one-row flag, :class:`~djstripe.models.QueuedDrain`), and the drain clears
the flag before it claims anything, then drains until nothing is left
(:func:`drain_all`). A burst of requests costs one task; a request stored
after the flag was cleared queues the next one, so none is left waiting.

Any number of workers may drain at once: on PostgreSQL (and any database
with ``SELECT … FOR UPDATE SKIP LOCKED``) each claims rows the others have
not locked; on SQLite writers serialize anyway. A request is claimed only
while it has had no attempt (``attempts == 0``): failures are retried by
their own schedule, not picked up again by every drain.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connections, router, transaction
from django.db.models import F
from django.utils import timezone

from .. import signals
from ..exceptions import ProcessingError
from ..settings import djstripe_settings
from .processing import (
    EVENT_FIELDS,
    InvalidEvent,
    Outcome,
    batchable,
    mark_failed,
    mark_processed,
    mirror_batch,
    parse_event,
    process_trigger,
    processing_failed,
    record,
    run_handlers,
)

logger = logging.getLogger("djstripe.webhooks")

#: A drain queued longer ago than this is queued again by the next request:
#: if its task was lost (a queue flushed, a worker killed before it ran it),
#: requests wait at most this long; if not, one extra drain finds less to do.
STALE_QUEUED_DRAIN = datetime.timedelta(seconds=60)
#: The :class:`~djstripe.models.QueuedDrain` row of the webhook drain.
DRAIN_NAME = "webhooks"


@dataclass
class DrainReport:
    """What one :func:`drain` did."""

    #: Requests claimed.
    claimed: int = 0
    #: Requests processed (their event applied, or found already applied).
    processed: int = 0
    #: Of those, applied together in one engine pass.
    batched: int = 0
    #: Ids of the requests whose processing failed (recorded on each).
    failed: list[int] = field(default_factory=list)

    def add(self, other: DrainReport) -> None:
        """Count ``other`` (a later batch) in this report."""
        self.claimed += other.claimed
        self.processed += other.processed
        self.batched += other.batched
        self.failed += other.failed


def want_drain() -> bool:
    """Note that stored requests wait for a drain; return whether the
    caller must queue one (no drain is queued and not yet started).

    One statement: insert the :class:`~djstripe.models.QueuedDrain` row,
    unless it is there and not older than :data:`STALE_QUEUED_DRAIN`. The
    caller's request is committed before, and a drain deletes the row before
    it claims: if the row was there, its drain has not claimed yet and will
    find the request.
    """
    from djstripe.models import QueuedDrain

    using = router.db_for_write(QueuedDrain)
    connection = connections[using]
    qn = connection.ops.quote_name
    queued = QueuedDrain._meta.get_field("queued")
    now = timezone.now()
    table = qn(QueuedDrain._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({qn('name')}, {qn('queued')}) VALUES (%s, %s) "
            f"ON CONFLICT ({qn('name')}) DO UPDATE SET {qn('queued')} = %s "
            f"WHERE {table}.{qn('queued')} < %s",
            [
                DRAIN_NAME,
                *(
                    queued.get_db_prep_value(value, connection)
                    for value in (now, now, now - STALE_QUEUED_DRAIN)
                ),
            ],
        )
        return bool(cursor.rowcount == 1)


def forget_drain() -> None:
    """Delete the :class:`~djstripe.models.QueuedDrain` row: a drain starts
    (or could not be queued), so the next request queues another."""
    from djstripe.models import QueuedDrain

    using = router.db_for_write(QueuedDrain)
    QueuedDrain.objects.using(using).filter(name=DRAIN_NAME).delete()


def drain_all(
    limit: int | None = None, *, backlog: Callable[[], object] | None = None
) -> DrainReport:
    """What a queued drain task does: clear the flag (:func:`forget_drain`),
    then drain batches of ``limit`` until none is left to claim.

    After a full batch, when more may be waiting, ``backlog`` is called: the
    drain task queues another drain there (if none is queued), so that idle
    workers help with a backlog instead of leaving it to one.
    """
    limit = limit or djstripe_settings.WEBHOOK_BATCH_SIZE
    forget_drain()
    total = DrainReport()
    while (report := drain(limit)).claimed:
        total.add(report)
        if backlog is not None and report.claimed == limit:
            backlog()
    return total


def drain(limit: int | None = None) -> DrainReport:
    """Claim up to ``limit`` waiting requests (default
    ``DJSTRIPE_WEBHOOK_BATCH_SIZE``), oldest first, and process them."""
    from djstripe.models import WebhookEventTrigger

    limit = limit or djstripe_settings.WEBHOOK_BATCH_SIZE
    report = DrainReport()
    using = router.db_for_write(WebhookEventTrigger)
    together: list[tuple[WebhookEventTrigger, Outcome]] | None = []
    with transaction.atomic(using=using):
        triggers = _claim(limit, using)
        report.claimed = len(triggers)
        ready, alone = _sort(triggers)
        announced: set[int] = set()
        if ready:
            together = _apply_together(ready, using, report)
            if together is None:
                # One by one, without announcing again what the batch did.
                together, alone = [], _reloaded(triggers, using)
                announced = {trigger.pk for trigger, _ in ready}
        for trigger in alone:
            try:
                process_trigger(trigger, send_pre_process=trigger.pk not in announced)
            except ProcessingError:  # recorded on the trigger
                report.failed.append(trigger.pk)
    report.processed = report.claimed - len(report.failed)
    _post_process(cast(list[tuple[Any, ...]], together))
    return report


def _claim(limit: int, using: str) -> list[Any]:
    from djstripe.models import WebhookEventTrigger

    waiting = WebhookEventTrigger.objects.using(using).filter(
        valid=True, processed=False, attempts=0
    )
    if connections[using].features.has_select_for_update_skip_locked:
        waiting = waiting.select_for_update(skip_locked=True)
    return list(waiting.order_by("created", "id")[:limit])


def _sort(triggers: list[Any]) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """``(trigger, event)`` pairs that can go together, and the rest."""
    ready, alone = [], []
    for trigger in triggers:
        try:
            data = parse_event(trigger.body)
        except InvalidEvent:
            alone.append(trigger)  # process_trigger() records why
            continue
        if batchable(data):
            ready.append((trigger, data))
        else:
            alone.append(trigger)
    return ready, alone


def _apply_together(
    ready: list[tuple[Any, ...]], using: str, report: DrainReport
) -> list[tuple[Any, ...]] | None:
    """Mirror ``ready`` in one engine pass, then run each new event's
    handlers and record every request; return the ``(trigger, outcome)`` of
    those processed, or ``None`` if the mirror write failed (rolled back)."""
    from djstripe.models import Event

    for trigger, data in ready:
        signals.webhook_pre_process.send(sender=Event, event_data=data, trigger=trigger)
    try:
        with transaction.atomic(using=using):
            outcomes = mirror_batch([data for _, data in ready])
    except Exception:
        logger.warning(
            "Mirroring a batch of %s webhook events failed; processing them one by one",
            len(ready),
            exc_info=True,
        )
        return None
    failures = _run_handlers(ready, outcomes, using)
    done = []
    relabeled = []
    for (trigger, _), outcome in zip(ready, outcomes, strict=True):
        trigger.attempts += 1
        if outcome.event_id in failures:
            mark_failed(trigger, failures[outcome.event_id])
            record(trigger)
            report.failed.append(trigger.pk)
            continue
        stored = (trigger.event_id, trigger.event_type)
        mark_processed(trigger, outcome)
        done.append((trigger, outcome))
        if stored != (trigger.event_id, trigger.event_type):
            relabeled.append(trigger)
    _record_processed([trigger for trigger, _ in done], relabeled, using)
    report.batched = len(done)
    return done


def _record_processed(triggers: list[Any], relabeled: list[Any], using: str) -> None:
    """Record the requests of a batch as processed: one ``UPDATE`` for all
    (their outcome is the same; ``bulk_update`` would build a ``CASE`` per
    row and field, most of a drain's CPU), and the event's id and type on the
    few stored without them (the view stores them)."""
    from djstripe.models import WebhookEventTrigger

    rows = WebhookEventTrigger.objects.using(using)
    rows.filter(pk__in=[trigger.pk for trigger in triggers]).update(
        processed=True,
        valid=True,
        exception="",
        traceback="",
        attempts=F("attempts") + 1,
        updated=timezone.now(),
    )
    if relabeled:
        rows.bulk_update(relabeled, EVENT_FIELDS)


def _run_handlers(
    ready: list[tuple[Any, ...]], outcomes: list[Outcome], using: str
) -> dict[str, ProcessingError]:
    """Run the handlers of each new event, each in a savepoint; return the
    failures by event id.

    A failed event is taken back out of the mirror (its Event row deleted),
    so that a retry finds it new and runs its handlers; what its object
    became stays, as Stripe's state at that time (the gate orders it).
    """
    from djstripe.models import Event

    failures: dict[str, ProcessingError] = {}
    for (trigger, data), outcome in zip(ready, outcomes, strict=True):
        if not outcome.new:
            continue
        try:
            with transaction.atomic(using=using):
                run_handlers(outcome)
        except Exception as exc:
            failures[outcome.event_id] = processing_failed(data, exc, trigger)
            Event._base_manager.using(using).filter(id=outcome.event_id)._raw_delete(
                using
            )
    return failures


def _reloaded(triggers: list[Any], using: str) -> list[Any]:
    """The claimed rows as stored (a failed batch changed their copies)."""
    from djstripe.models import WebhookEventTrigger

    rows = WebhookEventTrigger.objects.using(using).in_bulk([t.pk for t in triggers])
    return [rows[t.pk] for t in triggers]


def _post_process(done: list[tuple[Any, ...]]) -> None:
    """``webhook_post_process`` for the new events of a committed batch."""
    from djstripe.models import Event

    if not done or not signals.webhook_post_process.has_listeners(Event):
        return
    for trigger, outcome in done:
        if outcome.new:
            event = Event.objects.get(id=outcome.event_id)
            signals.webhook_post_process.send(
                sender=Event, event=event, trigger=trigger
            )
