"""Radar: reviews and early fraud warnings.

Stripe opens both on its own; the test helpers ``fake.open_review`` and
``fake.add("radar.early_fraud_warning", charge=...)`` stand in for that.
A review is closed by ``POST /v1/reviews/{id}/approve`` (``review.closed``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hooks
from .errors import invalid

if TYPE_CHECKING:
    from .fake import FakeStripe


def open_review(fake: FakeStripe, charge_id: str, reason: str = "rule") -> dict:
    """Radar holds ``charge_id`` for review (``review.opened``)."""
    charge = fake.get("charge", charge_id, "charge")
    review = fake.build("review")
    review.update(
        charge=charge["id"],
        payment_intent=charge.get("payment_intent"),
        open=True,
        opened_reason=reason,
        reason=reason,
        closed_reason=None,
    )
    fake.store(review)
    fake.emit("review.opened", review)
    fake.update(charge, {"review": review["id"]}, None)
    return review


@hooks.action("review", "approve")
def _approve(fake: FakeStripe, review: dict, params: dict) -> dict:
    if not review["open"]:
        raise invalid("This review has already been closed.")
    changes = {"open": False, "reason": "approved", "closed_reason": "approved"}
    return fake.update(review, changes, "review.closed")


@hooks.list_filter("radar.early_fraud_warning", "payment_intent")
def _warning_for_intent(fake: FakeStripe, warning: dict, value) -> bool:
    charge = fake._objects.get(warning.get("charge") or "")
    intent = warning.get("payment_intent") or (charge or {}).get("payment_intent")
    return intent == value
