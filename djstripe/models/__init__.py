"""Every mirrored Stripe model, importable from ``djstripe.models``."""

from .base import StripeModel, StripeQuerySet
from .connect import Account
from .core import BalanceTransaction, Charge, Customer, Event, Price, Product
from .sync_state import DeletedStripeObject, SyncCheckpoint

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
    "SyncCheckpoint",
]
