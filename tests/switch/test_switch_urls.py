"""dj-stripe's webhook URL name and shape, and a fresh database left alone.

The conversion itself is tested end to end against the real dj-stripe in
``test_switch_e2e.py``.
"""

from __future__ import annotations

import datetime
import importlib
import uuid

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import clear_url_caches, reverse

from djstripe import sync
from djstripe.models import WebhookEndpoint, WebhookEventTrigger
from djstripe.switch import convert, schema

from ..conftest import stripe_fixture
from ..webhook_utils import T0, make_event, post


def _endpoint() -> WebhookEndpoint:
    data = {
        "id": "we_switch",
        "object": "webhook_endpoint",
        "url": "https://shop.example.com/stripe/webhook/",
        "enabled_events": ["*"],
        "status": "enabled",
        "api_version": None,
        "created": T0,
        "livemode": False,
        "metadata": {},
        "secret": "whsec_switch_secret_1234",
    }
    sync.upsert([data], observed_at=datetime.datetime.fromtimestamp(T0, datetime.UTC))
    return WebhookEndpoint.objects.get(id="we_switch")


@pytest.fixture
def reload_urls():
    """Rebuild the URLconf after a change of ``APPEND_SLASH`` (dj-stripe's
    URL shape is decided when ``djstripe.urls`` is imported, as in dj-stripe)."""

    def reload() -> None:
        import djstripe.urls
        import tests.urls

        importlib.reload(djstripe.urls)
        importlib.reload(tests.urls)
        clear_url_caches()

    yield reload
    reload()


@pytest.mark.django_db
@pytest.mark.parametrize("append_slash", [True, False])
def test_dj_stripe_endpoint_url_is_served(client, reload_urls, append_slash):
    row = _endpoint()
    with override_settings(APPEND_SLASH=append_slash):
        reload_urls()
        url = reverse(
            "djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": row.djstripe_uuid}
        )
        assert url == f"/stripe/webhook/{row.djstripe_uuid}" + "/" * append_slash
        # djstripe's own name keeps its shape.
        assert reverse(
            "djstripe:webhook_by_uuid", kwargs={"uuid": row.djstripe_uuid}
        ) == (f"/stripe/webhook/{row.djstripe_uuid}/")
        event = make_event("customer.created", stripe_fixture("customer"))
        response = post(client, event, url=url, secret=row.secret)
    assert response.status_code == 200
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.processed and trigger.webhook_endpoint == row


@pytest.mark.django_db
def test_unknown_uuid_on_the_dj_stripe_url_is_404(client):
    url = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": uuid.uuid4()})
    event = make_event("customer.created", stripe_fixture("customer"))
    assert post(client, event, url=url).status_code == 404


@pytest.mark.django_db
def test_a_djstripe_database_is_not_taken_for_dj_stripe():
    assert not schema.is_dj_stripe_schema(connection)
    assert not convert.pending(connection)
    assert convert.convert(connection.alias) is None
    assert not schema.legacy_tables(connection)
