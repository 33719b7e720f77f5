"""pytest fixtures for testing code that talks to Stripe, against FakeStripe.

Enabled with ``pytest_plugins = ["djstripe.testing.pytest_plugin"]``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured

from .fake import FakeStripe


def _install(fake: FakeStripe) -> contextlib.AbstractContextManager:
    """Route djstripe's own Stripe calls to the fake, if djstripe supports it."""
    try:
        from djstripe import stripe_api
    except (ImportError, ImproperlyConfigured):
        return contextlib.nullcontext()
    use_http_client = getattr(stripe_api, "use_http_client", None)
    if use_http_client is None:
        return contextlib.nullcontext()
    return use_http_client(fake.http_client)


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    """A fresh FakeStripe (seed 0), installed as djstripe's HTTP client."""
    fake = FakeStripe(seed=0)
    with _install(fake):
        yield fake


@pytest.fixture
def stripe_client(fake_stripe: FakeStripe) -> stripe.StripeClient:
    """A ``stripe.StripeClient`` that talks to ``fake_stripe``."""
    return fake_stripe.client()
