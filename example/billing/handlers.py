"""Event handlers written as for dj-stripe 2.11."""

import logging

from djstripe.event_handlers import djstripe_receiver

logger = logging.getLogger("billing")


@djstripe_receiver(
    [
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
)
def on_subscription_change(sender, event, **kwargs):
    """Log each subscription change; a real site would e-mail or grant access.

    By the time this runs the mirror holds the new state, so the row can be
    read instead of the payload.
    """
    from djstripe.models import Subscription

    subscription = Subscription.objects.filter(id=event.data["object"]["id"]).first()
    logger.info(
        "%s: subscription %s of %s is %s",
        event.type,
        event.data["object"]["id"],
        event.data["object"].get("customer"),
        subscription.status if subscription else "unknown",
    )
