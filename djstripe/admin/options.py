"""Which admin each djstripe model gets, and the few that differ.

Every model of the djstripe app is registered: ``StripeModelAdmin`` for
mirrored Stripe objects, ``RecordAdmin`` for djstripe's own records. Where the
derived defaults are not enough, ``MIXINS`` and ``OVERRIDES`` (keyed by model
name, so they apply once a model of that name exists) add behaviour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest

from ..models.base import StripeModel
from . import actions, areas, pages
from .base import RecordAdmin, StripeModelAdmin
from .forms import WebhookEndpointCreateForm, api_key_form
from .webhooks import WebhookEventTriggerAdmin

if TYPE_CHECKING:  # the admins these mixins are mixed into
    _Admin = StripeModelAdmin
else:
    _Admin = object


class CreateWebhookEndpointMixin(_Admin):
    """Adding a webhook endpoint creates it in Stripe, then mirrors Stripe's
    answer through the engine (the mirror is never written directly)."""

    allow_add = True

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        if obj is None:
            return forms.modelform_factory(
                self.model, form=WebhookEndpointCreateForm, fields=()
            )
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return [(None, {"fields": list(WebhookEndpointCreateForm.base_fields)})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [] if obj is None else super().get_readonly_fields(request, obj)

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        row = self.model.sync_from_stripe_data(form.stripe_object, api_key=form.api_key)
        obj.__dict__.update(row.__dict__)
        self.message_user(
            request,
            f"Created webhook endpoint {row.id} in Stripe. Its signing secret is stored "
            "in the mirror (shown masked); Stripe will not show it again.",
            messages.SUCCESS,
        )


class AddAPIKeyMixin(_Admin):
    """API keys are djstripe's own records (Stripe has no API for them): they
    are added here and saved the ordinary way, the model deriving the rest."""

    allow_add = True
    allow_delete = True

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        if obj is None:
            return api_key_form(self.model)
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return [(None, {"fields": list(api_key_form(self.model).base_fields)})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        return [] if obj is None else super().get_readonly_fields(request, obj)


class CancelSubscriptionsMixin:
    """ "Cancel selected subscriptions", for users with the permission to."""

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("djstripe.cancel_subscription")


class RefundChargesMixin:
    """ "Refund selected charges", for users with the permission to."""

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("djstripe.refund_charge")


#: Behaviour added to the admin of a model, by model name.
MIXINS: dict[str, tuple[type, ...]] = {
    "webhookendpoint": (CreateWebhookEndpointMixin,),
    "apikey": (AddAPIKeyMixin,),
    "subscription": (CancelSubscriptionsMixin,),
    "charge": (RefundChargesMixin,),
}

#: Admin attributes that differ from the derived defaults, by model name.
OVERRIDES: dict[str, dict[str, Any]] = {
    "event": {
        "actions": [actions.resync_from_stripe, actions.reprocess],
        "search_fields": ("=id", "type", "=request_id", "=idempotency_key"),
    },
    "apikey": {"actions": []},
    "subscription": {
        "actions": [actions.resync_from_stripe, actions.cancel_subscriptions]
    },
    "charge": {"actions": [actions.resync_from_stripe, actions.refund_charges]},
}


#: Admins written for one model, by model name.
ADMINS: dict[str, type[admin.ModelAdmin[Any]]] = {
    "webhookeventtrigger": WebhookEventTriggerAdmin,
}


def admin_class_for(model: type[models.Model]) -> type[admin.ModelAdmin[Any]]:
    """The admin class of ``model``: its own, or the generic one plus any
    mixins and overrides its name calls for."""
    name = model._meta.model_name
    if name in ADMINS:
        return ADMINS[name]
    base = StripeModelAdmin if issubclass(model, StripeModel) else RecordAdmin
    mixins = MIXINS.get(name or "", ())
    if name in pages.FACT_MIXINS:
        mixins = (*mixins, pages.FACT_MIXINS[name])
    attrs = dict(OVERRIDES.get(name or "", {}))
    if not mixins and not attrs:
        return base
    attrs["__module__"] = __name__
    return type(f"{model.__name__}Admin", (*mixins, base), attrs)


def register_all(site: admin.AdminSite = admin.site) -> list[type[models.Model]]:
    """Register every djstripe model not registered yet; return those added.

    A project that registered its own admin for a model keeps it. The site's
    app list then shows djstripe's models by area (see ``areas``).
    """
    site.get_app_list = areas.grouped(site.get_app_list)  # type: ignore[method-assign]
    added = []
    for model in apps.get_app_config("djstripe").get_models():
        if site.is_registered(model):
            continue
        site.register(model, admin_class_for(model))
        added.append(model)
    return added
