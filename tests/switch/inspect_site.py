"""After the switch: dump djstripe's tables and post a webhook to the old URL.

Run in djstripe's own process (``DJANGO_SETTINGS_MODULE=tests.switch.settings``)::

    python -m tests.switch.inspect_site OUT.json

Writes ``{"tables": {table: rows}, "webhook": {...}}``. The webhook is a
signed ``customer.updated`` event, created now, changing a subscribed
customer's email, posted to the path of the URL that Stripe holds for the
endpoint dj-stripe made (``WebhookEndpoint.url``), as Stripe would post it.
"""

import json
import sys
import time
from urllib.parse import urlsplit

import django


def main(out_path: str) -> None:
    django.setup()
    from django.db import connection

    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table.startswith(("djstripe_", "shop_")):
                cursor.execute(f'SELECT * FROM "{table}"')
                names = [c[0] for c in cursor.description]
                tables[table] = [dict(zip(names, r, strict=True)) for r in cursor]
    result = {"tables": tables, "webhook": _post_webhook()}
    with open(out_path, "w") as out:
        json.dump(result, out, default=str, indent=1, sort_keys=True)


def _post_webhook() -> dict:
    from django.test import Client
    from django.urls import reverse

    from djstripe.models import Customer, WebhookEndpoint, WebhookEventTrigger
    from djstripe.testing.webhooks import post_event

    endpoint = WebhookEndpoint.objects.order_by("djstripe_id").first()
    customer = Customer.objects.filter(subscriber__isnull=False).order_by("pk").first()
    path = urlsplit(endpoint.url).path
    from django.conf import settings

    if not settings.APPEND_SLASH:
        path = path.rstrip("/")  # dj-stripe's URL on a site without APPEND_SLASH
    data = {**customer.stripe_data, "email": f"switched-{int(time.time())}@example.com"}
    event = {
        "id": f"evt_switch_{int(time.time() * 1000)}",
        "object": "event",
        "api_version": endpoint.stripe_data.get("api_version") or "2025-01-27",
        "created": int(time.time()),
        "data": {"object": data, "previous_attributes": {"email": customer.email}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "customer.updated",
    }
    response = post_event(Client(), path, event, endpoint.secret)
    trigger = WebhookEventTrigger.objects.order_by("-id").first()
    customer.refresh_from_db()
    return {
        "path": path,
        "reversed": reverse(
            "djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid}
        ),
        "status": response.status_code,
        "sent_email": data["email"],
        "stored_email": customer.email,
        "trigger": {
            "event_id": trigger.event_id,
            "valid": trigger.valid,
            "processed": trigger.processed,
            "webhook_endpoint_id": trigger.webhook_endpoint_id,
            "exception": trigger.exception,
        },
        "endpoint_djstripe_id": endpoint.pk,
        "event_id": event["id"],
    }


if __name__ == "__main__":
    main(sys.argv[1])
