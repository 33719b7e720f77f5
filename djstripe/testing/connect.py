"""Money given back on Connect: transfer reversals and application fee refunds.

Both live under their parent (``/v1/transfers/{id}/reversals``,
``/v1/application_fees/{id}/refunds``), default to what is left of the
parent's amount, keep the parent's ``amount_reversed``/``amount_refunded``
and embedded list current, and announce themselves with the parent's event
(``transfer.reversed``, ``application_fee.refunded``), as Stripe does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import hooks
from .errors import invalid

if TYPE_CHECKING:
    from .fake import FakeStripe


@dataclass(frozen=True)
class _GiveBack:
    object: str
    parent: str
    """The parent's object name."""
    parent_field: str
    """The field of the child holding the parent's id."""
    total: str
    """The parent's running total (``amount_reversed``)."""
    done: str
    """The parent's flag set once everything is given back (``reversed``)."""
    event: str
    sublist: str
    url: str


_KINDS = (
    _GiveBack(
        "transfer_reversal",
        "transfer",
        "transfer",
        "amount_reversed",
        "reversed",
        "transfer.reversed",
        "reversals",
        "/v1/transfers/{}/reversals",
    ),
    _GiveBack(
        "fee_refund",
        "application_fee",
        "fee",
        "amount_refunded",
        "refunded",
        "application_fee.refunded",
        "refunds",
        "/v1/application_fees/{}/refunds",
    ),
)


def _register(kind: _GiveBack) -> None:
    @hooks.prepare(kind.object)
    def prepare(fake: FakeStripe, child: dict, params: dict) -> None:
        parent = fake.get(kind.parent, child[kind.parent_field])
        remaining = parent["amount"] - parent[kind.total]
        amount = params.get("amount")
        amount = remaining if amount is None else amount
        if not isinstance(amount, int) or not 0 < amount <= remaining:
            raise invalid(
                f"Amount ({amount}) is greater than the amount that can be "
                f"{kind.done} ({remaining}).",
                param="amount",
            )
        child["amount"], child["currency"] = amount, parent["currency"]

    @hooks.after_create(kind.object)
    def after_create(fake: FakeStripe, child: dict, params: dict) -> None:
        parent = fake.get(kind.parent, child[kind.parent_field])
        total = parent[kind.total] + child["amount"]
        changes = {kind.total: total, kind.done: total >= parent["amount"]}
        fake.update(parent, changes, kind.event)

    @hooks.sublist(kind.parent, kind.sublist)
    def children(fake: FakeStripe, parent: dict):
        items = fake.all(kind.object, **{kind.parent_field: parent["id"]})
        items.sort(key=fake._list_key, reverse=True)
        return items, kind.url.format(parent["id"])


for _kind in _KINDS:
    _register(_kind)


@hooks.on_update("fee_refund")
def _update_fee_refund(fake: FakeStripe, refund: dict, params: dict, before) -> None:
    fake.emit_changed(refund, before, "application_fee.refund.updated")


@hooks.route(
    "POST",
    r"/v1/application_fees/(?P<id>[^/]+)/refund",
    "/v1/application_fees/{id}/refund",
)
def _refund_fee(fake: FakeStripe, match, params: dict):
    """The older form: refund the fee, answer with the fee."""
    fee = fake.get("application_fee", match["id"])
    expand = params.pop("expand", None) or []
    fake.create("fee_refund", params, parent=fee["id"])
    return 200, fake.render(fee, expand)
