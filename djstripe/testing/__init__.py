"""A test kit for code that uses Stripe: a stateful fake of Stripe's API.

See ``docs/testing.md``.
"""

from .fake import FakeStripe

__all__ = ["FakeStripe"]
