"""dj-stripe's class-based webhook view, over djstripe's webhook pipeline.

``ProcessWebhookView`` answers exactly as :func:`djstripe.views.webhook`
does (store, verify, process; the statuses of
:func:`djstripe.webhooks.ingest.handle_request`), for projects whose URLconf
or tests name the class. :func:`receive` also hands back the stored
``WebhookEventTrigger``, which ``WebhookEventTrigger.from_request`` returns.
"""

from __future__ import annotations

import threading
import uuid as uuid_module
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import signals
from .webhooks.ingest import handle_request

if TYPE_CHECKING:
    from .models import WebhookEventTrigger

_capture = threading.local()


def _remember_trigger(sender: Any, trigger: WebhookEventTrigger, **kwargs: Any) -> None:
    """Keep the trigger this thread's :func:`receive` stored."""
    if getattr(_capture, "active", False):
        _capture.trigger = trigger


signals.webhook_pre_validate.connect(
    _remember_trigger, dispatch_uid="djstripe.views_compat.receive"
)


def receive(
    request: HttpRequest, endpoint_uuid: uuid_module.UUID | None = None
) -> tuple[WebhookEventTrigger | None, HttpResponse]:
    """Handle a webhook request; return its stored trigger (``None`` if the
    database could not store it) and the response."""
    _capture.active, _capture.trigger = True, None
    try:
        response = handle_request(request, endpoint_uuid)
        return _capture.trigger, response
    finally:
        _capture.active, _capture.trigger = False, None


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class ProcessWebhookView(View):
    """A view that stores, verifies and processes a Stripe webhook request.

    ``uuid`` (from ``webhook/<uuid>/``) selects a ``WebhookEndpoint`` and
    its secret. Other methods than ``POST`` are stored and refused with 405,
    as the function view does, so every request can be inspected.
    """

    def post(
        self, request: HttpRequest, uuid: uuid_module.UUID | None = None
    ) -> HttpResponse:
        return handle_request(request, uuid)

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        return handle_request(request, kwargs.get("uuid"))
