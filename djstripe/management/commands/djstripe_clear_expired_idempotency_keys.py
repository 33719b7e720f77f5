"""Delete the idempotency keys older than 24 hours, which Stripe no longer
honours (dj-stripe's ``djstripe_clear_expired_idempotency_keys``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...utils import clear_expired_idempotency_keys


class Command(BaseCommand):
    help = "Delete expired Stripe idempotency keys."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = clear_expired_idempotency_keys()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
