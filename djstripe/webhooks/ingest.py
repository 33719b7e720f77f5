"""What the webhook view does with a request: verify, store, then process.

The order matters. The request is verified first (signature, size, shape:
pure computation, no database write), then stored (a
``WebhookEventTrigger``) with that verdict, in one committed statement,
whatever it holds, so that every delivery and every rejection can be
inspected and a stored request survives any processing failure; then
processed, inline (one more statement records the outcome) or as a task. What an
outsider can make us store is bounded: a rejected request keeps its address,
the reason, its headers capped to :data:`REJECTED_HEADERS_SIZE` and the first
``DJSTRIPE_WEBHOOK_REJECTED_BODY_SIZE`` bytes of its body; only a verified
one is stored whole. Every rejection answers with a status Stripe
understands (4xx: do not retry; 5xx: retry) and a message that says what was
wrong, in the body and in the log. No input yields a 500: that status means
a handler failed (Stripe retries), 503 that the database did.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid as uuid_module
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_variables

from .. import signals
from .._text import clean_text
from ..exceptions import DjstripeError, ProcessingError
from ..settings import djstripe_settings
from .processing import InvalidEvent, parse_event, process_trigger, save_trigger
from .signature import SignatureVerificationError, verify

if TYPE_CHECKING:
    from ..models import WebhookEndpoint, WebhookEventTrigger

logger = logging.getLogger("djstripe.webhooks")

#: Request headers never stored on a trigger: they may carry credentials.
PRIVATE_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})
#: Bytes of headers kept for a rejected request (each value at most
#: :data:`REJECTED_HEADER_VALUE_SIZE` characters): enough to diagnose it.
REJECTED_HEADERS_SIZE = 2048
REJECTED_HEADER_VALUE_SIZE = 256
#: Database errors that mean "unavailable" (503, retry), not "this event".
DATABASE_DOWN = (OperationalError, InterfaceError)


@dataclass
class Rejection(DjstripeError):
    status: int
    message: str


def handle_request(
    request: HttpRequest, endpoint_uuid: uuid_module.UUID | None = None
) -> HttpResponse:
    """Verify, store and process one webhook request; return the response."""
    from djstripe.models import WebhookEndpoint, WebhookEventTrigger

    body, too_big = _read_body(request, djstripe_settings.WEBHOOK_MAX_BODY_SIZE)
    try:
        endpoint = None
        if endpoint_uuid is not None:
            endpoint = WebhookEndpoint.objects.filter(
                djstripe_uuid=endpoint_uuid
            ).first()
        try:
            data: Any = _validate(request, body, too_big, endpoint_uuid, endpoint)
            rejection = None
        except Rejection as error:
            data, rejection = None, error
        # Stored with its verdict: one statement, committed before processing.
        trigger = WebhookEventTrigger.objects.create(
            remote_ip=_remote_ip(request),
            headers=_stored_headers(request, verified=rejection is None),
            body=_stored_body(body, verified=rejection is None),
            webhook_endpoint=endpoint,
            valid=rejection is None,
            event_id=data["id"] if data else None,
            event_type=data["type"] if data else "",
            exception=rejection.message[:2048] if rejection else "",
        )
    except DatabaseError as exc:
        logger.error("Webhook not stored, database unavailable: %s", exc)
        return _reply(
            503, "Database unavailable: the event was not stored. Retry later."
        )

    signals.webhook_pre_validate.send(sender=WebhookEventTrigger, trigger=trigger)
    if rejection is not None:
        logger.warning(
            "Webhook %s rejected (%s): %s",
            trigger.pk,
            rejection.status,
            rejection.message,
        )
        signals.webhook_post_validate.send(
            sender=WebhookEventTrigger, trigger=trigger, valid=False
        )
        return _reply(rejection.status, rejection.message)

    signals.webhook_post_validate.send(
        sender=WebhookEventTrigger, trigger=trigger, valid=True
    )
    try:
        if djstripe_settings.WEBHOOK_PROCESSING == "task":
            return _enqueue(trigger)
        if djstripe_settings.WEBHOOK_PROCESSING == "store":
            # Stored verified and unprocessed: a --follow worker claims it.
            return _reply(200, f"Event {data['id']} stored.")
        process_trigger(trigger)
    except DatabaseError as exc:
        return _database_failed(trigger, exc)
    except ProcessingError as error:
        return _processing_failed(trigger, error)
    return _reply(200, f"Event {data['id']} ({data['type']}) processed.")


def _processing_failed(
    trigger: WebhookEventTrigger, error: ProcessingError
) -> HttpResponse:
    """The answer to a verified event that could not be applied."""
    if isinstance(error, InvalidEvent):
        # The event itself cannot be stored: a retry would fail the same way.
        return _reply(
            400,
            f"Event {trigger.event_id} cannot be applied: {trigger.exception}. "
            "It is kept; replay it with djstripe_process_events --failed.",
        )
    if isinstance(error.__cause__, DATABASE_DOWN):
        return _database_failed(trigger, error)
    return _reply(
        500,
        f"Processing event {trigger.event_id} failed: {trigger.exception}. "
        "Nothing was applied; it will be processed again when Stripe retries.",
    )


def _database_failed(trigger: WebhookEventTrigger, error: Exception) -> HttpResponse:
    logger.error("Webhook %s not processed, database error: %s", trigger.pk, error)
    return _reply(503, "Database unavailable: the event was not processed.")


@sensitive_variables("secrets", "endpoint")
def _validate(
    request: HttpRequest,
    body: bytes,
    too_big: bool,
    endpoint_uuid: uuid_module.UUID | None,
    endpoint: WebhookEndpoint | None,
) -> dict[str, Any]:
    """The event, or :class:`Rejection` unless the request is a genuine
    Stripe event. Holds the secrets: kept out of error reports."""
    if request.method != "POST":
        raise Rejection(405, f"Method {request.method} not allowed: use POST.")
    if endpoint_uuid is not None and endpoint is None:
        raise Rejection(404, f"No webhook endpoint with uuid {endpoint_uuid}.")
    if too_big:
        raise Rejection(
            413,
            "Body too large: more than "
            f"{djstripe_settings.WEBHOOK_MAX_BODY_SIZE} bytes "
            "(DJSTRIPE_WEBHOOK_MAX_BODY_SIZE).",
        )
    if endpoint is not None:
        secrets, tolerance = [endpoint.secret], endpoint.tolerance
    else:
        secrets = djstripe_settings.WEBHOOK_SECRETS
        tolerance = djstripe_settings.WEBHOOK_TOLERANCE
    if not any(secrets):
        # Our configuration, not the sender, is at fault: 5xx so Stripe retries.
        raise Rejection(
            500,
            "No webhook secret configured (DJSTRIPE_WEBHOOK_SECRET or the "
            "endpoint's secret): cannot verify the event.",
        )
    try:
        verify(body, request.headers.get("Stripe-Signature"), secrets, tolerance)
        return parse_event(body)
    except (SignatureVerificationError, InvalidEvent) as exc:
        raise Rejection(400, str(exc)) from None


def _enqueue(trigger: WebhookEventTrigger) -> HttpResponse:
    """Hand the stored, verified event to the task backend; answer at once."""
    from .. import tasks

    try:
        tasks.enqueue_trigger(trigger)
    except Exception as exc:  # the backend is down: let Stripe retry
        logger.exception("Webhook %s could not be queued", trigger.pk)
        trigger.exception = f"Could not queue: {type(exc).__name__}: {exc}"[:2048]
        return _save_and_reply(trigger, 503, "Could not queue the event; retry later.")
    return _reply(200, f"Event {trigger.event_id} queued.")


def _read_body(request: HttpRequest, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes (plus one, to tell an oversized body).

    Of an oversized body only the part a rejected request keeps is returned.
    """
    keep = djstripe_settings.WEBHOOK_REJECTED_BODY_SIZE
    length = request.META.get("CONTENT_LENGTH")
    try:
        if length and int(length) > limit:
            return request.read(keep), True
    except ValueError:
        pass
    body = request.read(limit + 1)
    return (body[:keep], True) if len(body) > limit else (body, False)


