"""A back-fill from localstripe mirrors what Stripe lists under a parent.

The same account as ``tests/test_sync_parent_lists.py`` builds on the fake
(:func:`.accounts.populate`) is built on localstripe, an independent fake
run as its own process, and back-filled through ``DJSTRIPE_API_BASE``.
localstripe has no ``/v1/customers/{id}/payment_methods`` (its top-level
list needs ``customer``), so payment methods are left out here; cards (as
sources), tax ids, subscription items and invoice lines past the embedded
page of 10 are checked. localstripe makes subscriptions of one item only, so
the long list there is an invoice's 12 lines.
"""

from __future__ import annotations

import pytest
import stripe

from djstripe import stripe_api
from djstripe.models import (
    Card,
    Customer,
    Invoice,
    LineItem,
    Subscription,
    SubscriptionItem,
    TaxId,
)
from djstripe.sync.backfill import backfill

from .accounts import populate
from .test_localstripe import API_KEY, localstripe_url  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

MODELS = [Customer, Card, TaxId, Subscription, SubscriptionItem, Invoice, LineItem]


def test_backfill_from_localstripe_mirrors_every_object(
    localstripe_url,  # noqa: F811
    settings,
    monkeypatch,
):
    # localstripe cannot expand these, nor page events with ending_before
    # (so no gap-free replay): differences of its own, not Stripe's.
    monkeypatch.setattr(Subscription, "expand_fields", [])
    monkeypatch.setattr(Invoice, "expand_fields", [])
    client = stripe.StripeClient(
        API_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0
    )
    made = populate(
        client, customers=2, items=1, lines=12, plans=True, make_tokens=True
    )
    assert len(made["LineItem"]) > 12  # one invoice alone has 12
    settings.DJSTRIPE_API_BASE = localstripe_url
    settings.DJSTRIPE_MAX_RETRIES = 0
    real_http = stripe.new_default_http_client(timeout=10)
    with stripe_api.use_http_client(real_http):
        report = backfill(MODELS, api_key=API_KEY, gap_free=False)

    assert report.errors == 0, report.table()
    for model in MODELS:
        ids = set(model.objects.values_list("id", flat=True))
        assert made[model.__name__] <= ids, model.__name__
