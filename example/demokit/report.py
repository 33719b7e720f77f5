"""The demo's closing summary: what is mirrored, how fast, and whether it is right.

"Right" means each mirrored row's ``stripe_data`` equals the fake's current
object as the engine would store it (``djstripe.sync.normalize``: expanded
relations collapsed to ids), every object of a mirrored type in the fake has
a row, and no row exists that the fake does not have.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from djstripe import sync
from djstripe.testing import FakeStripe

#: Fields that change in Stripe without an event, so that no webhook can
#: bring them: an event's ``pending_webhooks`` drops as deliveries succeed
#: (after djstripe stored the event, which it treats as immutable), and a
#: customer's ``next_invoice_sequence`` grows with each new invoice.  A sync
#: (``djstripe_sync_models``) reads them; the comparison ignores them.
VOLATILE_FIELDS = {
    "event": {"pending_webhooks"},
    "customer": {"next_invoice_sequence"},
}

#: Types whose missing rows are not mismatches: events that happened before
#: the webhook endpoint existed reach the mirror only through a sync of the
#: Events API, which the demo's back-fill may not include.
OPTIONAL_ROWS = {"event"}


@dataclass
class Comparison:
    compared: int = 0
    mismatches: list[str] = field(default_factory=list)
    not_mirrored: dict[str, int] = field(default_factory=dict)


def rows_per_model() -> list[tuple[str, int]]:
    """(model name, row count) for every model of the djstripe app."""
    from django.apps import apps

    return [
        (model.__name__, model._base_manager.count())
        for model in sorted(
            apps.get_app_config("djstripe").get_models(), key=lambda m: m.__name__
        )
    ]


def compare(fake: FakeStripe) -> Comparison:
    """Compare every mirrored type's rows with the fake's objects."""
    result = Comparison()
    for object_name, model in sorted(sync.registered().items()):
        if model.stripe_object_name != object_name:
            continue  # an alias (a legacy object name) of another entry
        ours = dict(model._base_manager.values_list("id", "stripe_data"))
        theirs = {obj["id"]: fake.render(obj) for obj in fake.all(object_name)}
        ignored = VOLATILE_FIELDS.get(object_name, set())
        missing = sorted(theirs.keys() - ours.keys())
        if object_name in OPTIONAL_ROWS:
            if missing:
                result.not_mirrored[object_name] = len(missing)
            missing = []
        for stripe_id in missing:
            result.mismatches.append(f"{object_name} {stripe_id}: not mirrored")
        for stripe_id in sorted(ours.keys() - theirs.keys()):
            result.mismatches.append(f"{object_name} {stripe_id}: not in Stripe")
        for stripe_id in sorted(ours.keys() & theirs.keys()):
            result.compared += 1
            keys = _differing_keys(
                ours[stripe_id], sync.normalize(model, theirs[stripe_id]), ignored
            )
            if keys:
                result.mismatches.append(
                    f"{object_name} {stripe_id}: differs in {', '.join(keys)}"
                )
    return result


def _differing_keys(ours: Any, theirs: dict, ignored: set[str]) -> list[str]:
    ours = ours if isinstance(ours, dict) else {}
    return sorted(
        key
        for key in ours.keys() | theirs.keys()
        if key not in ignored and ours.get(key) != theirs.get(key)
    )


@dataclass
class WebhookStats:
    deliveries: int
    received: int
    valid: int
    processed: int
    failed: int
    events: int
    round_trip_ms: list[float]
    mirror_delay_ms: list[float]


def webhook_stats(deliveries: list[dict]) -> WebhookStats | None:
    """Counts of ``WebhookEventTrigger`` rows, and delays by event.

    ``deliveries`` are the demo's records of each POST: event id, the wall
    clock when it was sent, and how long the site took to answer.  The mirror
    delay of an event is its trigger's last update (processing ends with one)
    minus the time the fake sent it.
    """
    try:
        from djstripe.models import WebhookEventTrigger
    except ImportError:
        return None
    triggers = WebhookEventTrigger.objects.all()
    sent = {}
    for delivery in deliveries:
        sent.setdefault(delivery["event"], delivery["sent_at"])
    delays = []
    for event_id, updated in triggers.filter(processed=True).values_list(
        "event_id", "updated"
    ):
        if event_id in sent:
            delays.append((updated.timestamp() - sent[event_id]) * 1000)
    return WebhookStats(
        deliveries=len(deliveries),
        received=triggers.count(),
        valid=triggers.filter(valid=True).count(),
        processed=triggers.filter(processed=True).count(),
        failed=triggers.filter(valid=True, processed=False).count(),
        events=triggers.values("event_id").distinct().count(),
        round_trip_ms=[d["seconds"] * 1000 for d in deliveries],
        mirror_delay_ms=delays,
    )


def _ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"mean {statistics.fmean(values):.1f} ms, p95 {p95:.1f} ms"


def print_summary(
    comparison: Comparison,
    stats: WebhookStats | None,
    skipped: dict[str, str],
    limit: int = 25,
) -> None:
    print("\n== Summary")
    print("Rows per model:")
    for name, count in rows_per_model():
        if count:
            print(f"  {name:<28} {count:>6}")
    if stats is None:
        print("Webhooks: none (the webhooks stage did not run)")
    else:
        print(
            f"Webhooks: {stats.deliveries} signed POSTs sent by the fake; "
            f"{stats.received} triggers stored, {stats.valid} valid, "
            f"{stats.processed} processed, {stats.failed} failed or pending; "
            f"{stats.events} distinct events"
        )
        print(
            "  send → mirrored (trigger's processed time minus the time the "
            f"fake sent it): {_ms(stats.mirror_delay_ms)}"
        )
        print(
            "  send → HTTP 200 as the fake saw it (verify, store, process "
            f"inline): {_ms(stats.round_trip_ms)}"
        )
    for stage, why in skipped.items():
        print(f"Skipped stage {stage!r}: {why}")
    print(
        f"Mirror vs fake Stripe: {comparison.compared} objects compared, "
        f"{len(comparison.mismatches)} mismatches"
    )
    for object_name, count in comparison.not_mirrored.items():
        print(
            f"  ({count} {object_name} objects of the fake are not mirrored: "
            "they predate the webhook endpoint and the back-fill left them out)"
        )
    ignored = ", ".join(
        f"{name}.{key}" for name, keys in VOLATILE_FIELDS.items() for key in keys
    )
    print(f"  (fields no event carries, not compared: {ignored})")
    for line in comparison.mismatches[:limit]:
        print(f"  MISMATCH {line}")
    if len(comparison.mismatches) > limit:
        print(f"  ... and {len(comparison.mismatches) - limit} more")
