"""dj-stripe's way to react to events: ``djstripe_receiver``.

>>> from djstripe.event_handlers import djstripe_receiver
>>> @djstripe_receiver("customer.subscription.deleted")
... def on_cancel(sender, event, **kwargs):
...     ...

The decorated function becomes a receiver of the Django signal
``WEBHOOK_SIGNALS[event_type]`` (``sender`` is :class:`~djstripe.models.Event`).
It is sent once per new event, after the mirror was updated and the
registered :func:`djstripe.webhooks.handler` functions ran, in the same
transaction: a receiver that raises rolls the event back, and Stripe's retry
processes it again.

dj-stripe also keeps its built-in handling here (one receiver per object
type that syncs the object). djstripe's mirror engine does that work before
any receiver runs, so no built-in receivers are connected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.dispatch import Signal, receiver

from .signals import WEBHOOK_SIGNALS


def djstripe_receiver(
    signal_names: str | Iterable[str],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Connect the decorated function to the signals of ``signal_names`` (one
    event type, or a list or tuple of them).

    Any Stripe event type may be named; a name that is not one (no dot, not
    a string) raises ``RuntimeError`` at import time rather than never firing.
    """
    names = [signal_names] if isinstance(signal_names, str) else list(signal_names)
    signals = [_signal(name) for name in names]

    def inner(handler: Callable[..., Any], **kwargs: Any) -> Callable[..., Any]:
        from .models import Event

        return receiver(signals, sender=Event, **kwargs)(handler)

    return inner


def _signal(name: Any) -> Signal:
    if not isinstance(name, str) or "." not in name.strip("."):
        raise RuntimeError(
            f"Event {name!r} is not a Stripe event type (such as 'invoice.paid')."
        )
    return WEBHOOK_SIGNALS[name]
