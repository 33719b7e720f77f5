"""Delete stored webhook requests older than their retention (see docs/security.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...settings import djstripe_settings
from ...webhooks.retention import BATCH_SIZE, prune_webhook_triggers


class Command(BaseCommand):
    help = (
        "Delete stored webhook requests past their retention: rejected ones after "
        "DJSTRIPE_WEBHOOK_REJECTED_RETENTION_DAYS, processed ones after "
        "DJSTRIPE_WEBHOOK_PROCESSED_RETENTION_DAYS. Verified requests not yet "
        "processed are never deleted. Safe to run while events arrive."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Rows deleted per statement (default {BATCH_SIZE}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count, do not delete."
        )

    def handle(
        self, *args: Any, batch_size: int, dry_run: bool, **options: Any
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        report = prune_webhook_triggers(batch_size=batch_size, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {report.total} webhook request(s): {report.rejected} rejected "
            f"(kept {_days(djstripe_settings.WEBHOOK_REJECTED_RETENTION_DAYS)}), "
            f"{report.processed} processed "
            f"(kept {_days(djstripe_settings.WEBHOOK_PROCESSED_RETENTION_DAYS)})."
        )
        if report.confirmations:
            self.stdout.write(
                f"Folded {report.confirmations} confirmation(s) of unchanged "
                "objects into their rows."
            )


def _days(value: float | None) -> str:
    return "forever" if value is None else f"{value:g} days"
