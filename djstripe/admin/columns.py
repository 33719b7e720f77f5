"""What the admin derives from a model's fields.

The admin of a model nobody wrote an admin for is built from these: which
columns hold money (and in which currency), which are relations, enums,
secrets, searchable text. Each ``*_column`` returns a callable usable in
``list_display`` and ``readonly_fields``; none of them queries the database
when the relations they show were fetched with ``select_related``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models

from ..fields import (
    StripeCurrencyCodeField,
    StripeDecimalCurrencyAmountField,
    StripeEnumField,
    StripeForeignKey,
    StripeIntegerField,
    get_path,
)
from ..properties import StripeProperty
from . import display, masking

#: Columns every ``StripeModel`` has; shown in fixed places, not as details.
BASE_FIELDS = (
    "djstripe_id",
    "id",
    "livemode",
    "created",
    "stripe_data",
    "description",
    "metadata",
    "djstripe_owner_account",
    "djstripe_created",
    "djstripe_updated",
    "djstripe_observed_at",
)
#: Relations shown first in changelists, when a model has them.
RELATION_PRIORITY = (
    "customer",
    "subscription",
    "invoice",
    "charge",
    "payment_intent",
    "product",
    "price",
    "account",
)
#: Text worth searching, as a column when there is one, else in ``stripe_data``.
SEARCHABLE = (
    "number",
    "code",
    "receipt_number",
    "email",
    "name",
    "nickname",
    "description",
    "receipt_email",
    "url",
    "lookup_key",
)
#: Text worth a changelist column.
LABELS = ("email", "name", "nickname", "url")
#: Enum-like columns worth a filter and a changelist column besides StripeEnumFields.
ENUM_NAMES = ("status", "type", "mode")
#: Column bookkeeping of django-polymorphic, never shown as Stripe data.
_POLYMORPHIC = ("polymorphic_ctype",)


def concrete_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """Fields with a column, minus multi-table-inheritance links."""
    return [
        f
        for f in model._meta.concrete_fields
        if not (f.remote_field and getattr(f.remote_field, "parent_link", False))
        and f.name not in _POLYMORPHIC
    ]


def field_names(model: type[models.Model]) -> set[str]:
    return {f.name for f in concrete_fields(model)}


def is_secret(field: models.Field[Any, Any]) -> bool:
    """Credentials: any column named like one, and every ``secret*`` of APIKey."""
    name = field.name
    return masking.is_secret_name(name) or (
        field.model._meta.model_name == "apikey" and name.startswith("secret")
    )


def secret_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in concrete_fields(model) if is_secret(f)]


def relations(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    """Forward relations, most useful first (the owner account is bookkeeping)."""
    fks = [
        f
        for f in concrete_fields(model)
        if isinstance(f, models.ForeignKey) and f.name != "djstripe_owner_account"
    ]
    rank = {name: i for i, name in enumerate(RELATION_PRIORITY)}
    return sorted(fks, key=lambda f: rank.get(f.name, len(rank)))


def stripe_relations(model: type[models.Model]) -> list[StripeForeignKey]:
    return [f for f in relations(model) if isinstance(f, StripeForeignKey)]


def has_own_str(model: type[models.Model]) -> bool:
    """Whether ``model`` defines ``__str__`` beyond "its Stripe id"."""
    from ..models.base import StripeModel

    return model.__str__ not in (StripeModel.__str__, models.Model.__str__)


def str_relations(
    model: type[models.Model], prefix: str = "", depth: int = 1
) -> list[str]:
    """``select_related`` paths that showing ``str(row)`` of ``model`` may need.

    A model's own ``__str__`` may read its relations (``f"{self.customer}
    on {self.plan}"``); joining them keeps a changelist free of one query per
    row. ``depth`` bounds how far such ``__str__`` chains are followed.
    """
    if depth <= 0 or not has_own_str(model):
        return []
    found = []
    for f in relations(model):
        found.append(f"{prefix}{f.name}")
        found += str_relations(f.related_model, f"{prefix}{f.name}__", depth - 1)
    return found


def currency_field(model: type[models.Model]) -> models.Field[Any, Any] | None:
    for f in concrete_fields(model):
        if isinstance(f, StripeCurrencyCodeField) or f.name == "currency":
            return f
    return None


def amount_fields(
    model: type[models.Model],
) -> list[tuple[models.Field[Any, Any], bool]]:
    """Money columns as ``(field, in_minor_units)``.

    ``StripeDecimalCurrencyAmountField`` holds major units; an integer column
    named like an amount, on a model with a currency, holds Stripe's minor units.
    """
    found: list[tuple[models.Field[Any, Any], bool]] = []
    has_currency = currency_field(model) is not None
    for f in concrete_fields(model):
        if isinstance(f, StripeDecimalCurrencyAmountField):
            found.append((f, False))
        elif (
            isinstance(f, StripeIntegerField)
            and has_currency
            and (f.name in ("amount", "total", "subtotal") or "amount" in f.name)
        ):
            found.append((f, True))
    found.sort(key=lambda item: (item[0].name != "amount", item[0].name))
    return found


def amount_properties(model: type[models.Model]) -> list[tuple[StripeProperty, bool]]:
    """Money read from ``stripe_data`` as ``(property, in_minor_units)``: those
    declared ``kind="amount"`` convert themselves; others named like an amount
    hold Stripe's minor units. Only on models that know their currency."""
    if currency_field(model) is None and not isinstance(
        getattr(model, "currency", None), StripeProperty
    ):
        return []
    found = []
    for name in sorted(dir(model)):
        prop = getattr(model, name, None)
        if not isinstance(prop, StripeProperty) or "amount" not in name:
            continue
        if prop.kind == "amount":
            found.append((prop, False))
        elif (
            prop.kind is None and prop.convert is None and not name.endswith("_decimal")
        ):
            found.append((prop, True))
    found.sort(
        key=lambda item: (item[0].name not in ("amount", "unit_amount"), item[0].name)
    )
    return found


