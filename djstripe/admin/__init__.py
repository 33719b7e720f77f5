"""The Django admin of the Stripe mirror.

Importing this module (Django's admin autodiscovery does) registers every
djstripe model with :class:`StripeModelAdmin` (mirrored Stripe objects) or
:class:`RecordAdmin` (djstripe's own records), unless the project registered
an admin of its own for it first. See ``docs/admin.md``.
"""

from django.contrib import admin

from .actions import reprocess, resync, resync_from_stripe
from .base import ReadOnlyAdmin, RecordAdmin, StripeModelAdmin
from .options import admin_class_for, register_all

__all__ = [
    "ReadOnlyAdmin",
    "RecordAdmin",
    "StripeModelAdmin",
    "admin_class_for",
    "register_all",
    "reprocess",
    "resync",
    "resync_from_stripe",
]

register_all(admin.site)
