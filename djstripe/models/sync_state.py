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


class Confirmation(models.Model):
    """A record that an event showed an object unchanged at ``observed_at``.

    Events embed shared objects (a platform account, a popular price, a
    coupon) that rarely change. Moving the mirrored row's stamp for each such
    copy would rewrite and lock one row from every concurrent event. Instead
    the engine appends a confirmation here, a row nobody else writes; the
    staleness gate takes the newest of the row's stamp and its confirmations,
    so a late event still cannot roll the row back. ``djstripe_prune_webhooks``
    folds them into the rows' stamps and deletes them (see docs/engine.md).
    """

    stripe_id = models.CharField(max_length=255)
    object_type = models.CharField(max_length=255)
    observed_at = models.DateTimeField(
        help_text="When the event that showed the object unchanged happened."
    )

    class Meta:
        verbose_name = "unchanged-object confirmation"
        indexes = [
            models.Index(
                fields=["stripe_id", "observed_at"], name="djstripe_confirmation_id"
            ),
            models.Index(fields=["object_type"], name="djstripe_confirmation_type"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.stripe_id} unchanged at {self.observed_at}"


class SyncCheckpoint(models.Model):
    """How far a back-fill got: one row per (scope, type, job, range).

    ``djstripe_sync_models`` lists each type newest first in ``created``
    ranges and records here, after the pages it writes, the id of the last
    object mirrored (``cursor``), so that an interrupted run resumes after it
    instead of starting over. ``run`` tells the rows of the latest run from
    those left over by an earlier, completed one.

    The row whose ``object_type`` is ``"event"`` is the Events API cursor: the
    newest event the mirror has replayed (``djstripe_sync_models --catch-up``
    continues from it).
    """

    scope = models.CharField(
        max_length=100,
        help_text="The API key's mode and fingerprint, and the connected account.",
    )
    object_type = models.CharField(max_length=100, help_text="e.g. customer")
    job = models.CharField(
        max_length=50,
        help_text="The run's created bounds, '<since>..<until>' ('..': everything).",
    )
    created_gte = models.BigIntegerField(
        default=0, help_text="Lower bound of the range (Unix time, inclusive)."
    )
    created_lt = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Upper bound of the range (Unix time, exclusive); none: open.",
    )
    cursor = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text="Id of the last object mirrored (the next page starts after it).",
    )
    cursor_created = models.BigIntegerField(
        null=True, blank=True, help_text="``created`` of the cursor object."
    )
    done = models.BooleanField(default=False)
    run = models.CharField(max_length=32, blank=True, default="")
    event_marker = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text="Newest event when the run began: events after it are replayed.",
    )
    event_marker_created = models.BigIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sync checkpoint"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "object_type", "job", "created_gte"],
                name="djstripe_sync_checkpoint_unique",
            )
        ]

    def __str__(self) -> str:
        state = "done" if self.done else f"after {self.cursor or 'start'}"
        return f"{self.object_type} {self.job} from {self.created_gte}: {state}"
