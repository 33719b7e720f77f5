"""The admin's one background job: "Sync all" of a model's changelist.

A back-fill lists every object of a type from Stripe, page by page; that can
take minutes, so it runs as a Django task when the project configured a task
backend (``TASKS``), and inline (while the admin waits) otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings

if TYPE_CHECKING:
    from ..models.base import StripeModel

try:  # Django >= 6.0
    from django.tasks import task
except ImportError:  # Django 5.2: the backport
    from django_tasks import task  # type: ignore[no-redef]


@task()
def backfill_model(label: str) -> str:
    """Back-fill the model ``label`` (``"djstripe.Customer"``) from Stripe;
    return the back-fill's table."""
    from ..sync.backfill import backfill

    return backfill([apps.get_model(label)], gap_free=False).table()


def uses_tasks() -> bool:
    """Whether the project configured a Django Tasks backend."""
    return bool(getattr(settings, "TASKS", None))


def start_backfill(model: type[StripeModel]) -> tuple[bool, str]:
    """Start the back-fill of ``model``: ``(queued, what to tell the user)``."""
    label = model._meta.label
    if uses_tasks():
        result = backfill_model.enqueue(label)
        return True, f"queued as task {result.id}"
    from ..sync.backfill import backfill

    report = backfill([model], gap_free=False)
    stats = next(iter(report.types.values()), None)
    if stats is None:
        return False, "nothing to list"
    return False, (
        f"{stats.fetched} fetched, {stats.written} written, "
        f"{stats.unchanged} unchanged, {stats.errors} errors ({stats.status})"
    )
