"""Give every subscriber without a customer one, and mirror what Stripe holds
for it (dj-stripe's ``djstripe_sync_customers``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ._subscribers import subscribers_without_customer, sync_subscriber


class Command(BaseCommand):
    help = "Sync subscriber data with Stripe."

    def handle(self, *args: Any, **options: Any) -> None:
        subscribers = subscribers_without_customer()
        total = subscribers.count()
        failed = 0
        for count, subscriber in enumerate(subscribers.iterator(), start=1):
            percent = round(100 * count / total)
            self.stdout.write(
                f"[{count}/{total} {percent}%] Syncing {subscriber.email} "
                f"[{subscriber.pk}]"
            )
            try:
                sync_subscriber(subscriber)
            except Exception as exc:  # one subscriber's failure must not stop the rest
                failed += 1
                self.stderr.write(f"{subscriber.pk}: {type(exc).__name__}: {exc}")
        if failed:
            raise CommandError(f"{failed} of {total} subscriber(s) failed to sync.")
