"""From a Stripe event payload to the mirror, the handlers and the signals.

Processing one event is one database transaction:

1. the engine mirrors the event and the object it carries (``data.object``),
   stamped with ``event.created``, behind the staleness gate: a late or
   repeated event never rolls the mirror back, and the payload is trusted, so
   the common case costs no Stripe request;
2. ``*.deleted`` events delete (tombstone) the object;
3. if the event is new, the registered handlers and the per-type signal run.

If a handler raises, the transaction is rolled back as a whole and the event
can be processed again (``manage.py djstripe_process_events --failed``).
Events are immutable, so the engine inserts the Event row with ``ON CONFLICT
DO NOTHING``: a second delivery of the same event, even a concurrent one,
mirrors nothing new and runs no handler.
"""

from __future__ import annotations

import datetime
import json
import logging
import traceback as traceback_module
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .. import signals, stripe_api, sync
from ..fields import timestamp_to_datetime
from ..settings import djstripe_settings
from .registry import call_handlers, handlers_for

if TYPE_CHECKING:
    from djstripe.models import Event, WebhookEventTrigger

logger = logging.getLogger("djstripe.webhooks")

#: Events named ``*.deleted`` whose object still exists in Stripe: a
#: subscription that ends is canceled, not deleted.
NOT_DELETIONS = frozenset({"customer.subscription.deleted"})
#: ``object`` of Stripe's thin (v2) event notifications.
THIN_EVENT_OBJECT = "v2.core.event"


class InvalidEvent(ValueError):
    """The body is not a Stripe event; ``str(error)`` says why."""


@dataclass
class Outcome:
    """What processing one event did."""

    event_id: str
    event_type: str
    #: False when the event had already been processed (a duplicate).
    new: bool
    result: sync.UpsertResult = field(default_factory=sync.UpsertResult)


# -- Parsing --------------------------------------------------------------------


