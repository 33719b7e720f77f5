"""What the webhook view does with a request: store, verify, then process.

The order matters. The request is stored first (a ``WebhookEventTrigger``),
whatever it holds, so that nothing Stripe sent is ever lost and every
rejection can be inspected; then it is verified (signature, size, shape);
then processed, inline or as a task. Every rejection answers with a status
Stripe understands (4xx: do not retry; 5xx: retry) and a message that says
what was wrong, in the body and in the log.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid as uuid_module
from dataclasses import dataclass

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from .. import signals
from ..exceptions import ProcessingError
from ..settings import djstripe_settings
from .processing import InvalidEvent, parse_event, process_trigger, save_trigger
from .signature import SignatureVerificationError, verify

logger = logging.getLogger("djstripe.webhooks")

#: Request headers never stored on a trigger: they may carry credentials.
PRIVATE_HEADERS = frozenset({"cookie", "authorization", "proxy-authorization"})


@dataclass
class Rejection(Exception):
    status: int
    message: str


def handle_request(
    request: HttpRequest, endpoint_uuid: uuid_module.UUID | None = None
) -> HttpResponse:
    """Store, verify and process one webhook request; return the response."""
    from djstripe.models import WebhookEndpoint, WebhookEventTrigger

    body, too_big = _read_body(request, djstripe_settings.WEBHOOK_MAX_BODY_SIZE)
    try:
        endpoint = None
        if endpoint_uuid is not None:
            endpoint = WebhookEndpoint.objects.filter(
                djstripe_uuid=endpoint_uuid
            ).first()
        trigger = WebhookEventTrigger.objects.create(
            remote_ip=_remote_ip(request),
            headers=_public_headers(request),
            body="" if too_big else body.decode("utf-8", errors="replace"),
            webhook_endpoint=endpoint,
        )
    except DatabaseError as exc:
        logger.error("Webhook not stored, database unavailable: %s", exc)
        return _reply(
            503, "Database unavailable: the event was not stored. Retry later."
        )

    signals.webhook_pre_validate.send(sender=WebhookEventTrigger, trigger=trigger)
    try:
        data = _validate(request, body, too_big, endpoint_uuid, endpoint)
    except Rejection as rejection:
        trigger.exception = rejection.message
        logger.warning(
            "Webhook %s rejected (%s): %s",
            trigger.pk,
            rejection.status,
            rejection.message,
        )
        signals.webhook_post_validate.send(
            sender=WebhookEventTrigger, trigger=trigger, valid=False
        )
        return _save_and_reply(trigger, rejection.status, rejection.message)

    trigger.valid = True
    trigger.event_id = data["id"]
    trigger.event_type = data["type"]
    signals.webhook_post_validate.send(
        sender=WebhookEventTrigger, trigger=trigger, valid=True
    )
    try:
        if djstripe_settings.WEBHOOK_PROCESSING == "task":
            return _enqueue(trigger)
        process_trigger(trigger)
    except (DatabaseError, ProcessingError) as exc:
        if isinstance(exc, DatabaseError) or isinstance(exc.__cause__, DatabaseError):
            logger.error(
                "Webhook %s not processed, database error: %s", trigger.pk, exc
            )
            return _reply(503, "Database unavailable: the event was not processed.")
        return _reply(
            500,
            f"Processing event {data['id']} failed: {trigger.exception}. "
            "Nothing was applied; it will be processed again when Stripe retries.",
        )
    return _reply(200, f"Event {data['id']} ({data['type']}) processed.")


def _validate(request, body, too_big, endpoint_uuid, endpoint) -> dict:
    """Raise :class:`Rejection` unless the request is a genuine Stripe event."""
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


def _enqueue(trigger) -> HttpResponse:
    """Hand the stored, verified event to the task backend; answer at once."""
    from .. import tasks

    save_trigger(trigger, "event", "event_type")
    try:
        tasks.enqueue_trigger(trigger)
    except Exception as exc:  # the backend is down: let Stripe retry
        logger.exception("Webhook %s could not be queued", trigger.pk)
        trigger.exception = f"Could not queue: {type(exc).__name__}: {exc}"[:2048]
        return _save_and_reply(trigger, 503, "Could not queue the event; retry later.")
    return _reply(200, f"Event {trigger.event_id} queued.")


def _read_body(request: HttpRequest, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes (plus one, to tell an oversized body)."""
    length = request.META.get("CONTENT_LENGTH")
    try:
        if length and int(length) > limit:
            return b"", True
    except ValueError:
        pass
    body = request.read(limit + 1)
    return (b"", True) if len(body) > limit else (body, False)


def _remote_ip(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None


def _public_headers(request: HttpRequest) -> dict[str, str]:
    return {
        name: value
        for name, value in request.headers.items()
        if name.lower() not in PRIVATE_HEADERS
    }


def _save_and_reply(trigger, status: int, message: str) -> HttpResponse:
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
