"""Webhook endpoints (mirrored from Stripe) and the raw requests they receive."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import stripe
from django.db import models

from .._text import clean_json
from ..fields import StripeCharField, StripeEnumField, StripeForeignKey, StripeJSONField
from ..properties import StripeProperty
from ..settings import djstripe_settings
from .base import StripeModel

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..webhooks.processing import Outcome


def _default_tolerance() -> int:
    return djstripe_settings.WEBHOOK_TOLERANCE


def mask_secret(secret: str) -> str:
    """``whsec_…abcd``: enough to tell secrets apart, not to use one."""
    if not secret:
        return ""
    prefix = secret.split("_", 1)[0] + "_" if "_" in secret else ""
    return f"{prefix}…{secret[-4:]}" if len(secret) > len(prefix) + 8 else f"{prefix}…"


class WebhookEndpoint(StripeModel):
    """A URL Stripe sends events to, with the secret that signs them.

    Each row is served at its own URL, ``webhook/<djstripe_uuid>/`` (see
    ``djstripe.urls``), verified with its own ``secret`` and ``tolerance``.
    Those three are local: Stripe reveals the secret only in the response that
    creates the endpoint, so mirror writes never overwrite them.

    Stripe documentation: https://stripe.com/docs/api/webhook_endpoints?lang=python
    """

    stripe_class = stripe.WebhookEndpoint
    stripe_dashboard_item_name = "webhooks"
    stripe_local_fields = ("secret", "tolerance", "djstripe_uuid")

    api_version = StripeCharField(
        max_length=64,
        help_text="The API version events are rendered with (empty: the account's).",
    )
    enabled_events = StripeJSONField(help_text="The event types sent to this endpoint.")
    status = StripeEnumField(
        enum=("enabled", "disabled"), help_text="enabled or disabled."
    )
    url = StripeCharField(max_length=2048, help_text="The URL Stripe posts events to.")
    secret = models.CharField(
        max_length=256,
        blank=True,
        default="",
        editable=False,
        help_text="The signing secret (whsec_...). Never shown in full.",
    )
    tolerance = models.PositiveIntegerField(
        default=_default_tolerance,
        help_text="Seconds a signature's timestamp may be off, in the past or the future.",
    )
    djstripe_uuid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="The token in this endpoint's local URL (webhook/<uuid>/).",
    )

    application = StripeProperty(
        "The Connect application that owns the endpoint, if any."
    )

    def __str__(self) -> str:
        return self.url or super().__str__()

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id or '(unsaved)'} {self.url} secret={self.secret_hint}>"

    @classmethod
    def create_for_site(
        cls,
        base_url: str,
        enabled_events: list[str] | tuple[str, ...] = ("*",),
        *,
        api_key: str | None = None,
        stripe_account: str | None = None,
        **params: Any,
    ) -> WebhookEndpoint:
        """Create an endpoint in Stripe that posts to this site, and mirror it.

        The endpoint's URL is ``base_url`` plus this row's own
        ``webhook/<uuid>/`` path (from ``djstripe.urls``), so the token is
        chosen first; Stripe's answer, the only one that carries the signing
        secret, is then stored with it.

        :param base_url: the site's public origin, e.g. ``https://shop.example``.
        """
        from django.urls import reverse

        token = uuid.uuid4()
        path = reverse("djstripe:webhook_by_uuid", kwargs={"uuid": token})
        data = cls._api_create(
            api_key=api_key,
            stripe_account=stripe_account,
            url=base_url.rstrip("/") + path,
            enabled_events=list(enabled_events),
            **params,
        )
        endpoint = cls.sync_from_stripe_data(data, api_key=api_key)
        cls._base_manager.filter(pk=endpoint.pk).update(djstripe_uuid=token)
        endpoint.djstripe_uuid = token
        return endpoint

    @property
    def secret_hint(self) -> str:
        """The secret, masked (``whsec_…abcd``)."""
        return mask_secret(self.secret)

    @classmethod
    def stripe_extra_values(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Keep the secret out of ``stripe_data``; store it in its column.

        Stripe includes ``secret`` only when the endpoint is created. Being a
        local field, the column is written when the row is inserted and never
        overwritten by later mirror writes (which lack the secret anyway).
        """
        if "secret" not in data:
            return {}
        public = {k: v for k, v in data.items() if k != "secret"}
        return {"secret": data["secret"] or "", "stripe_data": public}