def parse_event(body: bytes | str) -> dict:
    """Decode a webhook body into an event dict, or raise :class:`InvalidEvent`."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"Body is not valid JSON: {exc}") from None
    check_event(data)
    return data


def check_event(data: Any) -> None:
    """Raise :class:`InvalidEvent` unless ``data`` has the shape of an event."""
    if not isinstance(data, dict):
        raise InvalidEvent("Body is not a Stripe event: not a JSON object.")
    kind = data.get("object")
    if kind not in ("event", THIN_EVENT_OBJECT):
        raise InvalidEvent(
            f"Body is not a Stripe event: object is {kind!r}, not 'event'."
        )
    missing = [
        name
        for name in ("id", "type")
        if not isinstance(data.get(name), str) or not data[name]
    ]
    if data.get("created") in (None, ""):
        missing.append("created")
    if kind == "event" and not isinstance((data.get("data") or {}).get("object"), dict):
        missing.append("data.object")
    if missing:
        raise InvalidEvent(f"Body is not a Stripe event: missing {', '.join(missing)}.")
    try:
        _created(data)
    except (TypeError, ValueError, OverflowError):
        raise InvalidEvent(
            f"Body is not a Stripe event: bad created {data.get('created')!r}."
        ) from None


def _created(data: dict) -> datetime.datetime:
    """``created`` as a datetime: seconds for v1 events, ISO 8601 for thin ones."""
    value = data["created"]
    if isinstance(value, str) and not value.isdigit():
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.replace(microsecond=0)
    return timestamp_to_datetime(int(value))


# -- Thin events ------------------------------------------------------------------


def expand_thin_event(data: dict, api_key: str | None = None) -> dict:
    """A thin (v2) event as a v1-shaped event carrying its related object.

    Thin notifications hold only a reference (``related_object``: id, type,
    url); the object is fetched from Stripe (one request) so that it can be
    mirrored and handlers see it as ``event.data["object"]``. The original
    fields are kept. Called outside any transaction: it does network I/O.
    """
    event = dict(data)
    event["object"] = "event"
    event["thin"] = True
    event["created"] = int(_created(data).timestamp())
    related = data.get("related_object") or {}
    obj: dict = {}
    if related.get("url"):
        obj = stripe_api.request(
            "get",
            related["url"],
            api_key=api_key
            or djstripe_settings.get_default_api_key(data.get("livemode")),
            stripe_account=_context_account(data),
        )
    event["data"] = {"object": obj}
    return event


def _context_account(data: dict) -> str | None:
    """The connected account of an event (v1 ``account``, v2 ``context``)."""
    account = data.get("account") or data.get("context")
    return account if isinstance(account, str) and account.startswith("acct_") else None


# -- Processing -------------------------------------------------------------------


def is_deletion(event: dict) -> bool:
    """Whether the event means Stripe deleted its object."""
    return event["type"].endswith(".deleted") and event["type"] not in NOT_DELETIONS


def apply_event(
    data: dict,
    api_key: str | None = None,
    *,
    trigger: WebhookEventTrigger | None = None,
    force: bool = False,
) -> Outcome:
    """Mirror one event and run its handlers, in one transaction.

    ``force`` runs the handlers even if the event was processed before (the
    mirror write is idempotent either way). Exceptions propagate, after
    ``webhook_processing_error`` is sent; nothing the event wrote is kept.
    """
    from djstripe.models import Event

    check_event(data)
    try:
        if data.get("object") == THIN_EVENT_OBJECT:
            data = expand_thin_event(data, api_key)
        signals.webhook_pre_process.send(sender=Event, event_data=data, trigger=trigger)
        with transaction.atomic():
            outcome = _mirror(data, api_key)
            event = None
            if outcome.new or force:
                event = _run_handlers(outcome)
    except Exception as exc:
        signals.webhook_processing_error.send(
            sender=Event, exception=exc, event_data=data, trigger=trigger
        )
        raise
    if (outcome.new or force) and signals.webhook_post_process.has_listeners(Event):
        event = event or Event.objects.get(id=outcome.event_id)
        signals.webhook_post_process.send(sender=Event, event=event, trigger=trigger)
    return outcome


def _mirror(event: dict, api_key: str | None) -> Outcome:
    """Write the event and its object through the engine (no handlers)."""
    from djstripe.models import Event

    created = _created(event)
    obj = event["data"]["object"]
    object_type = obj.get("object")
    account = _context_account(event)
    api_key = api_key or djstripe_settings.get_default_api_key(event.get("livemode"))
    policy = djstripe_settings.refetch_policy(object_type or "")
    deletion = is_deletion(event)
    result = sync.UpsertResult()
    options = {"api_key": api_key, "stripe_account": account, "owner_account": account}

    model = sync.model_for(object_type)
    fresh = None
    if event.get("thin"):
        fresh = obj  # fetched from Stripe just now, by expand_thin_event()
    elif policy == "always" and model is not None and obj.get("id") and not deletion:
        fresh = model.api_retrieve_data(obj["id"], api_key, account)
    if fresh:
        # Stripe's current object, stamped with the response's time: the
        # payload's copy (observed at event.created, earlier) is gated out.
        result.merge(sync.upsert([fresh], refetch="never", **options))
    refetch = "on_tie" if policy == "on_tie" and not fresh else "never"
    result.merge(sync.upsert([event], observed_at=created, refetch=refetch, **options))
    if deletion and model is not None and obj.get("id"):
        sync.delete(model, obj["id"], observed_at=created, result=result)
    new = event["id"] in result.written_ids.get(Event._meta.label, ())
    return Outcome(event["id"], event["type"], new, result)


def _run_handlers(outcome: Outcome) -> Event | None:
    """Call handlers and the per-type signal; load the Event only if needed."""
    from djstripe.models import Event

    type_signal = signals.WEBHOOK_SIGNALS.get(outcome.event_type)
    has_receivers = type_signal is not None and type_signal.has_listeners(Event)
    handlers = handlers_for(outcome.event_type)
    if not handlers and not has_receivers:
        return None
    event = Event.objects.get(id=outcome.event_id)
    if handlers:
        call_handlers(event)
    if has_receivers:
        type_signal.send(sender=Event, event=event)
    return event


def process_event_data(data: dict, api_key: str | None = None) -> Event:
    """Mirror the event ``data`` (a Stripe event as a dict), run its handlers
    if it is new, and return its Event row. See :func:`apply_event`."""
    from djstripe.models import Event

    outcome = apply_event(data, api_key)
    return Event.objects.get(id=outcome.event_id)


# -- Triggers ---------------------------------------------------------------------


def process_trigger(trigger: WebhookEventTrigger, *, force: bool = False) -> bool:
    """Process the event stored in ``trigger``; record the outcome on it.

    Returns whether processing succeeded. A failure is logged and stored on
    the trigger (exception and traceback); it never propagates, because the
    trigger row is the record of it and the caller decides how to answer.
    """
    trigger.attempts += 1
    try:
        data = parse_event(trigger.body)
        trigger.event_id, trigger.event_type = data["id"], data["type"]
        outcome = apply_event(data, trigger=trigger, force=force)
    except Exception as exc:
        logger.exception(
            "Processing webhook %s (%s) failed", trigger.pk, trigger.event_type or "?"
        )
        trigger.processed = False
        trigger.exception = f"{type(exc).__name__}: {exc}"[:2048]
        trigger.traceback = traceback_module.format_exc()
        _save(trigger, "processed", "exception", "traceback", "attempts", *EVENT_FIELDS)
        return False
    trigger.processed = True
    trigger.exception = ""
    trigger.traceback = ""
    trigger.event_id = outcome.event_id
    trigger.event_type = outcome.event_type
    if not outcome.new:
        logger.info("Event %s was already processed; nothing to do", outcome.event_id)
    _save(trigger, "processed", "exception", "traceback", "attempts", *EVENT_FIELDS)
    return True


EVENT_FIELDS = ("event", "event_type")


def _save(trigger: WebhookEventTrigger, *fields: str) -> None:
    trigger.updated = timezone.now()
    trigger.save(update_fields=[*fields, "valid", "updated"])
