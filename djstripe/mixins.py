"""dj-stripe's view mixins: the publishable key, the plans and the current
subscriber's customer and subscription in a template's context.

>>> class PricingView(SubscriptionMixin, TemplateView):
...     template_name = "pricing.html"   # {{ customer.subscription.plan }}
"""

from __future__ import annotations

import sys
import traceback
from typing import Any, cast

from django.apps import apps
from django.db.models import QuerySet
from django.http import HttpRequest

from .settings import djstripe_settings


def _plans() -> QuerySet[Any]:
    """The plans to offer: ``Plan`` rows where that model exists, else the
    recurring prices (Stripe's plans are recurring prices under another name)."""
    try:
        Plan: Any = apps.get_model("djstripe", "Plan")  # type: ignore[misc]
        return cast("QuerySet[Any]", Plan.objects.all())
    except LookupError:
        Price: Any = apps.get_model("djstripe", "Price")
        return cast(
            "QuerySet[Any]", Price.objects.filter(stripe_data__type="recurring")
        )


class PaymentsContextMixin:
    """Adds ``STRIPE_PUBLIC_KEY`` and ``plans`` to the context."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(
            {
                "STRIPE_PUBLIC_KEY": djstripe_settings.STRIPE_PUBLIC_KEY,
                "plans": _plans(),
            }
        )
        return context


class SubscriptionMixin(PaymentsContextMixin):
    """Adds ``customer`` (the request's subscriber's, created in Stripe if
    needed), ``subscription`` and ``is_plans_plural`` to the context."""

    request: HttpRequest

    def get_context_data(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .models import Customer

        context = super().get_context_data(**kwargs)
        context["is_plans_plural"] = context["plans"].count() > 1
        subscriber = djstripe_settings.subscriber_request_callback(self.request)
        context["customer"], _created = Customer.get_or_create(subscriber=subscriber)
        context["subscription"] = context["customer"].subscription
        return context


class VerbosityAwareOutputMixin:
    """Output helpers for management commands that honour ``--verbosity``."""

    verbosity = 1

    def set_verbosity(self, options: dict[str, Any]) -> None:
        self.verbosity = options["verbosity"]

    def output(self, arg: Any) -> None:
        """Print unless output is silenced (verbosity 0)."""
        if self.verbosity > 0:
            print(arg)

    def verbose_output(self, arg: Any) -> None:
        """Print only when output is verbose (verbosity 2 and up)."""
        if self.verbosity > 1:
            print(arg)

    def verbose_traceback(self) -> None:
        """Print the current exception's traceback when output is verbose."""
        if self.verbosity > 1:
            traceback.print_exception(*sys.exc_info())
