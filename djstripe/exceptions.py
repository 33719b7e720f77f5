"""Exceptions djstripe raises (Stripe's own errors come from stripe-python)."""


class DjstripeError(Exception):
    """Base of djstripe's own exceptions."""


class MultipleSubscriptionException(DjstripeError):
    """A customer has several subscriptions where one was expected
    (:attr:`djstripe.models.Customer.subscription`)."""