class WebhookEventTrigger(models.Model):
    """One request received at a webhook URL, kept whatever became of it.

    The row is written before anything else happens, so that every delivery,
    valid or not, processed or failed, can be inspected and replayed
    (``manage.py djstripe_process_events --failed``).
    """

    id = models.BigAutoField(primary_key=True)
    remote_ip = models.GenericIPAddressField(
        null=True, blank=True, help_text="The address the request came from."
    )
    headers = models.JSONField(
        default=dict, help_text="Request headers (no Cookie, no Authorization)."
    )
    body = models.TextField(blank=True, help_text="The raw request body.")
    webhook_endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="triggers",
        help_text="The endpoint whose URL received the request (none: the settings URL).",
    )
    valid = models.BooleanField(
        default=False, help_text="Whether the signature and body checked out."
    )
    processed = models.BooleanField(
        default=False, help_text="Whether the event was applied."
    )
    attempts = models.PositiveIntegerField(
        default=0, help_text="Processing attempts so far."
    )
    exception = models.CharField(
        max_length=2048, blank=True, help_text="Why it was rejected or failed."
    )
    traceback = models.TextField(
        blank=True, help_text="Traceback of the processing failure."
    )
    event = StripeForeignKey(
        "djstripe.Event",
        on_delete=models.SET_NULL,
        related_name="webhook_triggers",
        help_text="The event the request carried (by Stripe id).",
    )
    event_type = models.CharField(max_length=250, blank=True, db_index=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        get_latest_by = "created"
        ordering = ["created", "id"]
        indexes = [
            # What a drain claims (djstripe.webhooks.drain), oldest first:
            # only the few rows still waiting are indexed.
            models.Index(
                fields=["created", "id"],
                condition=models.Q(valid=True, processed=False, attempts=0),
                name="djstripe_trigger_waiting",
            ),
            # What pruning selects (djstripe.webhooks.retention).
            models.Index(fields=["updated"], name="djstripe_trigger_updated"),
        ]

    def __str__(self) -> str:
        state = (
            "processed" if self.processed else ("valid" if self.valid else "invalid")
        )
        return f"webhook {self.id} {self.event_type or '?'} ({state})"

    @property
    def json_body(self) -> Any:
        """The body decoded as JSON (``None`` if it is not JSON), with text no
        database can store replaced (see :mod:`djstripe._text`)."""
        try:
            return clean_json(json.loads(self.body), self.body)
        except (ValueError, RecursionError):
            return None

    @property
    def is_test_event(self) -> bool:
        """Whether the event is a test-mode one."""
        body = self.json_body
        return isinstance(body, dict) and body.get("livemode") is False

    @property
    def failed(self) -> bool:
        """Valid but not processed, with an error recorded."""
        return self.valid and not self.processed and bool(self.exception)

    @classmethod
    def from_request(
        cls, request: HttpRequest, webhook_endpoint: WebhookEndpoint | None = None
    ) -> WebhookEventTrigger | None:
        """dj-stripe's entry point: store, verify and process a webhook
        request (see :func:`djstripe.webhooks.ingest.handle_request`); return
        the stored trigger, or ``None`` if the database could not store it."""
        from ..views_compat import receive

        endpoint_uuid = webhook_endpoint.djstripe_uuid if webhook_endpoint else None
        trigger, _response = receive(request, endpoint_uuid)
        return trigger

    def validate(self, api_key: str | None = None) -> bool:
        """Check the stored request again: its ``Stripe-Signature`` against the
        secret of its endpoint (or the settings), as of when it arrived, and its
        body's shape. Sets and returns :attr:`valid` (not saved)."""
        from django.utils import timezone

        from ..webhooks.processing import InvalidEvent, parse_event
        from ..webhooks.signature import SignatureVerificationError, verify

        endpoint = self.webhook_endpoint
        if endpoint is not None:
            secrets, tolerance = [endpoint.secret], endpoint.tolerance
        else:
            secrets = djstripe_settings.WEBHOOK_SECRETS
            tolerance = djstripe_settings.WEBHOOK_TOLERANCE
        header = next(
            (v for k, v in self.headers.items() if k.lower() == "stripe-signature"),
            None,
        )
        received = (self.created or timezone.now()).timestamp()
        try:
            verify(self.body.encode(), header, secrets, tolerance, now=received)
            parse_event(self.body)
        except (SignatureVerificationError, InvalidEvent):
            self.valid = False
        else:
            self.valid = any(secrets)
        return self.valid

    def process(
        self, save: bool = True, api_key: str | None = None, *, force: bool = False
    ) -> Outcome:
        """(Re)process the stored event now and return what that did.

        Raises :class:`~djstripe.exceptions.NotVerifiedError` if the request
        failed verification (it is never processed), and
        :class:`~djstripe.exceptions.ProcessingError` if processing failed (the
        failure is recorded on this row first). ``force`` runs the handlers
        again for an event that was already processed.

        dj-stripe's call forms are accepted: ``save=False`` sets the outcome
        on this row without saving it; ``api_key`` is the key to read Stripe
        with (default: the settings' key for the event's mode).
        """
        from ..webhooks.processing import process_trigger

        return process_trigger(self, force=force, api_key=api_key, save=save)


class QueuedDrain(models.Model):
    """A drain of stored webhook requests is queued and has not started
    (a single row, named ``webhooks``).

    In task mode with ``DJSTRIPE_WEBHOOK_BATCH_SIZE`` above 1, the view queues
    a drain task only when it is the one that inserts this single row (see
    :func:`djstripe.webhooks.drain.want_drain`), and the drain deletes it
    before it claims anything: a burst of requests queues one task, and a
    request stored after the deletion queues the next. ``queued`` tells how
    long the task has waited for a worker.
    """

    name = models.CharField(
        max_length=100, unique=True, help_text="What is drained: 'webhooks'."
    )
    queued = models.DateTimeField(help_text="When the drain task was queued.")

    class Meta:
        verbose_name = "queued webhook drain"

    def __str__(self) -> str:
        return f"{self.name} drain queued at {self.queued:%Y-%m-%d %H:%M:%S}"
