"""Background processing of webhook events with Django Tasks.

With ``DJSTRIPE_WEBHOOK_PROCESSING = "task"`` the webhook view stores and
verifies the request, enqueues :data:`process_webhook_trigger` and answers
200 at once; a worker of the project's task backend (``TASKS`` setting)
applies the event. With ``DJSTRIPE_WEBHOOK_BATCH_SIZE`` above 1 the view
queues :data:`drain_webhook_triggers` instead, and only if no drain is
queued and not yet started: a burst of requests costs one task, which
processes them in batches (see :mod:`djstripe.webhooks.drain`).
``django.tasks`` is used on Django 6, the ``django-tasks`` backport on
Django 5.2.

Django Tasks has no retry policy of its own, so a failed attempt schedules
the next one itself, with exponential backoff, on backends that can run a
task later (``supports_defer``, e.g. the database backend), up to
``DJSTRIPE_WEBHOOK_TASK_MAX_ATTEMPTS``. The failure is recorded on the
trigger either way, and ``djstripe_process_events --failed`` replays it.

:data:`prune_webhook_triggers` deletes stored requests past their retention;
run it periodically from the project's scheduler.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
from typing import TYPE_CHECKING

from django.utils import timezone

try:  # Django >= 6.0
    from django.tasks import task
except ImportError:  # Django 5.2: the backport
    from django_tasks import task  # type: ignore[no-redef]

from .exceptions import NotVerifiedError, ProcessingError
from .settings import djstripe_settings

if TYPE_CHECKING:
    from .models import WebhookEventTrigger

logger = logging.getLogger("djstripe.webhooks")

#: Whether a drain is queueing another in this context (:func:`_ask_for_help`).
_helping: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "djstripe_helping", default=False
)
#: Delay before the second attempt; doubled for each further one, capped.
RETRY_BASE_DELAY = 30
RETRY_MAX_DELAY = 3600


class WebhookProcessingFailed(ProcessingError):
    """An attempt failed (details on the trigger); raised so the task backend
    records the task as failed."""


@task()
def process_webhook_trigger(trigger_id: int, attempt: int = 1) -> str:
    """Process the stored webhook request ``trigger_id`` (idempotent).

    A request that failed verification raises
    :class:`~djstripe.exceptions.NotVerifiedError` and is never retried; a
    failed attempt raises :class:`WebhookProcessingFailed` (a
    :class:`~djstripe.exceptions.ProcessingError`), after scheduling the next.
    """
    from .models import WebhookEventTrigger

    trigger = WebhookEventTrigger.objects.filter(pk=trigger_id).first()
    if trigger is None:
        return "missing"
    if trigger.processed:
        return "already processed"
    try:
        trigger.process()
    except NotVerifiedError:
        raise
    except ProcessingError as error:
        retry_at = schedule_retry(trigger_id, attempt)
        raise WebhookProcessingFailed(
            f"Webhook {trigger_id} attempt {attempt} failed: {trigger.exception}"
            + (f"; next attempt at {retry_at:%Y-%m-%d %H:%M:%S}" if retry_at else "")
        ) from error
    return "processed"


@task()
def drain_webhook_triggers(limit: int | None = None) -> str:
    """Process every waiting request, in batches of ``limit``
    (``DJSTRIPE_WEBHOOK_BATCH_SIZE``), whichever request queued this task;
    see :func:`djstripe.webhooks.drain.drain_all`. Each failure is recorded
    on its request and retried by :data:`process_webhook_trigger`, as in
    one-by-one mode."""
    from .webhooks.drain import drain_all

    # A backend that runs the task at once runs it inside _ask_for_help():
    # helping there would only nest.
    report = drain_all(limit, backlog=None if _helping.get() else _ask_for_help)
    for trigger_id in report.failed:
        schedule_retry(trigger_id, 1)
    return (
        f"claimed {report.claimed}, processed {report.processed} "
        f"({report.batched} together), failed {len(report.failed)}"
    )


def enqueue_trigger(trigger: WebhookEventTrigger) -> None:
    """Queue the processing of ``trigger`` (a stored, verified request): on
    its own, or, with ``DJSTRIPE_WEBHOOK_BATCH_SIZE`` above 1, by a drain,
    queued only if none is waiting to start."""
    if djstripe_settings.WEBHOOK_BATCH_SIZE > 1:
        _enqueue_drain()
    else:
        process_webhook_trigger.enqueue(trigger.pk)


def _ask_for_help() -> None:
    """A drain found a backlog: queue another drain for an idle worker,
    unless one is queued."""
    token = _helping.set(True)
    try:
        _enqueue_drain()
    except Exception:  # help is optional: this drain goes on alone
        logger.warning("Could not queue a second webhook drain", exc_info=True)
    finally:
        _helping.reset(token)


def _enqueue_drain() -> None:
    from .webhooks.drain import forget_drain, want_drain

    if not want_drain():
        return  # a queued drain, not started yet, will find the request
    try:
        drain_webhook_triggers.enqueue()
    except Exception:
        forget_drain()  # so that the next request tries again
        raise


def retry_delay(attempt: int) -> datetime.timedelta:
    """Backoff after failed attempt number ``attempt`` (1-based)."""
    seconds = min(RETRY_BASE_DELAY * 2 ** (attempt - 1), RETRY_MAX_DELAY)
    return datetime.timedelta(seconds=seconds)


def schedule_retry(trigger_id: int, attempt: int) -> datetime.datetime | None:
    """Enqueue attempt ``attempt + 1`` later, if allowed and the backend can."""
    if attempt >= djstripe_settings.WEBHOOK_TASK_MAX_ATTEMPTS:
        logger.error("Webhook %s failed %s times; giving up", trigger_id, attempt)
        return None
    if not process_webhook_trigger.get_backend().supports_defer:
        return None
    run_after = timezone.now() + retry_delay(attempt)
    process_webhook_trigger.using(run_after=run_after).enqueue(trigger_id, attempt + 1)
    return run_after


@task()
def prune_webhook_triggers() -> str:
    """Delete stored webhook requests past their retention; schedule it
    periodically (daily is plenty). See :mod:`djstripe.webhooks.retention`."""
    from .webhooks.retention import prune_webhook_triggers as prune

    report = prune()
    return f"deleted {report.rejected} rejected, {report.processed} processed"
