"""djstripe's views: the webhook endpoint."""

from __future__ import annotations

import uuid as uuid_module

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .views_compat import ProcessWebhookView  # noqa: F401  (dj-stripe's name)
from .webhooks.ingest import handle_request


@csrf_exempt
@transaction.non_atomic_requests
def webhook(request: HttpRequest, uuid: uuid_module.UUID | None = None) -> HttpResponse:
    """Receive a Stripe webhook (``webhook/`` or ``webhook/<uuid>/``).

    Not wrapped in a request transaction even with ``ATOMIC_REQUESTS``: the
    stored request must survive a failed processing, which has its own
    transaction. See :func:`djstripe.webhooks.ingest.handle_request`.
    """
    return handle_request(request, uuid)
