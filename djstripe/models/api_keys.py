"""Stripe API keys kept in the database, beside those in the settings."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

import stripe
from django.db import models

from .. import stripe_api
from ..fields import StripeEnumField
from ..settings import KEY_PREFIXES, djstripe_settings, key_kind
from .base import StripeModel

if TYPE_CHECKING:
    from .connect import Account

logger = logging.getLogger("djstripe")


def redact(secret: str) -> str:
    """``sk_test_...abcd``: enough to recognise a key, never enough to use it."""
    prefix = secret[:8] if secret[:8] in KEY_PREFIXES else ""
    return f"{prefix}...{secret[-4:]}"


class APIKeyQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def secret(self, livemode: bool) -> APIKeyQuerySet:
        return self.filter(type__in=("secret", "restricted"), livemode=livemode)


class APIKey(StripeModel):
    """A Stripe API key stored in the database.

    Stripe does not expose keys through its API, so these rows are entered by
    people (the admin) and are not mirrored. Type and mode come from the key's
    prefix; ``id`` is derived from the key so it never leaks into URLs.
    """

    type = StripeEnumField(enum=("publishable", "secret", "restricted"))
    name = models.CharField(max_length=100, blank=True, default="")
    secret = models.CharField(max_length=255, unique=True)

    objects = APIKeyQuerySet.as_manager()  # type: ignore[misc, assignment]

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        label = redact(self.secret)
        return f"{self.name} ({label})" if self.name else label

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Store the key; a new secret key also learns (and mirrors) the
        account it belongs to, so that objects read with it are owned by it.
        If Stripe cannot be reached the key is stored all the same."""
        self.type, self.livemode = key_kind(self.secret)
        if not self.id:
            digest = hashlib.sha256(self.secret.encode()).hexdigest()[:24]
            self.id = f"djstripe_key_{digest}"
        if not self.djstripe_owner_account_id and self.type != "publishable":
            try:
                self.refresh_owner_account()
            except stripe.StripeError as exc:
                logger.warning("Could not read the account of %s: %s", self, exc)
        super().save(*args, **kwargs)

    def refresh_owner_account(self) -> Account:
        """Read the account this key belongs to (``GET /v1/account``), mirror
        it, and point ``djstripe_owner_account`` at it."""
        from .connect import Account

        data = stripe_api.request("get", "/v1/account", api_key=self.secret)
        account = Account.sync_from_stripe_data(data, api_key=self.secret)
        self.djstripe_owner_account_id = account.id
        return account

    @classmethod
    def get_default_secret(cls, livemode: bool | None = None) -> str:
        """The secret key for ``livemode``: the settings' if configured, else the
        most recent one stored here (empty if none)."""
        if livemode is None:
            livemode = djstripe_settings.STRIPE_LIVE_MODE
        configured = djstripe_settings.get_default_api_key(livemode)
        if configured:
            return configured
        stored = cls.objects.secret(livemode).order_by("-djstripe_created").first()
        return stored.secret if stored else ""
