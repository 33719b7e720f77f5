"""What ``djstripe_init_customers`` and ``djstripe_sync_customers`` share."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Model, QuerySet

from ... import stripe_api, sync
from ...models import Charge, Customer, Invoice, PaymentMethod, Subscription
from ...settings import djstripe_settings
from ...sync.plan import list_params

#: What ``sync_subscriber`` mirrors for a customer, besides the customer: each
#: model with the list Stripe documents for one customer's objects.
CUSTOMER_RELATED = (
    (Subscription, "/v1/subscriptions", "customer"),
    (Invoice, "/v1/invoices", "customer"),
    (PaymentMethod, "/v1/customers/{id}/payment_methods", None),
    (Charge, "/v1/charges", "customer"),
)


def subscribers_without_customer() -> QuerySet[Any]:
    """Subscribers with no customer in the current mode."""
    model: Any = djstripe_settings.get_subscriber_model()
    with_customer = Customer.objects.filter(
        livemode=djstripe_settings.STRIPE_LIVE_MODE, subscriber__isnull=False
    ).values("subscriber_id")
    return cast(
        "QuerySet[Any]", model.objects.exclude(pk__in=with_customer).order_by("pk")
    )


def sync_subscriber(subscriber: Model, *, related: bool = True) -> Customer:
    """The subscriber's customer (created in Stripe if it has none), mirrored
    afresh with, unless ``related`` is false, its subscriptions, invoices,
    payment methods and charges (one list request each, pages of 100)."""
    customer, created = Customer.get_or_create(subscriber=subscriber)
    if not created:
        customer = Customer.sync_from_stripe_data(customer.api_retrieve())
    if related:
        for model, path, filter_name in CUSTOMER_RELATED:
            params = list_params(model)
            if filter_name:
                params[filter_name] = customer.id
            for page in stripe_api.iter_pages(path.format(id=customer.id), params):
                sync.upsert(page)
    return customer
