"""Delete the idempotency keys older than 24 hours, which Stripe no longer
honours (dj-stripe's ``djstripe_clear_expired_idempotency_keys``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...utils import clear_expired_idempotency_keys


class Command(BaseCommand):
    help = "Delete expired Stripe idempotency keys."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            deleted = clear_expired_idempotency_keys()
        except LookupError:
            self.stderr.write(
                "This djstripe has no IdempotencyKey model, so there are no stored "
                "keys to clear (djstripe sends a fresh key with each write)."
            )
            return
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
