"""Create a Stripe customer for every subscriber that has none (dj-stripe's
``djstripe_init_customers``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ._subscribers import subscribers_without_customer, sync_subscriber


class Command(BaseCommand):
    help = "Create customer objects for existing subscribers that don't have one."

    def handle(self, *args: Any, **options: Any) -> None:
        subscribers = subscribers_without_customer()
        if not subscribers.exists():
            self.stdout.write("All subscribers already have a customer.")
            return
        failed = 0
        for subscriber in subscribers.iterator():
            try:
                customer = sync_subscriber(subscriber, related=False)
            except Exception as exc:  # one subscriber's failure must not stop the rest
                failed += 1
                self.stderr.write(f"{subscriber.pk}: {type(exc).__name__}: {exc}")
                continue
            self.stdout.write(f"Created customer {customer.id} for {subscriber.email}")
        if failed:
            raise CommandError(f"{failed} subscriber(s) could not get a customer.")
