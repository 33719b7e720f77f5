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


@contextlib.contextmanager
def _install(fake: FakeStripe) -> Iterator[None]:
    """Route djstripe's Stripe calls to the fake, and let the fake's clock be
    djstripe's "now" for data that carries no observation time."""
    try:
        from djstripe import stripe_api, sync
    except (ImportError, ImproperlyConfigured):  # used without djstripe's app
        yield
        return
    with stripe_api.use_http_client(fake.http_client), sync.use_clock(fake.clock):
        yield


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
