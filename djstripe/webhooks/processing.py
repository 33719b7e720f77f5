"""From a Stripe event payload to the mirror, the handlers and the signals.

Processing one event is one database transaction:

1. the engine mirrors the event and the object it carries (``data.object``),
   stamped with ``event.created``, behind the staleness gate: a late or
   repeated event never rolls the mirror back, and the payload is trusted, so
   the common case costs no Stripe request;
2. ``*.deleted`` events delete (tombstone) the object;
3. if the event is new, the registered handlers and the per-type signal run.

If anything fails, the transaction is rolled back as a whole, the failure
raises :class:`~djstripe.exceptions.ProcessingError` (the original error is
its ``__cause__``) and the event can be processed again (``manage.py
djstripe_process_events --failed``). A stored webhook request is processed
only if it passed verification: otherwise
:class:`~djstripe.exceptions.NotVerifiedError`, whichever path asks.
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
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from .. import signals, stripe_api, sync
from .._text import clean_json
from ..exceptions import NotVerifiedError, ProcessingError
from ..fields import timestamp_to_datetime
from ..settings import djstripe_settings
from .registry import call_handlers, handlers_for

if TYPE_CHECKING:
    from django.dispatch import Signal

    from djstripe.models import Event, WebhookEventTrigger

logger = logging.getLogger("djstripe.webhooks")

#: Events named ``*.deleted`` whose object still exists in Stripe: a
#: subscription that ends is canceled, not deleted.
NOT_DELETIONS = frozenset({"customer.subscription.deleted"})
#: ``object`` of Stripe's thin (v2) event notifications.
THIN_EVENT_OBJECT = "v2.core.event"


class InvalidEvent(ProcessingError, ValueError):
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


def parse_event(body: bytes | str) -> dict[str, Any]:
    """Decode a webhook body into an event dict, or raise :class:`InvalidEvent`.

    The body must be UTF-8 JSON (no ``NaN``, no nesting deeper than Python's
    parser allows); strings that no database could store (``\\u0000``, lone
    surrogates) are replaced by U+FFFD here, at the boundary (see
    :mod:`djstripe._text`), so that the event is stored alike everywhere.
    """
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidEvent("Body is not valid JSON: nested too deeply.") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise InvalidEvent(f"Body is not valid JSON: {_quote(exc, 120)}") from None
    data = clean_json(data, body)
    check_event(data)
    return cast(dict[str, Any], data)


def check_event(data: Any) -> None:
    """Raise :class:`InvalidEvent` unless ``data`` has the shape of an event:
    the fields processing reads have the types it expects."""
    if not isinstance(data, dict):
        raise InvalidEvent("Body is not a Stripe event: not a JSON object.")
    kind = data.get("object")
    if kind not in ("event", THIN_EVENT_OBJECT):
        raise InvalidEvent(
            f"Body is not a Stripe event: object is {_quote(kind)}, not 'event'."
        )
    problems = [
        name
        for name in ("id", "type")
        if not isinstance(data.get(name), str) or not 0 < len(data[name]) <= 250
    ]
    if data.get("created") in (None, ""):
        problems.append("created")
    if data.get("account") is not None and not isinstance(data["account"], str):
        problems.append("account")
    if kind == "event":
        problems += _object_problems(data.get("data"))
    elif not isinstance(data.get("related_object") or {}, dict):
        problems.append("related_object")
    if problems:
        raise InvalidEvent(
            f"Body is not a Stripe event: missing or malformed {', '.join(problems)}."
        )
    try:
        _created(data)
    except (TypeError, ValueError, OverflowError):
        raise InvalidEvent(
            f"Body is not a Stripe event: bad created {_quote(data.get('created'))}."
        ) from None


def _object_problems(data: Any) -> list[str]:
    """What is wrong with a v1 event's ``data``, as the names of its fields."""
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return ["data.object"]
    problems = [
        f"data.object.{name}"
        for name in ("id", "object")
        if data["object"].get(name) is not None
        and not isinstance(data["object"][name], str)
    ]
    if not isinstance(data.get("previous_attributes") or {}, dict):
        problems.append("data.previous_attributes")
    return problems


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _quote(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut: messages are sent back and logged."""
    text = repr(value) if not isinstance(value, BaseException) else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _created(data: dict[str, Any]) -> datetime.datetime:
    """``created`` as a datetime: seconds for v1 events, ISO 8601 for thin ones."""
    value = data["created"]
    if isinstance(value, str) and not value.isdigit():
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.replace(microsecond=0)
    return cast(datetime.datetime, timestamp_to_datetime(int(value)))


# -- Thin events ------------------------------------------------------------------


@sensitive_variables("api_key")
def expand_thin_event(
    data: dict[str, Any], api_key: str | None = None
) -> dict[str, Any]:
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
    obj: dict[str, Any] = {}
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


def _context_account(data: dict[str, Any]) -> str | None:
    """The connected account of an event (v1 ``account``, v2 ``context``)."""
    account = data.get("account") or data.get("context")
    return account if isinstance(account, str) and account.startswith("acct_") else None


# -- Processing -------------------------------------------------------------------


def is_deletion(event: dict[str, Any]) -> bool:
    """Whether the event means Stripe deleted its object."""
    return event["type"].endswith(".deleted") and event["type"] not in NOT_DELETIONS


@sensitive_variables("api_key")
def apply_event(
    data: dict[str, Any],
    api_key: str | None = None,
    *,
    trigger: WebhookEventTrigger | None = None,
    force: bool = False,
    send_pre_process: bool = True,
) -> Outcome:
    """Mirror one event and run its handlers, in one transaction.

    ``force`` runs the handlers even if the event was processed before (the
    mirror write is idempotent either way). ``send_pre_process=False`` is for
    a caller that already sent ``webhook_pre_process`` for this event. A failure raises
    :class:`ProcessingError` (the original error as its ``__cause__``), after
    ``webhook_processing_error`` is sent; nothing the event wrote is kept.
    """
    from djstripe.models import Event

    check_event(data)
    try:
        if data.get("object") == THIN_EVENT_OBJECT:
            data = expand_thin_event(data, api_key)
        if send_pre_process:
            signals.webhook_pre_process.send(
                sender=Event, event_data=data, trigger=trigger
            )
        with transaction.atomic():
            outcome = _mirror_or_reject(data, api_key)
            event = None
            if outcome.new or force:
                event = run_handlers(outcome)
    except Exception as exc:
        raise processing_failed(data, exc, trigger)  # its __cause__ is exc
    if (outcome.new or force) and signals.webhook_post_process.has_listeners(Event):
        event = event or Event.objects.get(id=outcome.event_id)
        signals.webhook_post_process.send(sender=Event, event=event, trigger=trigger)
    return outcome


def processing_failed(
    data: dict[str, Any], exc: Exception, trigger: WebhookEventTrigger | None = None
) -> ProcessingError:
    """Send ``webhook_processing_error`` for ``exc`` and return it as the
    :class:`ProcessingError` to raise (``exc`` as its ``__cause__``)."""
    from djstripe.models import Event

    signals.webhook_processing_error.send(
        sender=Event, exception=exc, event_data=data, trigger=trigger
    )
    if isinstance(exc, ProcessingError):
        return exc
    error = ProcessingError(
        f"Processing event {data['id']} ({data['type']}) failed: {_describe(exc)}"
    )
    error.__cause__ = exc
    return error


#: What the engine raises on data it cannot store (a wrong type, a number too
#: large for its column): the event is malformed and would fail the same way
#: at every retry.
MALFORMED_DATA_ERRORS = (
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    OverflowError,
    RecursionError,
    DataError,
    ValidationError,
)


def _mirror_or_reject(event: dict[str, Any], api_key: str | None) -> Outcome:
    """:func:`_mirror`, with data it cannot store reported as :class:`InvalidEvent`."""
    try:
        return _mirror(event, api_key)
    except MALFORMED_DATA_ERRORS as exc:
        raise InvalidEvent(
            f"Event {event['id']} cannot be mirrored: {_describe(exc)}"[:1024]
        ) from exc


@sensitive_variables("api_key")
def _upsert_options(event: dict[str, Any], api_key: str | None) -> dict[str, Any]:
    """The engine's options for an event: its account's key and context."""
    account = _context_account(event)
    api_key = api_key or djstripe_settings.get_default_api_key(event.get("livemode"))
    return {"api_key": api_key, "stripe_account": account, "owner_account": account}


def _policy(event: dict[str, Any]) -> str:
    return djstripe_settings.refetch_policy(event["data"]["object"].get("object") or "")


def batchable(event: dict[str, Any]) -> bool:
    """Whether the event's mirror write needs nothing but its payload, so
    that it can join others in one engine call (see :func:`mirror_batch`):
    not a thin event, not a deletion, no refetch of its object."""
    return (
        event.get("object") == "event"
        and not event.get("thin")
        and not is_deletion(event)
        and _policy(event) != "always"
    )


@sensitive_variables()
def mirror_batch(
    events: list[dict[str, Any]], api_key: str | None = None
) -> list[Outcome]:
    """Mirror :func:`batchable` events together, one engine call per account
    and refetch policy (no handlers), and return their outcomes in order.

    The engine stamps what each event carries with that event's ``created``
    and keeps the latest observation of each object, so the mirror ends as
    if the events had been applied one by one. Only two events carrying the
    same object in the same second cannot be ordered by their stamps: the
    later one goes to a later call, where the gate settles the tie as it
    would one by one. An event id seen twice is new at most once: its first
    occurrence.
    """
    from djstripe.models import Event

    rounds: list[dict[tuple[Any, ...], list[dict[str, Any]]]] = []
    last_round: dict[tuple[Any, ...], int] = {}
    for event in events:
        carried = (event["data"]["object"].get("id"), event["created"])
        index = last_round[carried] + 1 if carried in last_round else 0
        last_round[carried] = index
        if index == len(rounds):
            rounds.append({})
        options = _upsert_options(event, api_key)
        refetch = "on_tie" if _policy(event) == "on_tie" else "never"
        rounds[index].setdefault((*options.values(), refetch), []).append(event)
    written: set[str] = set()
    total = sync.UpsertResult()
    for groups in rounds:
        for (key, account, owner, refetch), group in groups.items():
            result = sync.upsert(
                group,
                observed_at=max(_created(event) for event in group),
                refetch=refetch,
                api_key=key,
                stripe_account=account,
                owner_account=owner,
            )
            written.update(result.written_ids.get(Event._meta.label, ()))
            total.merge(result)
    outcomes = []
    for event in events:
        outcomes.append(Outcome(event["id"], event["type"], event["id"] in written))
        written.discard(event["id"])
    if outcomes:
        outcomes[0].result = total  # the batch's counts, reported once
    return outcomes


@sensitive_variables("api_key", "options")
def _mirror(event: dict[str, Any], api_key: str | None) -> Outcome:
    """Write the event and its object through the engine (no handlers)."""
    from djstripe.models import Event

    created = _created(event)
    obj = event["data"]["object"]
    object_type = obj.get("object")
    options = _upsert_options(event, api_key)
    policy = _policy(event)
    deletion = is_deletion(event)
    result = sync.UpsertResult()
    api_key, account = options["api_key"], options["stripe_account"]

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


def run_handlers(outcome: Outcome) -> Event | None:
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
        cast("Signal", type_signal).send(sender=Event, event=event)
    return cast("Event", event)


def process_event_data(data: dict[str, Any], api_key: str | None = None) -> Event:
    """Mirror the event ``data`` (a Stripe event as a dict), run its handlers
    if it is new, and return its Event row. See :func:`apply_event`."""
    from djstripe.models import Event

    outcome = apply_event(data, api_key)
    return cast("Event", Event.objects.get(id=outcome.event_id))


# -- Triggers ---------------------------------------------------------------------


@sensitive_variables("api_key")
def process_trigger(
    trigger: WebhookEventTrigger,
    *,
    force: bool = False,
    api_key: str | None = None,
    save: bool = True,
    send_pre_process: bool = True,
) -> Outcome:
    """Process the event stored in ``trigger``; record the outcome on it.

    Raises :class:`NotVerifiedError` if the request failed verification (the
    row is left as it is: its content is not Stripe's), and
    :class:`ProcessingError` if processing failed; the failure is then logged
    and stored on the trigger (exception and traceback) before it is raised.
    ``save=False`` sets the outcome on ``trigger`` without saving it;
    ``send_pre_process`` is passed to :func:`apply_event`.
    """
    if not trigger.valid:
        raise NotVerifiedError(
            f"Webhook request {trigger.pk} failed verification "
            f"({trigger.exception or 'no reason recorded'}): it is never processed."
        )
    trigger.attempts += 1
    try:
        data = parse_event(trigger.body)
        trigger.event_id, trigger.event_type = data["id"], data["type"]
        outcome = apply_event(
            data,
            api_key,
            trigger=trigger,
            force=force,
            send_pre_process=send_pre_process,
        )
    except ProcessingError as error:
        mark_failed(trigger, error)
        if save:
            record(trigger)
        raise
    mark_processed(trigger, outcome)
    if save:
        record(trigger)
    return outcome


def mark_failed(trigger: WebhookEventTrigger, error: ProcessingError) -> None:
    """Log a failed processing and set it on ``trigger`` (not saved)."""
    cause = error.__cause__ or error
    logger.error(
        "Processing webhook %s (%s) failed",
        trigger.pk,
        trigger.event_type or "?",
        exc_info=cause,
    )
    trigger.processed = False
    # What the event could not be, or what failed while applying it.
    trigger.exception = _describe(error if isinstance(error, InvalidEvent) else cause)[
        :2048
    ]
    trigger.traceback = "".join(traceback_module.format_exception(cause))


def mark_processed(trigger: WebhookEventTrigger, outcome: Outcome) -> None:
    """Set the outcome of a successful processing on ``trigger`` (not saved)."""
    trigger.processed = True
    trigger.exception = ""
    trigger.traceback = ""
    trigger.event_id = outcome.event_id
    trigger.event_type = outcome.event_type
    trigger.updated = timezone.now()
    if not outcome.new:
        logger.info("Event %s was already processed; nothing to do", outcome.event_id)


#: What a processing outcome changes on a trigger, besides its verdict.
OUTCOME_FIELDS = ("processed", "traceback", "attempts", "event", "event_type")


def record(trigger: WebhookEventTrigger) -> None:
    """Save a processing outcome; a database failure is a processing failure."""
    try:
        save_trigger(trigger, *OUTCOME_FIELDS)
    except DatabaseError as exc:
        raise ProcessingError(
            f"Webhook request {trigger.pk}: could not record the outcome: "
            f"{_describe(exc)}"
        ) from exc


EVENT_FIELDS = ("event", "event_type")


def save_trigger(trigger: WebhookEventTrigger, *fields: str) -> None:
    """Save what became of a stored request: always its verdict (``valid``,
    ``exception``), plus ``fields``; never its body or headers again."""
    trigger.updated = timezone.now()
    trigger.save(update_fields=[*fields, "valid", "exception", "updated"])


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
