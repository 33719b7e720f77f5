"""Bookkeeping of the mirror itself (not Stripe objects)."""

from django.db import models


class DeletedStripeObject(models.Model):
    """A tombstone: Stripe deleted this object.

    Deletion in Stripe is final and ids are never reused, so once an object is
    known deleted, no later (or late-arriving) update may bring its row back.
    The mirror engine checks these for every batch it writes.
    """

    stripe_id = models.CharField(max_length=255, unique=True)
    object_type = models.CharField(max_length=255)
    deleted_at = models.DateTimeField(help_text="When the deletion was observed.")

    class Meta:
        verbose_name = "deleted Stripe object"

    def __str__(self) -> str:
        return f"{self.object_type} {self.stripe_id} (deleted)"
