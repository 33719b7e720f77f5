"""Small helpers of dj-stripe's public API: timestamps, amounts, currencies.

They keep dj-stripe's outputs exactly (``get_friendly_currency_amount(4.5,
"usd") == "$4.50 USD"``), so templates and e-mails written for dj-stripe
render the same.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone

from . import stripe_api
from .fields import stripe_id_of
from .money import CURRENCY_SIGILS, get_friendly_currency_amount  # noqa: F401 (public)

logger = logging.getLogger(__name__)

#: How long an idempotency key is worth keeping: Stripe forgets keys after 24h.
IDEMPOTENCY_KEY_LIFETIME = datetime.timedelta(hours=24)


def get_timezone_utc() -> datetime.tzinfo:
    """The UTC timezone (``datetime.UTC``)."""
    return datetime.UTC


def convert_tstamp(response: int | float | None) -> datetime.datetime | None:
    """A Stripe timestamp (seconds since the epoch) as a datetime.

    Aware, in UTC, when ``USE_TZ`` is on; naive local time otherwise, as
    Django stores datetimes in each case. ``None`` stays ``None``.
    """
    if response is None:
        return None
    tz = get_timezone_utc() if settings.USE_TZ else None
    return datetime.datetime.fromtimestamp(response, tz)


def get_supported_currency_choices(api_key: str) -> list[tuple[str, str]]:
    """Choices of the currencies the key's account can charge in.

    Reads the account (``GET /v1/account``) and its country's spec
    (``GET /v1/country_specs/<country>``): ``[("usd", "USD"), ...]``.
    """
    account = stripe_api.request("get", "/v1/account", api_key=api_key)
    spec = stripe_api.retrieve("/v1/country_specs", account["country"], api_key=api_key)
    return [
        (currency, currency.upper())
        for currency in spec["supported_payment_currencies"]
    ]


def get_id_from_stripe_data(data: Any) -> str | None:
    """The Stripe id in a relation value: an id string or an expanded object."""
    return stripe_id_of(data)


def get_model(model_name: str) -> type[Model]:
    """A djstripe model by name (``get_model("Customer")``)."""
    return apps.get_app_config("djstripe").get_model(model_name)


def get_queryset(pks: Iterable[Any], model_name: str) -> QuerySet[Any]:
    """The rows of ``model_name`` with these primary keys."""
    model: Any = get_model(model_name)
    return cast("QuerySet[Any]", model.objects.filter(pk__in=pks))


def clear_expired_idempotency_keys() -> int:
    """Delete the ``IdempotencyKey`` rows older than 24 hours; return how many."""
    model: Any = get_model("IdempotencyKey")
    threshold = timezone.now() - IDEMPOTENCY_KEY_LIFETIME
    deleted: int
    deleted, _ = model.objects.filter(created__lt=threshold).delete()
    return deleted


class QuerySetMock(QuerySet[Any]):
    """A read-only QuerySet over a list of (unsaved) instances.

    Serves objects that are never rows, such as the lines of an upcoming
    invoice, to code that expects a queryset: it filters nothing, and its
    ``update`` and ``delete`` change nothing.
    """

    _prefetch_done: bool

    @classmethod
    def from_iterable(cls, model: type[Model], iterable: Iterable[Any]) -> QuerySetMock:
        instance = cls(model)
        instance._result_cache = list(iterable)
        instance._prefetch_done = True
        return instance

    def _clone(self) -> QuerySetMock:
        return self.__class__.from_iterable(self.model, self._result_cache or [])

    def update(self, **kwargs: Any) -> int:
        return 0

    def delete(self) -> int:  # type: ignore[override]
        return 0
