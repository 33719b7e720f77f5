"""djstripe: a live, queryable mirror of a Stripe account in the Django ORM."""

__version__ = "0.1.0.dev0"
