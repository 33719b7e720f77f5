"""Admin actions: refresh rows from Stripe, replay webhook events.

Both write to the mirror, so both require the model's *change* permission
(``has_write_permission``), although the admin never edits a row by hand.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

import stripe
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.text import capfirst

from .. import stripe_api, sync
from ..exceptions import NotVerifiedError, ProcessingError
from ..settings import djstripe_settings
from . import display

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


#: Types Stripe serves only inside a list of their parent (no endpoint for one
#: object): object name → (relation to the parent, list sub-path). An invoice
#: line is re-read from ``GET /v1/invoices/{invoice}/lines``.
LISTED_UNDER_PARENT = {"line_item": ("invoice", "lines")}


def can_retrieve(model: Any) -> bool:
    """Whether Stripe has an endpoint that returns one object of ``model``
    (its own ``retrieve``, or a path under its parent), or a list of its
    parent's that holds it. A discount, for one, has neither."""
    if model.stripe_object_name in LISTED_UNDER_PARENT:
        return True
    if getattr(model, "stripe_nested_in", None):
        return True
    return callable(getattr(model.stripe_class, "retrieve", None))


def is_resyncable(model: type[models.Model]) -> bool:
    """Whether Stripe can return rows of ``model``: it mirrors a Stripe type
    Stripe can return, or it is the parent of models that do (a polymorphic
    family)."""
    return any(
        issubclass(m, model) and can_retrieve(m) for m in sync.registered().values()
    )


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
            source = model  # type: ignore[assignment]
        groups[(livemode, owner)].append((stripe_id, source))

    report = ResyncReport()
    fetched_by_owner: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    keys: dict[str | None, str] = {}
    for (livemode, owner), ids in groups.items():
        api_key = djstripe_settings.get_default_api_key(livemode)
        keys[owner] = api_key
        by_model: dict[Any, list[str]] = defaultdict(list)
        for stripe_id, source in ids:
            by_model[source].append(stripe_id)
        for source, source_ids in by_model.items():
            found, failed = _read(source, source_ids, api_key, owner)
            fetched_by_owner[owner] += found
            report.fetched += [data["id"] for data in found]
            report.failed += failed
    for owner, objects in fetched_by_owner.items():
        report.result.merge(
            sync.upsert(
                objects, api_key=keys[owner], stripe_account=owner, owner_account=owner
            )
        )
    return report


