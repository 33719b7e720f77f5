"""Add forms for the two things the admin may create: a webhook endpoint (in
Stripe, then mirrored) and an API key (a local record)."""

from __future__ import annotations

from typing import Any, cast

import stripe
from django import forms
from django.db import models
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables

from .. import stripe_api
from ..settings import djstripe_settings

_MODES = (("test", "Test mode"), ("live", "Live mode"))


class WebhookEndpointCreateForm(forms.ModelForm):  # type: ignore[type-arg]
    """Creates the endpoint in Stripe while validating, so that Stripe's
    refusal (a bad URL, an unknown event type) shows as a form error.

    ``stripe_object`` then holds Stripe's answer, which includes the signing
    secret: Stripe returns it only this once.
    """

    url = forms.URLField(
        max_length=2048,
        assume_scheme="https",
        help_text="The HTTPS URL Stripe will POST events to (djstripe's webhook view).",
    )
    enabled_events = forms.CharField(
        initial="*",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Event types, separated by commas or new lines; * for all.",
    )
    description = forms.CharField(required=False, max_length=5000)
    mode = forms.ChoiceField(choices=_MODES, help_text="Which secret key creates it.")
    connect = forms.BooleanField(
        required=False, help_text="Receive events from connected accounts."
    )
    api_version = forms.CharField(
        required=False,
        max_length=64,
        help_text="The API version of the payloads (default: the version djstripe uses).",
    )

    class Meta:
        fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["mode"].initial = (
            "live" if djstripe_settings.STRIPE_LIVE_MODE else "test"
        )
        self.stripe_object: dict[str, Any] | None = None

    def clean_enabled_events(self) -> list[str]:
        text = self.cleaned_data["enabled_events"].replace(",", "\n")
        events = [line.strip() for line in text.splitlines() if line.strip()]
        if not events:
            raise forms.ValidationError("Enter at least one event type, or *.")
        return events

    def stripe_params(self) -> dict[str, Any]:
        data = self.cleaned_data
        params: dict[str, Any] = {
            "url": data["url"],
            "enabled_events": data["enabled_events"],
        }
        if data.get("description"):
            params["description"] = data["description"]
        if data.get("connect"):
            params["connect"] = True
        params["api_version"] = (
            data.get("api_version")
            or djstripe_settings.STRIPE_API_VERSION
            or stripe.api_version
        )
        return params

    @method_decorator(sensitive_variables("api_key"))
    def clean(self) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], super().clean())
        if self.errors:
            return cleaned
        api_key = djstripe_settings.get_default_api_key(cleaned.get("mode") == "live")
        try:
            self.stripe_object = stripe_api.create(
                "/v1/webhook_endpoints", self.stripe_params(), api_key=api_key
            )
        except stripe.StripeError as error:
            raise forms.ValidationError(
                f"Stripe refused the endpoint: {getattr(error, 'user_message', None) or error}"
            )
        self.api_key = api_key
        return cleaned


def api_key_form(model: type[models.Model]) -> type[forms.ModelForm[Any]]:
    """A form for the fields of ``model`` a person types in (name, secret),
    the secret in a password input that never echoes it back."""
    editable = {f.name for f in model._meta.concrete_fields if f.editable}
    fields = tuple(name for name in ("name", "secret") if name in editable)
    widgets = (
        {"secret": forms.PasswordInput(render_value=False)}
        if "secret" in fields
        else {}
    )
    meta = type("Meta", (), {"model": model, "fields": fields, "widgets": widgets})
    return type(f"{model.__name__}AddForm", (forms.ModelForm,), {"Meta": meta})
