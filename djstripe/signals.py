"""Django signals sent while djstripe receives and processes webhooks.

Stage signals (``sender`` is the model class named below):

* ``webhook_pre_validate(sender=WebhookEventTrigger, trigger)``: a request was
  stored, before its signature is checked;
* ``webhook_post_validate(sender=WebhookEventTrigger, trigger, valid)``;
* ``webhook_pre_process(sender=Event, event_data, trigger)``: before the mirror
  write (``trigger`` is ``None`` when processing does not come from a request);
* ``webhook_post_process(sender=Event, event, trigger)``: after the mirror
  write and the handlers were committed;
* ``webhook_processing_error(sender=Event, exception, event_data, trigger)``:
  processing raised; everything it wrote was rolled back.

Per event type, ``WEBHOOK_SIGNALS["invoice.paid"]`` is sent with
``sender=Event, event=<Event>`` right after the registered handlers, in the
same transaction (a receiver that raises rolls the event back, like a
handler). Any type can be looked up, including ones not listed here; the
listed ones are dj-stripe's, and ``WEBHOOK_SIGNALS.get(type)`` finds them.
:func:`djstripe.event_handlers.djstripe_receiver` connects a receiver.
"""

from __future__ import annotations

from django.dispatch import Signal

webhook_pre_validate = Signal()
webhook_post_validate = Signal()
webhook_pre_process = Signal()
webhook_post_process = Signal()
webhook_processing_error = Signal()


class _SignalsByType(dict[str, Signal]):
    """``WEBHOOK_SIGNALS[type]``: made on first use, so no event type is missing."""

    def __missing__(self, event_type: str) -> Signal:
        signal = self[event_type] = Signal()
        return signal


#: Common Stripe event types, made up front so they are discoverable.
WEBHOOK_EVENT_TYPES = (
    "account.updated",
    "account.application.authorized",
    "account.application.deauthorized",
    "account.external_account.created",
    "account.external_account.deleted",
    "account.external_account.updated",
    "balance.available",
    "charge.captured",
    "charge.expired",
    "charge.failed",
    "charge.pending",
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "charge.dispute.closed",
    "charge.dispute.created",
    "charge.dispute.funds_reinstated",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.updated",
    "charge.refund.updated",
    "checkout.session.async_payment_failed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.completed",
    "checkout.session.expired",
    "coupon.created",
    "coupon.deleted",
    "coupon.updated",
    "customer.created",
    "customer.deleted",
    "customer.updated",
    "customer.discount.created",
    "customer.discount.deleted",
    "customer.discount.updated",
    "customer.source.created",
    "customer.source.deleted",
    "customer.source.expiring",
    "customer.source.updated",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "customer.subscription.updated",
    "customer.tax_id.created",
    "customer.tax_id.deleted",
    "customer.tax_id.updated",
    "file.created",
    "identity.verification_session.canceled",
    "identity.verification_session.created",
    "identity.verification_session.processing",
    "identity.verification_session.redacted",
    "identity.verification_session.requires_input",
    "identity.verification_session.verified",
    "invoice.created",
    "invoice.deleted",
    "invoice.finalization_failed",
    "invoice.finalized",
    "invoice.marked_uncollectible",
    "invoice.paid",
    "invoice.payment_action_required",
    "invoice.payment_failed",
    "invoice.payment_succeeded",
    "invoice.sent",
    "invoice.upcoming",
    "invoice.updated",
    "invoice.voided",
    "invoiceitem.created",
    "invoiceitem.deleted",
    "payment_intent.amount_capturable_updated",
    "payment_intent.canceled",
    "payment_intent.created",
    "payment_intent.partially_funded",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_method.attached",
    "payment_method.automatically_updated",
    "payment_method.detached",
    "payment_method.updated",
    "payout.canceled",
    "payout.created",
    "payout.failed",
    "payout.paid",
    "payout.reconciliation_completed",
    "payout.updated",
    "plan.created",
    "plan.deleted",
    "plan.updated",
    "price.created",
    "price.deleted",
    "price.updated",
    "product.created",
    "product.deleted",
    "product.updated",
    "promotion_code.created",
    "promotion_code.updated",
    "setup_intent.canceled",
    "setup_intent.created",
    "setup_intent.requires_action",
    "setup_intent.setup_failed",
    "setup_intent.succeeded",
    "subscription_schedule.aborted",
    "subscription_schedule.canceled",
    "subscription_schedule.completed",
    "subscription_schedule.created",
    "subscription_schedule.expiring",
    "subscription_schedule.released",
    "subscription_schedule.updated",
    "tax_rate.created",
    "tax_rate.updated",
    "transfer.created",
    "transfer.reversed",
    "transfer.updated",
)

WEBHOOK_SIGNALS: dict[str, Signal] = _SignalsByType(
    (event_type, Signal()) for event_type in WEBHOOK_EVENT_TYPES
)
