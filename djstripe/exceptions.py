"""Exceptions djstripe raises (Stripe's own errors come from stripe-python)."""


class DjstripeError(Exception):
    """Base of djstripe's own exceptions."""


class MultipleSubscriptionException(DjstripeError):
    """A customer has several subscriptions where one was expected
    (:attr:`djstripe.models.Customer.subscription`)."""


class ProcessingError(DjstripeError):
    """Processing a webhook request or an event failed; nothing it wrote was kept.

    The one exception that processing raises (``Event.process``,
    ``WebhookEventTrigger.process``, the task, the replay command): the
    original error, if any, is its ``__cause__``. On a webhook request the
    failure is also recorded on the row (``exception``, ``traceback``).
    """


class NotVerifiedError(ProcessingError):
    """The webhook request failed verification (signature, size or shape), so
    its content is not Stripe's and is never applied, by any path."""
