"""Every field of every mirrored Stripe object is reachable on its model.

The field list of a type is the union of stripe-python 16's annotations for
its class and the keys of Stripe's published example object (fixtures3.json),
so a field added to either shows up here.
"""

import inspect

import pytest

from djstripe import sync
from djstripe.fields import StripeFieldMixin
from djstripe.models.base import stripe_field_names
from djstripe.properties import StripeProperty

from .conftest import _FIXTURES, stripe_fixture

pytestmark = pytest.mark.django_db

#: Fields deliberately not reachable under their own name, and why.
NOT_MAPPED = {
    "object": "the type itself: every row of a model has the same object name",
}

MODELS = sorted(
    {model for name, model in sync.registered().items() if name in _FIXTURES},
    key=lambda model: model.__name__,
)


def _field_names(model) -> list[str]:
    names = stripe_field_names(model.stripe_class)
    names += [key for key in _FIXTURES[model.stripe_object_name] if key not in names]
    return names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_stripe_field_is_reachable(model):
    missing = [
        name
        for name in _field_names(model)
        if name not in NOT_MAPPED and not hasattr(model, name)
    ]
    assert missing == [], f"{model.__name__} lacks {missing}"
    # A method under a field's name would hide the field.
    shadowed = [
        name
        for name in _field_names(model)
        if inspect.isfunction(inspect.getattr_static(model, name, None))
        or isinstance(inspect.getattr_static(model, name, None), classmethod)
    ]
    assert shadowed == []


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_plain_properties_read_the_stored_object(model):
    """A property without conversion gives back exactly what Stripe sent
    (expanded relations collapsed to ids)."""
    data = stripe_fixture(model.stripe_object_name)
    if not data.get("id"):
        data["id"] = f"{model.__name__.lower()}_1"
    sync.upsert([data])
    row = model._base_manager.get(id=data["id"])
    stored = sync.normalize(model, data)
    checked = 0
    for name in _field_names(model):
        attr = getattr(model, name, None)
        if (
            isinstance(attr, StripeProperty)
            and attr.kind is None
            and attr.convert is None
        ):
            expected = stored.get(attr.path)
            if expected is None or expected == []:
                continue  # defaults (False, (), 0) stand in for missing values
            assert getattr(row, name) == expected, name
            checked += 1
    columns = [
        f for f in model._meta.concrete_fields if isinstance(f, StripeFieldMixin)
    ]
    assert checked + len(columns) > 0


#: Properties the reference keeps for fields Stripe has since removed.
LEGACY_PROPERTIES = {
    ("Session", "display_items"): "removed from Checkout in API 2020-08-27",
    **{
        (
            "Subscription",
            name,
        ): "moved to the items in API 2025-03-31 (dj-stripe's name)"
        for name in ("current_period_start", "current_period_end", "discount")
    },
    **{
        ("Subscription", name): "a single item's, as older API versions had it"
        for name in ("plan", "quantity")
    },
    (
        "Charge",
        "invoice",
    ): "removed from charges in API 2025-03-31 (a column, kept for old data)",
    (
        "Charge",
        "dispute",
    ): "removed from charges in API 2019-10-17 (see Dispute.charge)",
    ("Dispute", "balance_transaction"): "derived: the first of balance_transactions",
    ("Session", "shipping_details"): "moved to collected_information in API 2025-03-31",
    (
        "Source",
        "account",
    ): "a column shared by the payment-source family; always empty here",
}
#: Columns every model has, whether or not its Stripe object has the field.
BASE_COLUMNS = {"created", "description", "metadata", "livemode"}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_declared_properties_and_columns_name_real_stripe_fields(model):
    """A typo in a property's or column's Stripe path would silently read None."""
    known = set(_field_names(model))
    assert len(known) > 3
    paths = {
        name: attr.path
        for klass in model.__mro__
        for name, attr in vars(klass).items()
        if isinstance(attr, StripeProperty)
    }
    paths.update(
        (f.name, f.stripe_path or f.name)
        for f in model._meta.concrete_fields
        if isinstance(f, StripeFieldMixin)
        and f.name
        not in BASE_COLUMNS | {"djstripe_owner_account", model.stripe_parent_field}
    )
    unknown = [
        name
        for name, path in paths.items()
        if path.split(".")[0] not in known
        and (model.__name__, name) not in LEGACY_PROPERTIES
    ]
    assert unknown == [], f"{model.__name__}: {unknown}"