def _remote_ip(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None


def _stored_headers(request: HttpRequest, *, verified: bool) -> dict[str, str]:
    """The headers to keep: no credentials; for a rejected request, capped."""
    headers: dict[str, str] = {}
    size = 0
    for name, value in request.headers.items():
        if name.lower() in PRIVATE_HEADERS:
            continue
        if not verified:
            name, value = name[:64], value[:REJECTED_HEADER_VALUE_SIZE]
            size += len(name) + len(value)
            if size > REJECTED_HEADERS_SIZE:
                break
        headers[clean_text(name)] = clean_text(value)
    return headers


def _stored_body(body: bytes, *, verified: bool) -> str:
    """The body as text a database can store; for a rejected request, only
    its first ``DJSTRIPE_WEBHOOK_REJECTED_BODY_SIZE`` bytes."""
    text = body.decode("utf-8", errors="replace")
    if not verified:
        limit = djstripe_settings.WEBHOOK_REJECTED_BODY_SIZE
        text = text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
    return clean_text(text)


def _save_and_reply(
    trigger: WebhookEventTrigger, status: int, message: str
) -> HttpResponse:
    try:
        save_trigger(trigger, "event", "event_type")
    except DatabaseError as exc:
        logger.error("Webhook %s: could not record the outcome: %s", trigger.pk, exc)
    return _reply(status, message)


def _reply(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain")
    if status == 405:
        response["Allow"] = "POST"
    return response
