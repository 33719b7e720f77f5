"""Entitlements: features a product grants, and what each customer may use now."""

from __future__ import annotations

from typing import cast

import stripe

from ..fields import StripeBooleanField, StripeCharField, StripeForeignKey
from ..sync.parents import ParentList
from .base import StripeModel


class Feature(StripeModel):
    """A feature a product can grant (``lookup_key`` is what your code checks).

    Stripe documentation: https://stripe.com/docs/api/entitlements/feature?lang=python
    """

    stripe_class = stripe.entitlements.Feature

    active = StripeBooleanField(default=True)
    lookup_key = StripeCharField(max_length=80, db_index=True)
    name = StripeCharField(max_length=80)

    def __str__(self) -> str:
        return cast(str, self.name or self.lookup_key)


class ProductFeature(StripeModel):
    """The attachment of a Feature to a Product.

    Stripe's object does not name its product (it is served under
    ``/v1/products/{id}/features``): the relation is filled when the object is
    mirrored from inside a product, and stays empty otherwise.

    Stripe documentation: https://stripe.com/docs/api/product-feature?lang=python
    """

    stripe_class = stripe.ProductFeature
    stripe_parent_lists = (ParentList("product", "/v1/products/{id}/features"),)
    stripe_parent_field = "product"
    stripe_nested_in = ("product", "features")

    product = StripeForeignKey("djstripe.Product", related_name="features")
    entitlement_feature = StripeForeignKey(Feature, related_name="product_features")


class ActiveEntitlement(StripeModel):
    """A feature a customer is entitled to now.

    Stripe's object does not name its customer; the relation is inherited from
    the ``entitlements.active_entitlement_summary`` that carries it (mirror the
    summary of the ``entitlements.active_entitlement_summary.updated`` event,
    or see :meth:`djstripe.models.Customer.sync_entitlements`).

    Stripe documentation: https://stripe.com/docs/api/entitlements/active-entitlement?lang=python
    """

    stripe_class = stripe.entitlements.ActiveEntitlement
    stripe_parent_lists = (
        ParentList("customer", "/v1/entitlements/active_entitlements?customer={id}"),
    )
    stripe_listable = False  # listed per customer only
    stripe_parent_field = "customer"

    customer = StripeForeignKey("djstripe.Customer", related_name="active_entitlements")
    feature = StripeForeignKey(Feature, related_name="active_entitlements")
    lookup_key = StripeCharField(max_length=80, db_index=True)

    def __str__(self) -> str:
        return cast(str, self.lookup_key)
