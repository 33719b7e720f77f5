"""What an outsider can make us store is bounded, and it expires (#13)."""

from __future__ import annotations

import datetime
import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from djstripe import checks, stripe_api
from djstripe.models import WebhookEventTrigger
from djstripe.tasks import prune_webhook_triggers as prune_task
from djstripe.webhooks import registry
from djstripe.webhooks.ingest import REJECTED_HEADERS_SIZE
from djstripe.webhooks.retention import prune_webhook_triggers

from .conftest import stripe_fixture
from .webhook_utils import ScriptedStripe, make_event, post

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
FORGED = "t=1,v1=00"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def isolated():
    with registry.isolated(), stripe_api.use_http_client(ScriptedStripe()):
        yield


def forged_post(body: bytes, **headers):
    return Client().post(
        reverse("djstripe:webhook"),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=FORGED,
        **headers,
    )


def stored_bytes(trigger: WebhookEventTrigger) -> int:
    """The bytes a stored request's variable-size columns hold."""
    trigger.refresh_from_db()
    return sum(
        len(value.encode())
        for value in (
            trigger.body,
            json.dumps(trigger.headers, ensure_ascii=False),
            trigger.exception,
            trigger.traceback,
            trigger.remote_ip or "",
            trigger.event_type,
        )
    )


def row_bytes(trigger: WebhookEventTrigger) -> int | None:
    """PostgreSQL's own count of the row's stored size (TOAST included)."""
    if connection.vendor != "postgresql":
        return None
    table = WebhookEventTrigger._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_column_size(t.*) FROM {table} t WHERE id = %s", [trigger.pk]
        )
        return cursor.fetchone()[0]


def test_a_forged_mebibyte_is_stored_in_at_most_8_kib():
    # Random hex: incompressible enough that PostgreSQL cannot flatter the figure.
    body = os.urandom(MIB // 2).hex().encode()
    many_headers = {f"HTTP_X_PAD_{n}": "v" * 1000 for n in range(100)}
    response = forged_post(body, **many_headers)

    assert response.status_code == 400
    trigger = WebhookEventTrigger.objects.get()
    assert not trigger.valid
    assert len(trigger.body) == 4096 and body.startswith(trigger.body.encode())
    size = stored_bytes(trigger)
    print(f"bytes stored per forged 1 MiB request: {size}")
    assert size <= 8 * 1024
    on_disk = row_bytes(trigger)
    if on_disk is not None:
        print(f"PostgreSQL row size: {on_disk}")
        assert on_disk <= 8 * 1024
    assert sum(len(k) + len(v) for k, v in trigger.headers.items()) <= (
        REJECTED_HEADERS_SIZE
    )
    assert trigger.remote_ip == "127.0.0.1"
    assert "No signature matches" in trigger.exception


def test_an_oversized_body_keeps_its_first_kib_only():
    body = b"x" * (MIB + 10)
    response = forged_post(body)
    assert response.status_code == 413
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.body == "x" * 4096
    assert "Body too large" in trigger.exception


@override_settings(DJSTRIPE_WEBHOOK_REJECTED_BODY_SIZE=10)
def test_the_kept_prefix_is_a_setting():
    forged_post("é".encode() * 100)
    body = WebhookEventTrigger.objects.get().body
    assert body == "é" * 5  # whole characters only


def test_a_verified_request_keeps_everything(client):
    customer = stripe_fixture("customer", id="cus_big", description="d" * 20_000)
    event = make_event("customer.updated", customer)
    headers = {f"HTTP_X_PAD_{n}": "v" * 1000 for n in range(10)}
    assert post(client, event, **headers).status_code == 200
    trigger = WebhookEventTrigger.objects.get()
    assert trigger.valid and trigger.body == json.dumps(event)
    assert sum(1 for name in trigger.headers if name.startswith("X-Pad-")) == 10


# -- Retention -------------------------------------------------------------------


def make_trigger(age_days: float, *, valid: bool, processed: bool = False):
    trigger = WebhookEventTrigger.objects.create(
        valid=valid, processed=processed, body="{}"
    )
    moment = timezone.now() - datetime.timedelta(days=age_days)
    WebhookEventTrigger.objects.filter(pk=trigger.pk).update(
        created=moment, updated=moment
    )
    return trigger.pk


@pytest.fixture
def triggers():
    return {
        "old rejected": [make_trigger(8, valid=False) for _ in range(5)],
        "new rejected": [make_trigger(6, valid=False)],
        "old processed": [make_trigger(91, valid=True, processed=True)],
        "new processed": [make_trigger(89, valid=True, processed=True)],
        "old unprocessed": [make_trigger(1000, valid=True)],
    }


def remaining() -> set[int]:
    return set(WebhookEventTrigger.objects.values_list("pk", flat=True))


def test_prune_deletes_expired_requests_in_batches(triggers):
    report = prune_webhook_triggers(batch_size=2)
    assert (report.rejected, report.processed) == (5, 1)
    assert remaining() == {
        *triggers["new rejected"],
        *triggers["new processed"],
        *triggers["old unprocessed"],
    }


def test_the_command_reports_and_dry_runs(triggers):
    out = StringIO()
    call_command("djstripe_prune_webhooks", "--dry-run", stdout=out)
    assert "Would delete 6 webhook request(s): 5 rejected (kept 7 days)" in (
        out.getvalue()
    )
    assert len(remaining()) == 9
    call_command("djstripe_prune_webhooks", "--batch-size", "3", stdout=out)
    assert "Deleted 6 webhook request(s)" in out.getvalue()
    assert set(triggers["old unprocessed"]) <= remaining()


@override_settings(
    DJSTRIPE_WEBHOOK_REJECTED_RETENTION_DAYS=None,
    DJSTRIPE_WEBHOOK_PROCESSED_RETENTION_DAYS=0.5,
)
def test_retention_follows_the_settings(triggers):
    report = prune_webhook_triggers()
    assert (report.rejected, report.processed) == (0, 2)
    assert set(triggers["old unprocessed"]) <= remaining()


@override_settings(TASKS=IMMEDIATE)
def test_the_task_prunes(triggers):
    result = prune_task.enqueue()
    assert result.return_value == "deleted 5 rejected, 1 processed"


@pytest.mark.parametrize(
    "name, value, error",
    [
        ("DJSTRIPE_WEBHOOK_REJECTED_RETENTION_DAYS", 0, "djstripe.E006"),
        ("DJSTRIPE_WEBHOOK_PROCESSED_RETENTION_DAYS", "30", "djstripe.E006"),
        ("DJSTRIPE_WEBHOOK_REJECTED_BODY_SIZE", -1, "djstripe.E005"),
    ],
)
def test_storage_settings_are_checked(settings, name, value, error):
    setattr(settings, name, value)
    assert error in [m.id for m in checks.check_webhook_settings()]


def test_default_storage_settings_pass_the_checks():
    ids = [m.id for m in checks.check_webhook_settings()]
    assert "djstripe.E005" not in ids and "djstripe.E006" not in ids
