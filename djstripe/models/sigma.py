"""Sigma: results of scheduled SQL queries."""

from __future__ import annotations

from typing import cast

import stripe

from ..fields import StripeCharField, StripeEnumField, StripeForeignKey
from ..properties import StripeProperty
from .base import StripeModel


class ScheduledQueryRun(StripeModel):
    """One run of a scheduled Sigma query; its result is a File.

    Stripe documentation: https://stripe.com/docs/api/sigma/scheduled_queries?lang=python
    """

    stripe_class = stripe.sigma.ScheduledQueryRun

    file = StripeForeignKey("djstripe.File", related_name="scheduled_query_runs")
    status = StripeEnumField(enum=("canceled", "completed", "failed", "timed_out"))
    title = StripeCharField(max_length=5000)

    sql = StripeProperty("The query's SQL.")
    data_load_time = StripeProperty(
        "When the queried data was loaded.", kind="timestamp"
    )
    result_available_until = StripeProperty(
        "When the result file expires.", kind="timestamp"
    )

    def __str__(self) -> str:
        return cast(str, self.title or self.id)
