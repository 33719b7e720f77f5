"""Admin actions: refresh rows from Stripe, replay webhook events.

Both write to the mirror, so both require the model's *change* permission
(``has_write_permission``), although the admin never edits a row by hand.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

import stripe
from django.apps import apps
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.text import capfirst

from .. import sync
from ..exceptions import NotVerifiedError, ProcessingError
from ..settings import djstripe_settings

logger = logging.getLogger("djstripe.admin")

#: Most rows one re-sync may fetch: each costs a Stripe request, made while the
#: admin waits. Larger back-fills belong to ``djstripe_sync_models``.
RESYNC_LIMIT = 500


@dataclass
class ResyncReport:
    """What :func:`resync` did."""

    fetched: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    result: sync.UpsertResult = field(default_factory=sync.UpsertResult)


def is_resyncable(model: type[models.Model]) -> bool:
    """Whether Stripe can return rows of ``model``: it mirrors a Stripe type,
    or it is the parent of models that do (a polymorphic family)."""
    return any(issubclass(m, model) for m in sync.registered().values())


def resync(model: type[models.Model], queryset: models.QuerySet[Any]) -> ResyncReport:
    """Fetch the selected objects from Stripe and write them with one upsert.

    Each object is read through the model of its own Stripe type (so a
    polymorphic parent's rows are read as cards, bank accounts...). Objects
    are grouped by the account that owns them: each group is read with the
    right key and ``Stripe-Account`` and written as one batch (in practice
    one group, the platform account). A failed read is reported and does not
    stop the others.
    """
    rows = queryset.order_by().values_list(
        "id", "livemode", "djstripe_owner_account_id", "stripe_data__object"
    )
    groups: dict[tuple[bool | None, str | None], list[tuple[str, Any]]] = defaultdict(
        list
    )
    for stripe_id, livemode, owner, object_name in rows:
        source = sync.model_for(object_name) if object_name else None
        if (
            source is None
            or not issubclass(source, model)
            and not issubclass(model, source)
        ):
            source = model
        groups[(livemode, owner)].append((stripe_id, source))

    report = ResyncReport()
    fetched_by_owner: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    keys: dict[str | None, str] = {}
    for (livemode, owner), ids in groups.items():
        api_key = djstripe_settings.get_default_api_key(livemode)
        keys[owner] = api_key
        for stripe_id, source in ids:
            if source.stripe_class is None:
                report.failed.append((stripe_id, "not an object Stripe can return"))
                continue
            try:
                data = source.api_retrieve_data(
                    stripe_id, api_key=api_key, stripe_account=owner
                )
            except stripe.StripeError as error:
                report.failed.append((stripe_id, _error_text(error)))
                continue
            fetched_by_owner[owner].append(data)
            report.fetched.append(stripe_id)
    for owner, objects in fetched_by_owner.items():
        report.result.merge(
            sync.upsert(
                objects, api_key=keys[owner], stripe_account=owner, owner_account=owner
            )
        )
    return report


def _error_text(error: stripe.StripeError) -> str:
    return getattr(error, "user_message", None) or str(error) or type(error).__name__


@admin.action(
    description="Re-sync selected %(verbose_name_plural)s from Stripe",
    permissions=["write"],
)
def resync_from_stripe(
    modeladmin: Any, request: HttpRequest, queryset: models.QuerySet[Any]
) -> None:
    model = queryset.model
    opts = model._meta
    count = queryset.count()
    if count > RESYNC_LIMIT:
        modeladmin.message_user(
            request,
            f"Select at most {RESYNC_LIMIT} {opts.verbose_name_plural} to re-sync at once "
            f"({count} selected); use the djstripe_sync_models command for more.",
            messages.ERROR,
        )
        return
    report = resync(model, queryset)
    if report.fetched:
        # Count the selected objects only, not the nested ones written with them.
        written = set(report.result.written_ids.get(opts.label, ()))
        updated = sum(1 for stripe_id in report.fetched if stripe_id in written)
        name = (
            opts.verbose_name if len(report.fetched) == 1 else opts.verbose_name_plural
        )
        modeladmin.message_user(
            request,
            f"Re-synced {len(report.fetched)} {name} from Stripe: {updated} updated, "
            f"{len(report.fetched) - updated} unchanged.",
            messages.SUCCESS,
        )
    for stripe_id, error in report.failed:
        modeladmin.message_user(
            request,
            f"Could not re-sync {stripe_id} from Stripe: {error}",
            messages.ERROR,
        )


def reprocess_one(obj: models.Model) -> str:
    """Run the webhook processing of an Event row or a webhook trigger again,
    and say what became of it: ``"processed"`` or ``"already processed"``.

    Raises :class:`~djstripe.exceptions.ProcessingError` on failure
    (:class:`~djstripe.exceptions.NotVerifiedError` for a request that failed
    verification: only the request's own ``process()`` ever reads its body).
    """
    event_model = apps.get_model("djstripe", "Event")
    if isinstance(obj, event_model):
        event_model.process(obj.stripe_data)
        return "processed"
    outcome = cast(Any, obj).process()
    return "processed" if outcome.new else "already processed"


@admin.action(
    description="Re-process selected %(verbose_name_plural)s", permissions=["write"]
)
def reprocess(
    modeladmin: Any, request: HttpRequest, queryset: models.QuerySet[Any]
) -> None:
    """Re-process each selected row and report each outcome for what it is:
    applied, already applied (nothing new), refused (not verified), failed."""
    counts = {"processed": 0, "already processed": 0}
    failed = []
    for obj in queryset:
        try:
            counts[reprocess_one(obj)] += 1
        except ProcessingError as error:  # report every failure, keep going
            logger.warning("Re-processing %r failed: %s", obj, error)
            failed.append((obj, error))
    name = queryset.model._meta.verbose_name_plural
    if counts["processed"]:
        modeladmin.message_user(
            request, f"Re-processed {counts['processed']} {name}.", messages.SUCCESS
        )
    if counts["already processed"]:
        modeladmin.message_user(
            request,
            f"{counts['already processed']} {name} already processed: "
            "nothing new was applied.",
            messages.INFO,
        )
    for obj, error in failed:
        verb = (
            "Refused" if isinstance(error, NotVerifiedError) else "Could not re-process"
        )
        modeladmin.message_user(
            request, f"{verb} {capfirst(str(obj))}: {error}", messages.ERROR
        )
