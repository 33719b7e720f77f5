"""How long stored webhook requests are kept, and the pruning that enforces it.

Requests that failed verification are kept
``DJSTRIPE_WEBHOOK_REJECTED_RETENTION_DAYS`` (default 7) after they arrived;
processed ones ``DJSTRIPE_WEBHOOK_PROCESSED_RETENTION_DAYS`` (default 90)
after they were processed. A verified request that is not processed yet is
never pruned, however old: it is an event that still has to be applied.

Rows are deleted in small batches, each its own short transaction, so that
pruning can run while events arrive (new rows are never old enough to be
selected) and never holds many locks at once. It also folds the mirror
engine's confirmations of unchanged objects into their rows. Run it from
``manage.py djstripe_prune_webhooks``, or periodically with the task
:data:`djstripe.tasks.prune_webhook_triggers`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from ..settings import djstripe_settings
from ..sync import fold_confirmations

#: Rows deleted per statement.
BATCH_SIZE = 1000


@dataclass
class PruneReport:
    """How many stored requests :func:`prune_webhook_triggers` deleted."""

    rejected: int = 0
    processed: int = 0
    #: Confirmations folded into their rows' stamps (see
    #: :func:`djstripe.sync.fold_confirmations`).
    confirmations: int = 0

    @property
    def total(self) -> int:
        return self.rejected + self.processed


def expired(now: datetime.datetime | None = None) -> dict[str, Q]:
    """The condition each kind of expired request meets, by kind."""
    now = now or timezone.now()
    conditions = {}
    rejected_days = djstripe_settings.WEBHOOK_REJECTED_RETENTION_DAYS
    if rejected_days is not None:
        cutoff = now - datetime.timedelta(days=rejected_days)
        conditions["rejected"] = Q(valid=False, created__lt=cutoff)
    processed_days = djstripe_settings.WEBHOOK_PROCESSED_RETENTION_DAYS
    if processed_days is not None:
        cutoff = now - datetime.timedelta(days=processed_days)
        conditions["processed"] = Q(valid=True, processed=True, updated__lt=cutoff)
    return conditions


def prune_webhook_triggers(
    now: datetime.datetime | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
) -> PruneReport:
    """Delete the stored webhook requests older than their retention.

    ``dry_run`` counts them instead. Returns how many of each kind.
    """
    from djstripe.models import WebhookEventTrigger

    report = PruneReport()
    for kind, condition in expired(now).items():
        rows = WebhookEventTrigger.objects.filter(condition)
        if dry_run:
            setattr(report, kind, rows.count())
            continue
        while True:
            batch = list(rows.order_by("pk").values_list("pk", flat=True)[:batch_size])
            if batch:
                # The condition again: a row is deleted only if it still meets it.
                deleted, _ = rows.filter(pk__in=batch).delete()
                setattr(report, kind, getattr(report, kind) + deleted)
            if len(batch) < batch_size:
                break
    if not dry_run:
        # The engine's record of unchanged copies grows with the events; it
        # is bounded here, where the events' own storage is.
        report.confirmations = fold_confirmations()
    return report
