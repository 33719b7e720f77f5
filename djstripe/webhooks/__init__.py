"""Receiving Stripe webhooks: verification, persistence, processing, handlers.

The public names for users are the decorators :func:`handler` and
:func:`handler_all`; the rest lives in submodules:

* :mod:`djstripe.webhooks.signature`: ``Stripe-Signature`` verification (pure);
* :mod:`djstripe.webhooks.ingest`: what the view does with a request;
* :mod:`djstripe.webhooks.processing`: event payload → mirror, handlers, signals;
* :mod:`djstripe.webhooks.registry`: the handler registry.
"""

from .registry import (
    call_handlers,
    handler,
    handler_all,
    handlers_for,
    register,
    unregister,
)

__all__ = [
    "call_handlers",
    "handler",
    "handler_all",
    "handlers_for",
    "register",
    "unregister",
]
