"""Helpers shared by the webhook tests: events, signed posts, a scripted Stripe."""

from __future__ import annotations

import copy
import email.utils
import itertools
import json
import time

from django.urls import reverse
from stripe import HTTPClient

from djstripe.testing.webhooks import sign_payload

SECRET = "whsec_djstripe_tests"  # tests/settings.py DJSTRIPE_WEBHOOK_SECRET
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z

_ids = itertools.count(1)


def make_event(
    event_type: str,
    obj: dict,
    created: int = T0,
    *,
    id: str | None = None,
    previous_attributes: dict | None = None,
    **extra,
) -> dict:
    """A Stripe-shaped v1 event carrying a copy of ``obj``."""
    data: dict = {"object": copy.deepcopy(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": id or f"evt_test_{next(_ids):08d}",
        "object": "event",
        "api_version": "2023-08-16",
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        **extra,
    }


def post(
    client,
    payload,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    url: str | None = None,
    signature: str | None = None,
    **headers,
):
    """POST ``payload`` (dict or raw str/bytes) signed like Stripe would."""
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    if signature is None:
        signature = sign_payload(body, secret, timestamp)
    return client.post(
        url or reverse("djstripe:webhook"),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
        **headers,
    )


class ScriptedStripe(HTTPClient):
    """Answers GETs from ``objects`` (path → object or list of objects, served
    in turn) and records every request; unknown paths answer 404."""

    name = "scripted"

    def __init__(self, objects: dict | None = None, *, date: int | None = None):
        super().__init__()
        self.objects = dict(objects or {})
        self.calls: list[tuple[str, str]] = []
        self.date = date

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        from urllib.parse import urlsplit

        path = urlsplit(url).path
        self.calls.append((method.upper(), url))
        answer = self.objects.get(path)
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        stamp = self.date if self.date is not None else time.time()
        response_headers = {
            "Request-Id": "req_scripted",
            "Date": email.utils.formatdate(stamp, usegmt=True),
        }
        if answer is None:
            error = {"error": {"type": "invalid_request_error", "message": "No such"}}
            return json.dumps(error), 404, response_headers
        return json.dumps(answer), 200, response_headers

    @property
    def paths(self) -> list[str]:
        from urllib.parse import urlsplit

        return [urlsplit(url).path for _, url in self.calls]
