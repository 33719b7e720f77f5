"""Checking the mirror against Stripe without writing anything.

:func:`verify` lists each type as a back-fill would and compares: which
objects Stripe has that the mirror lacks, which mirrored rows Stripe no
longer lists, and, field by field, how each object's stored ``stripe_data``
differs from what Stripe returns (normalised the way the engine stores it,
with :func:`djstripe.sync.normalize`). A difference is not necessarily an
error: an object may have changed since it was mirrored and its webhook may
still be on its way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import stripe

from .. import stripe_api
from ..fields import timestamp_to_datetime
from ..settings import djstripe_settings, key_is_live
from . import engine
from .backfill import complete_sublists, is_listable, list_params, listable_models

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from djstripe.models.base import StripeModel

#: Differing objects listed per type (all are counted).
EXAMPLES = 10


@dataclass
class TypeDrift:
    """How the mirror of one type differs from Stripe."""

    name: str
    in_stripe: int = 0
    in_mirror: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    different: dict[str, list[str]] = field(default_factory=dict)
    skipped: str = ""

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.different)


@dataclass
class VerifyReport:
    types: dict[str, TypeDrift] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return all(drift.clean for drift in self.types.values())

    def table(self) -> str:
        header = (
            f"{'type':<24} {'stripe':>8} {'mirror':>8} {'missing':>8} "
            f"{'extra':>8} {'differ':>8}"
        )
        lines = [header, "-" * len(header)]
        for d in self.types.values():
            if d.skipped:
                lines.append(f"{d.name:<24} skipped: {d.skipped}")
                continue
            lines.append(
                f"{d.name:<24} {d.in_stripe:>8,} {d.in_mirror:>8,} "
                f"{len(d.missing):>8,} {len(d.extra):>8,} {len(d.different):>8,}"
            )
        for d in self.types.values():
            for label, ids in (("missing", d.missing), ("extra", d.extra)):
                if ids:
                    shown = ", ".join(ids[:EXAMPLES])
                    more = f" (+{len(ids) - EXAMPLES})" if len(ids) > EXAMPLES else ""
                    lines.append(f"  {d.name} {label}: {shown}{more}")
            for stripe_id, fields in list(d.different.items())[:EXAMPLES]:
                lines.append(f"  {d.name} {stripe_id} differs in: {', '.join(fields)}")
        return "\n".join(lines)


def differing_fields(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Top-level keys whose values differ (dotted one level into objects)."""
    fields: list[str] = []
    for key in sorted(stored.keys() | current.keys()):
        old, new = stored.get(key), current.get(key)
        if old == new:
            continue
        if (
            isinstance(old, dict)
            and isinstance(new, dict)
            and old.get("object") is None
        ):
            fields.extend(f"{key}.{sub}" for sub in differing_fields(old, new))
        else:
            fields.append(key)
    return fields


def verify(
    models: Sequence[type[StripeModel]] | None = None,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
    since: int | None = None,
    until: int | None = None,
) -> VerifyReport:
    """Compare the mirror of ``models`` with Stripe; write nothing."""
    api_key = api_key or djstripe_settings.STRIPE_SECRET_KEY
    report = VerifyReport()
    if models is None:  # lists under a parent are not verified (yet)
        models = [m for m in listable_models() if is_listable(m)]
    for model in models:
        drift = report.types[model.__name__] = TypeDrift(model.__name__)
        try:
            _verify_type(model, drift, api_key, stripe_account, since, until)
        except stripe.PermissionError as exc:
            drift.skipped = f"the key may not read it ({exc.http_status})"
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise
            drift.skipped = "not available to this account (404)"
    return report


def _verify_type(
    model: type[StripeModel],
    drift: TypeDrift,
    api_key: str,
    stripe_account: str | None,
    since: int | None,
    until: int | None,
) -> None:
    params = list_params(model, gte=since, lt=until)
    seen: set[str] = set()
    for page in stripe_api.iter_pages(
        model.stripe_class_url(), params, api_key=api_key, stripe_account=stripe_account
    ):
        complete_sublists(
            page,
            expand_fields=model.expand_fields,
            api_key=api_key,
            stripe_account=stripe_account,
        )
        ids = [obj["id"] for obj in page]
        stored = dict(
            model._base_manager.filter(id__in=ids).values_list("id", "stripe_data")
        )
        for obj in page:
            seen.add(obj["id"])
            if obj["id"] not in stored:
                drift.missing.append(obj["id"])
                continue
            fields = differing_fields(stored[obj["id"]], engine.normalize(model, obj))
            if fields:
                drift.different[obj["id"]] = fields
    drift.in_stripe = len(seen)
    rows = _mirror_rows(model, api_key, stripe_account, since, until)
    mirrored = set(rows.values_list("id", flat=True))
    drift.in_mirror = len(mirrored)
    drift.extra = sorted(mirrored - seen)


def _mirror_rows(
    model: type[StripeModel],
    api_key: str,
    stripe_account: str | None,
    since: int | None,
    until: int | None,
) -> QuerySet[Any]:
    rows = model._base_manager.filter(livemode=key_is_live(api_key))
    if model.stripe_soft_delete_field:
        rows = rows.filter(**{f"{model.stripe_soft_delete_field}__isnull": True})
    if stripe_account:
        rows = rows.filter(djstripe_owner_account_id=stripe_account)  # type: ignore[misc]
    if since is not None:
        rows = rows.filter(created__gte=timestamp_to_datetime(since))
    if until is not None:
        rows = rows.filter(created__lt=timestamp_to_datetime(until))
    return rows
