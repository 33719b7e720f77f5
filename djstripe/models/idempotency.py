"""``IdempotencyKey``: dj-stripe's record of the keys its writes used."""

from __future__ import annotations

import datetime
import uuid

from django.db import models
from django.utils import timezone

#: How long Stripe remembers an idempotency key.
IDEMPOTENCY_KEY_LIFETIME = datetime.timedelta(hours=24)


class IdempotencyKey(models.Model):
    """A key a write to Stripe was sent with, per action and mode.

    Sending the same key again within 24 hours makes Stripe answer with the
    first result instead of acting twice; dj-stripe keeps the keys so a
    retried ``Customer.get_or_create`` does not create a second customer.
    ``djstripe_clear_expired_idempotency_keys`` removes the expired ones.
    """

    uuid = models.UUIDField(primary_key=True, editable=False, default=uuid.uuid4)
    action = models.CharField(max_length=100)
    livemode = models.BooleanField(
        help_text="Whether the key was used in live or test mode."
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        unique_together = ("action", "livemode")

    def __str__(self) -> str:
        return str(self.uuid)

    @classmethod
    def key_for(cls, object_type: str, action: str, livemode: bool) -> str:
        """The key for ``"<object_type>:<action>"`` in this mode, the same
        one on every call until the row is deleted (dj-stripe's
        ``get_idempotency_key``)."""
        key, _ = cls.objects.get_or_create(
            action=f"{object_type}:{action}", livemode=bool(livemode)
        )
        return str(key.uuid)

    @property
    def is_expired(self) -> bool:
        """Whether Stripe has forgotten the key (24 hours after its use)."""
        return timezone.now() > self.created + IDEMPOTENCY_KEY_LIFETIME