def _read(
    model: Any, ids: list[str], api_key: str, owner: str | None
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """``(objects read, [(id, why not)])``: each object through the endpoint
    Stripe documents for its type."""
    if not can_retrieve(model):
        return [], [
            (stripe_id, "Stripe has no endpoint to read it") for stripe_id in ids
        ]
    if model.stripe_object_name in LISTED_UNDER_PARENT:
        return _read_from_parent_lists(model, ids, api_key, owner)
    found, failed = [], []
    for stripe_id in ids:
        try:
            found.append(
                model.api_retrieve_data(
                    stripe_id, api_key=api_key, stripe_account=owner
                )
            )
        except (stripe.StripeError, LookupError) as error:
            failed.append((stripe_id, _error_text(error)))
    return found, failed


def _read_from_parent_lists(
    model: Any, ids: list[str], api_key: str, owner: str | None
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Read objects Stripe lists only under their parent: each parent's list
    once, paged, keeping the selected objects."""
    relation, sub_path = LISTED_UNDER_PARENT[model.stripe_object_name]
    field = model._meta.get_field(relation)
    parents = dict(
        model._base_manager.filter(id__in=ids).values_list("id", field.attname)
    )
    by_parent: dict[str, set[str]] = defaultdict(set)
    failed = []
    for stripe_id in ids:
        if parents.get(stripe_id):
            by_parent[parents[stripe_id]].add(stripe_id)
        else:
            failed.append((stripe_id, f"no {field.verbose_name} to read it through"))
    found = []
    parent_url = field.related_model.stripe_class_url()
    for parent_id, wanted in by_parent.items():
        try:
            for page in stripe_api.iter_pages(
                f"{parent_url}/{parent_id}/{sub_path}",
                api_key=api_key,
                stripe_account=owner,
            ):
                for data in page:
                    if data.get("id") in wanted:
                        data.setdefault(relation, parent_id)
                        found.append(data)
                        wanted.discard(data["id"])
        except stripe.StripeError as error:
            failed += [(stripe_id, _error_text(error)) for stripe_id in wanted]
            continue
        failed += [
            (stripe_id, f"not in the lines of {parent_id} any more")
            for stripe_id in wanted
        ]
    return found, failed


def _error_text(error: Exception) -> str:
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
    for obj, error in failed:  # type: ignore[misc]
        verb = (
            "Refused" if isinstance(error, NotVerifiedError) else "Could not re-process"  # type: ignore[misc]
        )
        modeladmin.message_user(
            request,
            f"{verb} {capfirst(str(obj))}: {error}",  # type: ignore[misc]
            messages.ERROR,
        )


# -- Actions that change objects in Stripe ----------------------------------------------

#: Session key of the confirmation tokens not used yet.
_TOKENS = "djstripe_admin_confirmations"
#: Most objects one confirmed action may change: each is a Stripe request
#: made while the admin waits.
WRITE_LIMIT = 100


@dataclass
class WriteReport:
    """What a confirmed action did, object by object."""

    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def confirmed(
    modeladmin: Any,
    request: HttpRequest,
    queryset: models.QuerySet[Any],
    *,
    title: str,
    form_class: type[forms.Form],
    apply: Any,
) -> TemplateResponse | None:
    """Run ``apply(obj, cleaned_data)`` on each selected object once a person
    confirmed it, then report what succeeded and what failed.

    The first POST (the action) answers with a confirmation page; its form
    carries a one-time token kept in the session, so that the same
    confirmation submitted twice (a double click, the back button) changes
    nothing the second time. Each object is changed through its model's
    method, which sends the request to Stripe (POSTs carry an idempotency
    key) and mirrors Stripe's answer.
    """
    opts = queryset.model._meta
    count = queryset.count()
    if count > WRITE_LIMIT:
        modeladmin.message_user(
            request,
            f"Select at most {WRITE_LIMIT} {opts.verbose_name_plural} at once "
            f"({count} selected).",
            messages.ERROR,
        )
        return None
    form = form_class(request.POST if "confirm" in request.POST else None)
    if not form.is_valid():
        token = uuid.uuid4().hex
        request.session[_TOKENS] = [*request.session.get(_TOKENS, [])[-20:], token]
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "opts": opts,
            "objects": [
                (obj, display.object_label(obj)) for obj in queryset[:WRITE_LIMIT]
            ],
            "form": form,
            "token": token,
            "action": request.POST.get("action", ""),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),  # type: ignore[attr-defined]
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,  # type: ignore[attr-defined]
        }
        return TemplateResponse(request, "admin/djstripe/confirm_action.html", context)
    tokens = request.session.get(_TOKENS, [])
    if form.cleaned_data["token"] not in tokens:
        modeladmin.message_user(
            request,
            "This confirmation was already used (or has expired): nothing was sent "
            "to Stripe. Select the objects and run the action again.",
            messages.WARNING,
        )
        return None
    tokens.remove(form.cleaned_data["token"])
    request.session[_TOKENS] = tokens
    report = WriteReport()
    for obj in queryset:
        try:
            apply(obj, form.cleaned_data)
        except (stripe.StripeError, ValueError, LookupError) as error:
            logger.warning("%s failed for %s", title, obj.id, exc_info=True)
            report.failed.append((obj.id, _error_text(error)))
        else:
            report.done.append(obj.id)
    _report(modeladmin, request, title, report)
    return None


def _report(
    modeladmin: Any, request: HttpRequest, title: str, report: WriteReport
) -> None:
    if report.done:
        modeladmin.message_user(
            request,
            f"{title}: done for {len(report.done)} ({', '.join(report.done)}).",
            messages.SUCCESS,
        )
    for stripe_id, error in report.failed:
        modeladmin.message_user(
            request, f"Could not {title.lower()} {stripe_id}: {error}", messages.ERROR
        )


class _ConfirmForm(forms.Form):
    confirm = forms.CharField(widget=forms.HiddenInput, initial="yes")
    token = forms.CharField(widget=forms.HiddenInput)


class CancelSubscriptionsForm(_ConfirmForm):
    when = forms.ChoiceField(
        choices=(
            ("now", "Now: the subscription ends at once"),
            ("period_end", "At the end of the current period"),
        ),
        widget=forms.RadioSelect,
        initial="period_end",
    )


class RefundChargesForm(_ConfirmForm):
    reason = forms.ChoiceField(
        choices=(
            ("requested_by_customer", "Requested by the customer"),
            ("duplicate", "Duplicate"),
            ("fraudulent", "Fraudulent"),
        ),
        help_text="Each charge is refunded in full (what is left of it).",
    )


@admin.action(
    description="Cancel selected subscriptions in Stripe…", permissions=["cancel"]
)
def cancel_subscriptions(
    modeladmin: Any, request: HttpRequest, queryset: models.QuerySet[Any]
) -> TemplateResponse | None:
    return confirmed(
        modeladmin,
        request,
        queryset,
        title="Cancel subscriptions",
        form_class=CancelSubscriptionsForm,
        apply=lambda sub, data: sub.cancel(at_period_end=data["when"] == "period_end"),
    )


@admin.action(description="Refund selected charges in Stripe…", permissions=["refund"])
def refund_charges(
    modeladmin: Any, request: HttpRequest, queryset: models.QuerySet[Any]
) -> TemplateResponse | None:
    return confirmed(
        modeladmin,
        request,
        queryset,
        title="Refund charges",
        form_class=RefundChargesForm,
        apply=lambda charge, data: charge.refund(reason=data["reason"]),
    )
