"""factory-boy factories for Stripe-shaped dicts (API objects and events).

Each factory starts from Stripe's published example object for its type
(blanked like the fake's templates), so a built dict has every field Stripe
sends today; ids come from sequences (``cus_test0001``...), and any field can
be overridden::

    CustomerDataFactory(email="jenny@example.com")
    EventDataFactory(type="customer.updated", data__object=CustomerDataFactory())
"""

from __future__ import annotations

import factory

from .templates import template

START_TIME = 1_767_225_600


class StripeDataFactory(factory.Factory):
    """Base: a dict built from the template of ``_object_name``."""

    class Meta:
        model = dict
        abstract = True

    _object_name = ""
    _prefix = ""

    created = START_TIME
    livemode = False

    @classmethod
    def _stripe_data(cls, **kwargs) -> dict:
        data = template(cls._object_name)
        data["object"] = cls._object_name
        data.update(kwargs)
        return data

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return cls._stripe_data(**kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._stripe_data(**kwargs)


def _id(prefix: str):
    return factory.Sequence(lambda n: f"{prefix}_test{n:04d}")


class CustomerDataFactory(StripeDataFactory):
    _object_name = "customer"
    id = _id("cus")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = "Jenny Rosen"
    metadata = factory.Dict({})


class ProductDataFactory(StripeDataFactory):
    _object_name = "product"
    id = _id("prod")
    name = factory.Sequence(lambda n: f"Product {n}")
    active = True
    metadata = factory.Dict({})
    updated = START_TIME


class PriceDataFactory(StripeDataFactory):
    _object_name = "price"
    id = _id("price")
    product = factory.LazyFunction(lambda: ProductDataFactory()["id"])
    currency = "usd"
    unit_amount = 2000
    unit_amount_decimal = factory.LazyAttribute(lambda o: str(o.unit_amount))
    type = "recurring"
    recurring = factory.Dict(
        {
            "interval": "month",
            "interval_count": 1,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
    )
    metadata = factory.Dict({})


class ChargeDataFactory(StripeDataFactory):
    _object_name = "charge"
    id = _id("ch")
    amount = 2000
    amount_captured = factory.SelfAttribute("amount")
    currency = "usd"
    captured = True
    paid = True
    status = "succeeded"
    customer = None
    balance_transaction = _id("txn")
    metadata = factory.Dict({})


class PaymentIntentDataFactory(StripeDataFactory):
    _object_name = "payment_intent"
    id = _id("pi")
    amount = 2000
    amount_received = factory.SelfAttribute("amount")
    currency = "usd"
    status = "succeeded"
    client_secret = factory.LazyAttribute(lambda o: f"{o.id}_secret_test")
    metadata = factory.Dict({})


class SubscriptionDataFactory(StripeDataFactory):
    _object_name = "subscription"
    id = _id("sub")
    customer = factory.LazyFunction(lambda: CustomerDataFactory()["id"])
    status = "active"
    cancel_at_period_end = False
    start_date = START_TIME
    billing_cycle_anchor = START_TIME
    items = factory.LazyAttribute(
        lambda o: {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={o.id}",
        }
    )
    metadata = factory.Dict({})


class InvoiceDataFactory(StripeDataFactory):
    _object_name = "invoice"
    id = _id("in")
    customer = factory.LazyFunction(lambda: CustomerDataFactory()["id"])
    status = "paid"
    amount_due = 2000
    amount_paid = factory.SelfAttribute("amount_due")
    amount_remaining = 0
    subtotal = factory.SelfAttribute("amount_due")
    total = factory.SelfAttribute("amount_due")
    lines = factory.LazyAttribute(
        lambda o: {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/invoices/{o.id}/lines",
        }
    )
    metadata = factory.Dict({})


class EventDataFactory(StripeDataFactory):
    """An Event; ``data__object`` defaults to a new customer."""

    _object_name = "event"
    id = _id("evt")
    type = "customer.created"
    api_version = "2026-10-28.endive"
    pending_webhooks = 1
    request = factory.Dict({"id": None, "idempotency_key": None})
    data = factory.Dict({"object": factory.SubFactory(CustomerDataFactory)})


# -- Model instances ----------------------------------------------------------------


class MirroredFactoryMixin:
    """Turns a data factory into one of mirrored rows.

    ``create()`` writes the Stripe object through the mirror engine
    (``sync_from_stripe_data``), the one way djstripe writes rows, so the row
    has its relations, properties and ``stripe_data`` exactly as a webhook or
    a sync would leave them; ``build()`` returns an unsaved instance. Keyword
    arguments are Stripe fields, not model fields::

        customer = CustomerFactory(email="jenny@example.com", balance=-500)
        customer.credits  # 500
    """

    _model_label = ""

    @classmethod
    def _model(cls):
        from django.apps import apps

        return apps.get_model(cls._model_label)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return cls._model().from_stripe_data(cls._stripe_data(**kwargs))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._model().sync_from_stripe_data(cls._stripe_data(**kwargs))


class CustomerFactory(MirroredFactoryMixin, CustomerDataFactory):
    _model_label = "djstripe.Customer"


class ProductFactory(MirroredFactoryMixin, ProductDataFactory):
    _model_label = "djstripe.Product"


class PriceFactory(MirroredFactoryMixin, PriceDataFactory):
    _model_label = "djstripe.Price"


class ChargeFactory(MirroredFactoryMixin, ChargeDataFactory):
    _model_label = "djstripe.Charge"


class PaymentIntentFactory(MirroredFactoryMixin, PaymentIntentDataFactory):
    _model_label = "djstripe.PaymentIntent"


class SubscriptionFactory(MirroredFactoryMixin, SubscriptionDataFactory):
    _model_label = "djstripe.Subscription"


class InvoiceFactory(MirroredFactoryMixin, InvoiceDataFactory):
    _model_label = "djstripe.Invoice"


class EventFactory(MirroredFactoryMixin, EventDataFactory):
    _model_label = "djstripe.Event"
