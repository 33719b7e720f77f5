"""Exceptions djstripe raises. Every one derives from :class:`DjstripeError`;
Stripe's own errors stay stripe-python's (``stripe.StripeError`` and its
subclasses), so ``except stripe.InvalidRequestError`` keeps working."""


class DjstripeError(Exception):
    """Base of djstripe's own exceptions."""


class MultipleSubscriptionException(DjstripeError):
    """A customer has several subscriptions where one was expected
    (:attr:`djstripe.models.Customer.subscription`)."""


class StripeObjectManipulationException(DjstripeError):
    """An object that only exists inside a parent (an invoice line, a
    subscription item...) was changed other than through its parent."""


class InvalidStripeAPIKey(DjstripeError, ValueError):
    """A value that cannot be a Stripe API key (wrong prefix, wrong mode)."""


class ImpossibleAPIRequest(DjstripeError):
    """A request Stripe cannot answer, refused before it is sent (an object
    without the id or parent its URL needs)."""