def labels(model: type[models.Model]) -> list[str]:
    """Text naming an object (email, name...): columns, or StripeProperties."""
    names = field_names(model)
    return [
        name
        for name in LABELS
        if name in names or isinstance(getattr(model, name, None), StripeProperty)
    ]


def enum_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in concrete_fields(model)
        if isinstance(f, StripeEnumField)
        or (f.name in ENUM_NAMES and isinstance(f, models.CharField))
    ]


def search_fields(model: type[models.Model]) -> list[str]:
    """Exact Stripe ids (the object's, its relations'), then text columns, then
    text that only ``stripe_data`` holds (read through a ``StripeProperty``)."""
    names = field_names(model)
    found = ["=id"]
    found += [f"={f.name}__{f.target_field.name}" for f in stripe_relations(model)]
    for name in SEARCHABLE:
        if name in names:
            found.append(name)
        elif isinstance(getattr(model, name, None), StripeProperty):
            found.append(f"stripe_data__{getattr(model, name).path.replace('.', '__')}")
    for relation in stripe_relations(model):
        # What names the related object: a customer's email, a product's name.
        if relation.name == "customer":
            found.append("customer__email")
        elif relation.name in ("product", "coupon", "price"):
            label = "nickname" if relation.name == "price" else "name"
            if label in field_names(relation.related_model):
                found.append(f"{relation.name}__{label}")
    return found


def _currency_of(
    obj: Any, field: models.Field[Any, Any] | StripeProperty
) -> str | None:
    path = getattr(field, "currency_path", "currency")
    value = obj.__dict__.get(path) if "." not in path else None
    return cast(str | None, value or get_path(obj.stripe_data or {}, path))


def amount_column(
    field: models.Field[Any, Any], minor_units: bool
) -> Callable[[Any], str]:
    """``$10.50 USD``: the amount with its object's currency."""

    @admin.display(description=field.verbose_name, ordering=field.name)
    def column(obj: models.Model) -> str:
        return display.format_amount(
            getattr(obj, field.attname),
            _currency_of(obj, field),
            minor_units=minor_units,
        )

    column.__name__ = field.name
    return column


def amount_property_column(
    prop: StripeProperty, minor_units: bool
) -> Callable[[Any], str]:
    """Like :func:`amount_column`, for money that only ``stripe_data`` holds."""

    @admin.display(description=prop.name.replace("_", " "))
    def column(obj: models.Model) -> str:
        return display.format_amount(
            prop.__get__(obj), _currency_of(obj, prop), minor_units=minor_units
        )

    column.__name__ = prop.name
    return column


