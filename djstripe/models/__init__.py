"""Every mirrored Stripe model, importable from ``djstripe.models``."""

from .base import StripeModel, StripeQuerySet
from .connect import Account
from .core import BalanceTransaction, Charge, Customer, Event, Price, Product
from .sync_state import DeletedStripeObject
from .webhooks import WebhookEndpoint, WebhookEventTrigger

__all__ = [
    "Account",
    "BalanceTransaction",
    "Charge",
    "Customer",
    "DeletedStripeObject",
    "Event",
    "Price",
    "Product",
    "StripeModel",
    "StripeQuerySet",
    "WebhookEndpoint",
    "WebhookEventTrigger",
]
