"""Exceptions djstripe raises. Every one derives from :class:`DjstripeError`;
Stripe's own errors stay stripe-python's (``stripe.StripeError`` and its
subclasses), so ``except stripe.InvalidRequestError`` keeps working."""


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


class StripeObjectManipulationException(DjstripeError):
    """An object that only exists inside a parent (an invoice line, a
    subscription item...) was changed other than through its parent."""


class InvalidStripeAPIKey(DjstripeError, ValueError):
    """A value that cannot be a Stripe API key (wrong prefix, wrong mode)."""


class ImpossibleAPIRequest(DjstripeError):
    """A request Stripe cannot answer, refused before it is sent (an object
    without the id or parent its URL needs)."""
