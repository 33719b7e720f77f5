"""Which model mirrors which Stripe object type.

Models register themselves when Django prepares their class (see
``djstripe.models.base``); the engine only ever looks models up here, so it
never imports a concrete model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from djstripe.models.base import StripeModel

_models_by_object: dict[str, type[StripeModel]] = {}


def register(model: type[StripeModel]) -> None:
    """Map ``model.stripe_object_name`` (and its aliases) to ``model``."""
    for name in (model.stripe_object_name, *model.stripe_object_aliases):
        existing = _models_by_object.get(name)
        if existing is not None and existing is not model:
            if existing._meta.label == model._meta.label:  # re-import in tests
                pass
            elif not model.stripe_register_as_default:
                continue
        _models_by_object[name] = model


def model_for(object_name: str | None) -> type[StripeModel] | None:
    """The model that mirrors Stripe objects whose ``object`` is ``object_name``."""
    if not object_name:
        return None
    return _models_by_object.get(object_name)


def registered() -> dict[str, type[StripeModel]]:
    """A copy of the whole registry, ``{"customer": Customer, ...}``."""
    return dict(_models_by_object)
