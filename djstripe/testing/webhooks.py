"""Signed webhook payloads, and delivery of the fake's events to endpoints.

``sign_payload`` produces the ``Stripe-Signature`` header exactly as Stripe
does (HMAC-SHA256 of ``"{timestamp}.{payload}"`` with the endpoint secret), so
a webhook view under test verifies it with the real ``stripe.Webhook`` code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import hooks

if TYPE_CHECKING:
    from .fake import FakeStripe

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def sign_payload(
    payload: bytes | str, secret: str, timestamp: int | None = None
) -> str:
    """The ``Stripe-Signature`` header value for ``payload`` signed with ``secret``."""
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8")
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_event(
    client: Any, url: str, event: dict, secret: str, timestamp: int | None = None
):
    """POST ``event`` to ``url`` with Django's test ``client``, signed like Stripe."""
    body = json.dumps(event)
    return client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_payload(body, secret, timestamp),
    )


def event_matches(pattern: str, event_type: str) -> bool:
    """``*`` matches everything, ``customer.*`` every ``customer.`` event."""
    if pattern == "*" or pattern == event_type:
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


def urllib_transport(url: str, body: bytes, headers: dict) -> int:
    """POST with urllib, refusing anything but a loopback address."""
    host = urlsplit(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"FakeStripe only delivers webhooks to loopback, not {host!r}")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def deliver(
    fake: FakeStripe,
    jobs: list[tuple[dict, dict]],
    chaos: random.Random | None = None,
    duplicate: float = 0.0,
    reorder: bool = False,
) -> list[tuple[str, str, int]]:
    """Send each (event, endpoint) job; chaos may duplicate and shuffle them."""
    if chaos is not None:
        jobs = [
            job for job in jobs for _ in range(2 if chaos.random() < duplicate else 1)
        ]
        if reorder:
            chaos.shuffle(jobs)
    transport = fake.webhook_transport or urllib_transport
    results = []
    for event, endpoint in jobs:
        body = json.dumps(fake.render(event)).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign_payload(body, endpoint["_secret"]),
        }
        status = transport(endpoint["url"], body, headers)
        if 200 <= status < 300 and event.get("pending_webhooks", 0) > 0:
            event["pending_webhooks"] -= 1
        results.append((event["id"], endpoint["url"], status))
    return results


@hooks.prepare("webhook_endpoint")
def _prepare_endpoint(fake: FakeStripe, obj: dict, params: dict) -> None:
    obj["_secret"] = "whsec_" + fake.random_token(32)
    obj["status"] = "enabled"
    obj["api_version"] = params.get("api_version")
    obj["_connect"] = bool(params.get("connect"))


@hooks.route("POST", r"/v1/webhook_endpoints", "/v1/webhook_endpoints")
def _create_endpoint(fake: FakeStripe, match, params: dict) -> tuple[int, dict]:
    """Like the generic create, but the secret is revealed (only) here."""
    from .errors import invalid

    for required in ("url", "enabled_events"):
        if not params.get(required):
            raise invalid(f"Missing required param: {required}.", param=required)
    expand = params.pop("expand", None) or []
    obj = fake.create("webhook_endpoint", params)
    return 200, {**fake.render(obj, expand), "secret": obj["_secret"]}


@hooks.on_update("webhook_endpoint")
def _update_endpoint(fake: FakeStripe, obj: dict, params: dict, old: dict) -> None:
    if params.get("disabled") is not None:
        obj["status"] = "disabled" if params["disabled"] else "enabled"


@hooks.list_filter("event", "type")
def _event_type(fake: FakeStripe, event: dict, pattern) -> bool:
    return event_matches(pattern, event["type"])


@hooks.list_filter("event", "types")
def _event_types(fake: FakeStripe, event: dict, patterns) -> bool:
    patterns = patterns if isinstance(patterns, list) else [patterns]
    return any(event_matches(p, event["type"]) for p in patterns)