def related_object(
    obj: models.Model, field: models.ForeignKey[Any, Any]
) -> tuple[Any, Any]:
    """``(stripe_id, row)`` of a relation; ``row`` is ``None`` until that object
    is mirrored (relations point at Stripe ids and may lead nowhere yet)."""
    value = getattr(obj, field.attname)
    if value is None or value == "":
        return None, None
    try:
        return value, getattr(obj, field.name)
    except ObjectDoesNotExist:
        return value, None


def relation_column(
    field: models.ForeignKey[Any, Any], site_name: str = "admin"
) -> Callable[[Any], Any]:
    """A link to the related object's admin page (its raw id if not mirrored)."""

    @admin.display(description=field.verbose_name, ordering=field.attname)
    def column(obj: models.Model) -> Any:
        value, target = related_object(obj, field)
        if target is None:
            return value or ""
        return display.link(
            display.admin_change_url(target, site_name), display.object_label(target)
        )

    column.__name__ = field.name
    return column


def secret_column(field: models.Field[Any, Any]) -> Callable[[Any], str]:
    @admin.display(description=field.verbose_name)
    def column(obj: models.Model) -> str:
        return masking.mask_secret(getattr(obj, field.attname))

    column.__name__ = field.name
    return column


def json_column(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    @admin.display(description=field.verbose_name)
    def column(obj: models.Model) -> Any:
        value = getattr(obj, field.attname)
        if value in (None, {}, []):
            return ""
        return display.pretty_json(value, open=True)

    column.__name__ = field.name
    return column


#: Columns shown as status badges.
STATUS_NAMES = ("status",)
#: Properties holding money in minor units though not named ``*amount*``.
MINOR_AMOUNTS = ("balance", "fee", "net", "unit_amount")


def column_for(
    model: type[models.Model], name: str, site_name: str = "admin"
) -> str | Callable[[Any], Any]:
    """The column (for ``list_display`` or ``readonly_fields``) that shows
    ``name`` of ``model`` the way an operator reads it: money with its
    currency, statuses as badges, dates relative and exact, relations as
    links, secrets masked. Names the admin cannot improve are returned as is.
    """
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    if field is not None and field.concrete and name != "id":
        return _field_column(model, field, site_name)
    prop = getattr(model, name, None)
    if isinstance(prop, StripeProperty):
        return _property_column(model, prop)
    return name


def _field_column(
    model: type[models.Model], field: models.Field[Any, Any], site_name: str
) -> str | Callable[[Any], Any]:
    amounts = dict(amount_fields(model))
    if is_secret(field):
        return secret_column(field)
    if field in amounts:
        return amount_column(field, amounts[field])
    if isinstance(field, models.ForeignKey):
        return relation_column(field, site_name)
    if field.name in STATUS_NAMES:
        return status_column(
            field.name, cast(str, field.verbose_name), ordering=field.name
        )
    if isinstance(field, models.DateTimeField):
        return date_column(
            field.name, cast(str, field.verbose_name), ordering=field.name
        )
    if isinstance(field, models.JSONField):
        return json_column(field)
    return field.name


def _property_column(
    model: type[models.Model], prop: StripeProperty
) -> Callable[[Any], Any]:
    amounts = dict(amount_properties(model))
    if prop in amounts:
        return amount_property_column(prop, amounts[prop])
    if prop.name in MINOR_AMOUNTS:
        return amount_property_column(prop, True)
    if prop.name in STATUS_NAMES:
        return status_column(prop.name, prop.name)
    if prop.kind == "timestamp":
        return date_column(prop.name, prop.name.replace("_", " "))

    @admin.display(description=prop.name.replace("_", " "))
    def column(obj: models.Model) -> Any:
        return display.plain(prop.__get__(obj))

    column.__name__ = prop.name
    return column


def status_column(
    name: str, description: str, ordering: str | None = None
) -> Callable[[Any], Any]:
    """A status as a coloured badge (``past_due`` → "Past due", in yellow)."""

    @admin.display(description=description, ordering=ordering)
    def column(obj: models.Model) -> Any:
        return display.status_badge(getattr(obj, name))

    column.__name__ = name
    return column


def date_column(
    name: str, description: str, ordering: str | None = None
) -> Callable[[Any], Any]:
    """A date as "3 days ago" over its exact time."""

    @admin.display(description=description, ordering=ordering)
    def column(obj: models.Model) -> Any:
        return display.when(getattr(obj, name))

    column.__name__ = name
    return column
