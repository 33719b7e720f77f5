"""Fill a database the way a dj-stripe 2.11 site would, then dump it.

Run by the dj-stripe virtualenv only (djstripe's own process never imports
dj-stripe)::

    DATABASE_URL=... STRIPE_API_HOST=http://127.0.0.1:PORT \\
        python -m legacy_site.fill DUMP.json

Everything goes through dj-stripe's code against the fake Stripe: customers
with subscribers, a webhook endpoint made with dj-stripe's admin form, API
keys, dj-stripe's ``djstripe_sync_models``, and signed events posted to
dj-stripe's webhook view (processed, and one with a bad signature). The dump
holds every ``djstripe_*`` row, for the comparison after the switch.
"""

import json
import os
import sys

import django


def main(dump_path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "legacy_site.settings")
    django.setup()

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _fill()
    with open(dump_path, "w") as out:
        json.dump(_dump(), out, default=str, indent=1, sort_keys=True)


def _fill() -> None:
    import stripe
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from djstripe import models
    from djstripe.admin.forms import WebhookEndpointAdminCreateForm

    key = os.environ.get("STRIPE_TEST_SECRET_KEY", "sk_test_legacySecretKey0123456789")
    for name, amount in (("Basic", 900), ("Pro", 2900)):
        stripe.Product.create(
            name=name,
            default_price_data={
                "currency": "usd",
                "unit_amount": amount,
                "recurring": {"interval": "month"},
            },
            api_key=key,
        )
    users = [
        get_user_model().objects.create(username=f"user{i}", email=f"u{i}@example.com")
        for i in range(4)
    ]
    prices = [p.id for p in stripe.Price.list(api_key=key).auto_paging_iter()]
    for index, user in enumerate(users):
        customer, _ = models.Customer.get_or_create(subscriber=user)
        if index < 3:
            stripe.PaymentMethod.attach(
                "pm_card_visa", customer=customer.id, api_key=key
            )
            stripe.Subscription.create(
                customer=customer.id,
                items=[{"price": prices[index % len(prices)]}],
                default_payment_method=stripe.PaymentMethod.list(
                    customer=customer.id, api_key=key
                )
                .data[0]
                .id,
                api_key=key,
            )
    from shop.models import Order

    for customer in models.Customer.objects.order_by("djstripe_id")[:3]:
        Order.objects.create(customer=customer, note=f"order of {customer.id}")

    # dj-stripe lets a subscriber have a second live customer, and purges
    # (soft-deletes) customers.
    models.Customer.create(subscriber=users[0], idempotency_key="second-customer")
    models.Customer.objects.get(subscriber=users[3]).purge()

    restricted, _ = models.APIKey.objects.get_or_create_by_api_key(
        "rk_test_" + "legacyRestrictedKey0123456789"
    )
    restricted.name = "reporting"
    restricted.save()

    form = WebhookEndpointAdminCreateForm(
        data={
            "base_url": "https://shop.example.com",
            "enabled_events": ["*"],
            "djstripe_tolerance": 600,
            "djstripe_validation_method": "verify_signature",
            "api_version": "",
        }
    )
    assert form.is_valid(), form.errors
    endpoint = form.save()

    call_command("djstripe_sync_models", verbosity=0)

    client = Client()
    url = reverse(
        "djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid}
    )
    events = list(stripe.Event.list(limit=100, api_key=key).auto_paging_iter())
    for event in events[:8]:
        _post(client, url, event.to_dict(), endpoint.secret)
    _post(client, url, events[-1].to_dict(), "whsec_wrong")


def _post(client, url: str, event: dict, secret: str):
    import hashlib
    import hmac
    import time

    body = json.dumps(event, default=str)
    timestamp = int(time.time())
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256
    ).hexdigest()
    return client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={timestamp},v1={digest}",
    )


def _dump() -> dict:
    """Every ``djstripe_*`` table's rows, as the database holds them."""
    from django.db import connection

    dump = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if not table.startswith(("djstripe_", "shop_")):
                continue
            cursor.execute(f'SELECT * FROM "{table}"')
            names = [c[0] for c in cursor.description]
            dump[table] = [dict(zip(names, row, strict=True)) for row in cursor]
    return dump


if __name__ == "__main__":
    main(sys.argv[1])
