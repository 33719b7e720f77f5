"""The Stripe transport: the only code in djstripe that talks to Stripe.

Everything that reads from or writes to Stripe goes through the functions at
the bottom of this module (:func:`request`, :func:`retrieve`, :func:`list_page`,
:func:`iter_pages`, :func:`create`, :func:`update`, :func:`delete`), which
return plain ``dict`` objects as Stripe sent them. Around stripe-python's
``StripeClient`` this adds what a mirror that makes many calls needs:

* one client per (API key, connected account), with the API version pinned
  (stripe-python's own pin unless ``DJSTRIPE_STRIPE_API_VERSION`` says
  otherwise), so every object djstripe stores has one shape;
* retries of 429, 409, 5xx and network errors with exponential backoff that
  honours ``Retry-After``; a 4xx other than those is final;
* a token-bucket rate limiter shared by every thread of the process, at
  Stripe's limits (25 requests/s in test mode, 100 live) unless configured;
* an idempotency key on every write, the same key on each retry of that write;
* a request counter, for tests and benchmarks.

Tests replace the HTTP layer beneath all this (:func:`use_http_client`), never
this module, so that the retry, rate and idempotency logic is what runs.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import stripe
from django.views.decorators.debug import sensitive_variables
from stripe import HTTPClient

from ._text import clean_json
from .settings import djstripe_settings

__all__ = [
    "RateLimiter",
    "RequestCounter",
    "StripeData",
    "StripePage",
    "counter",
    "create",
    "delete",
    "get_client",
    "iter_pages",
    "list_page",
    "request",
    "retrieve",
    "update",
    "use_http_client",
]

#: Stripe's documented request rates, per second.
LIVE_RATE_LIMIT = 100.0
TEST_RATE_LIMIT = 25.0
#: First backoff delay and its cap, in seconds.
INITIAL_RETRY_DELAY = 0.5


# -- Request counting ----------------------------------------------------------


@dataclass
class RequestCounter:
    """Counts requests sent to Stripe (each retry counts), by method and path.

    ``counter.total`` and ``counter.by_endpoint`` are read by benchmarks and
    tests; :meth:`counting` gives a fresh count for a block of code.
    """

    total: int = 0
    retries: int = 0
    by_endpoint: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, url: str, *, retry: bool) -> None:
        path = urlsplit(url).path
        with self._lock:
            self.total += 1
            self.retries += retry
            self.by_endpoint[f"{method.upper()} {path}"] += 1

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.retries = 0
            self.by_endpoint.clear()

    @contextlib.contextmanager
    def counting(self) -> Iterator[RequestCounter]:
        """Yield a counter of the requests made inside the block."""
        block = RequestCounter()
        _block_counters.append(block)
        try:
            yield block
        finally:
            _block_counters.remove(block)


counter = RequestCounter()
_block_counters: list[RequestCounter] = []


def _record(method: str, url: str, *, retry: bool) -> None:
    counter.record(method, url, retry=retry)
    for block in list(_block_counters):
        block.record(method, url, retry=retry)


# -- Rate limiting ---------------------------------------------------------------


class RateLimiter:
    """A token bucket: at most ``rate`` requests per second, bursts of ``burst``.

    Thread-safe; ``acquire`` sleeps until a token is free. ``clock`` and
    ``sleep`` are injectable so tests need not wait.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.rate = rate
        self.capacity = burst if burst is not None else max(rate, 1.0)
        self.clock = clock
        self.sleep = sleep
        self._tokens = self.capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, waiting as needed; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                elapsed = max(0.0, now - self._updated)
                self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
                self._updated = now
                if self._tokens >= 1 - 1e-9:  # float drift must not starve
                    self._tokens = max(0.0, self._tokens - 1)
                    return waited
                delay = (1 - self._tokens) / self.rate
            self.sleep(delay)
            waited += delay


_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def _limiter_for(api_key: str) -> RateLimiter | None:
    """The process-wide limiter of ``api_key``'s mode, or None when disabled."""
    rate = djstripe_settings.RATE_LIMIT
    live = "_live_" in api_key[:8]
    if rate is None:
        rate = LIVE_RATE_LIMIT if live else TEST_RATE_LIMIT
    if rate <= 0:
        return None
    name = f"{'live' if live else 'test'}:{rate}"
    with _limiters_lock:
        limiter = _limiters.get(name)
        if limiter is None:
            limiter = _limiters[name] = RateLimiter(rate)
        return limiter


# -- Retries ---------------------------------------------------------------------


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _should_retry(status: int | None, headers: Mapping[str, str] | None) -> bool:
    if status is None:  # a network error
        return True
    for key, value in (headers or {}).items():
        if key.lower() == "stripe-should-retry":
            return value == "true"
    return status in (409, 429) or status >= 500


def backoff_delay(attempt: int, headers: Mapping[str, str] | None = None) -> float:
    """How long to wait before retry number ``attempt`` (1, 2, ...).

    Exponential with jitter, capped by ``DJSTRIPE_RETRY_MAX_DELAY``; a
    ``Retry-After`` from Stripe wins when it asks for longer.
    """
    cap = djstripe_settings.RETRY_MAX_DELAY
    delay = INITIAL_RETRY_DELAY * 2 ** (attempt - 1)
    delay *= 0.75 + random.random() / 2
    asked = _retry_after(headers)
    if asked is not None:
        delay = max(delay, asked)
    return min(delay, cap)


class _TransportClient(HTTPClient):
    """The HTTP client every djstripe ``StripeClient`` uses.

    It wraps the real one (stripe-python's default, or whatever a test
    installed) and owns the retry loop, so that rate limiting and counting
    apply to every attempt, and the headers (with their idempotency key) are
    sent unchanged on each retry.
    """

    name = "djstripe"

    def __init__(self, api_key: str):
        super().__init__()
        self.api_key = api_key

    def request_with_retries(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        post_data: Any = None,
        max_network_retries: int | None = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        retries = djstripe_settings.MAX_RETRIES
        limiter = _limiter_for(self.api_key)
        attempt = 0
        while True:
            if limiter is not None:
                limiter.acquire()
            _record(method, url, retry=attempt > 0)
            try:
                response = _http_client().request(method, url, headers, post_data)
                status, rheaders, error = response[1], response[2], None
            except stripe.APIConnectionError as exc:
                response, status, rheaders, error = None, None, None, exc
            if attempt >= retries or not _should_retry(status, rheaders):
                if error is not None:
                    raise error
                return response
            attempt += 1
            _sleep(backoff_delay(attempt, rheaders))

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        return _http_client().request(method, url, headers, post_data)

    def close(self) -> None:  # the wrapped client is shared; nothing to close
        pass


# -- The wrapped HTTP client (swapped by tests) ------------------------------------

_default_http_client: HTTPClient | None = None
_override = threading.local()
_global_override: list[HTTPClient] = []
#: The sleep used between retries (tests replace it to run instantly).
_sleep: Callable[[float], None] = time.sleep


def _http_client() -> HTTPClient:
    client = getattr(_override, "client", None)
    if client is not None:
        return client
    if _global_override:
        return _global_override[-1]
    global _default_http_client
    if _default_http_client is None:
        _default_http_client = stripe.new_default_http_client()
    return _default_http_client


@contextlib.contextmanager
def use_http_client(client: HTTPClient) -> Iterator[HTTPClient]:
    """Send every Stripe request made inside the block through ``client``.

    Any ``stripe.HTTPClient`` works: the testing kit's fake Stripe, or a stub.
    Retries, rate limiting and counting still run. Applies to all threads,
    so code under test that fans out to workers is covered too.
    """
    _global_override.append(client)
    try:
        yield client
    finally:
        _global_override.remove(client)


# -- Clients -----------------------------------------------------------------------

_clients: dict[tuple[str, str | None, str | None, str | None], stripe.StripeClient] = {}
_clients_lock = threading.Lock()


@sensitive_variables("api_key", "key")
def get_client(
    api_key: str | None = None, stripe_account: str | None = None
) -> stripe.StripeClient:
    """The ``StripeClient`` for (key, connected account), made once and reused."""
    api_key = api_key or djstripe_settings.STRIPE_SECRET_KEY
    if not api_key:
        raise stripe.AuthenticationError(
            "No Stripe API key: set STRIPE_TEST_SECRET_KEY / STRIPE_LIVE_SECRET_KEY "
            "(see `manage.py check`) or pass api_key."
        )
    version = djstripe_settings.STRIPE_API_VERSION or stripe.api_version
    base = djstripe_settings.API_BASE
    key = (api_key, stripe_account, version, base)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            options: dict[str, Any] = {}
            if base:
                options["base_addresses"] = {
                    "api": base,
                    "files": base,
                    "connect": base,
                }
            client = _clients[key] = stripe.StripeClient(
                api_key,
                stripe_account=stripe_account,
                stripe_version=version,
                http_client=_TransportClient(api_key),
                **options,
            )
        return client


# -- Requests ----------------------------------------------------------------------


class StripeData(dict):
    """A decoded Stripe response: a plain ``dict`` that also knows when Stripe
    answered (``observed_at``, from the response's ``Date`` header).

    The mirror engine stamps rows written from it with that time, Stripe's
    clock rather than ours, so that the staleness gate compares API reads and
    webhook events (stamped with ``event.created``) on one clock.
    """

    observed_at: datetime.datetime | None = None


class StripePage(list):
    """The objects of one list page, with the page's ``observed_at``."""

    observed_at: datetime.datetime | None = None


def _response_time(headers: Mapping[str, str] | None) -> datetime.datetime:
    """Stripe's ``Date`` header, or now; whole seconds, like Stripe's timestamps."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "date"), None)
    when = None
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
    if when is None or when.tzinfo is None:
        when = datetime.datetime.now(datetime.UTC)
    return when.replace(microsecond=0)


@sensitive_variables("api_key")
def request(
    method: str,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
    idempotency_key: str | None = None,
) -> dict:
    """Send one request to Stripe and return the decoded JSON body.

    Errors raise stripe-python's exceptions (``stripe.InvalidRequestError``
    for a 404 or 400, ``stripe.RateLimitError`` once retries are spent...).
    """
    client = get_client(api_key, stripe_account)
    options: dict[str, Any] = {}
    if method.lower() == "post":
        options["idempotency_key"] = idempotency_key or f"djstripe-{uuid.uuid4()}"
    response = client.raw_request(method.lower(), path, **dict(params or {}), **options)
    # Text no database can store (NUL, lone surrogates) becomes U+FFFD here.
    data = StripeData(clean_json(response.data, getattr(response, "body", None)))
    data.observed_at = _response_time(response.headers)
    return data


def retrieve(
    path: str,
    id: str,
    *,
    expand: list[str] | None = None,
    api_key: str | None = None,
    stripe_account: str | None = None,
) -> dict:
    """``GET {path}/{id}``, with ``expand[]``."""
    params = {"expand": list(expand)} if expand else None
    return request(
        "get", f"{path}/{id}", params, api_key=api_key, stripe_account=stripe_account
    )


def list_page(
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
) -> dict:
    """One page of a list endpoint (``{"data": [...], "has_more": ...}``)."""
    return request("get", path, params, api_key=api_key, stripe_account=stripe_account)


def iter_pages(
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
) -> Iterator[StripePage]:
    """Every page of a list endpoint, following ``starting_after``."""
    params = dict(params or {})
    params.setdefault("limit", 100)
    while True:
        page = list_page(path, params, api_key=api_key, stripe_account=stripe_account)
        data = StripePage(page.get("data") or [])
        data.observed_at = page.observed_at
        if data:
            yield data
        if not page.get("has_more") or not data:
            return
        params["starting_after"] = data[-1]["id"]


def create(
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
    idempotency_key: str | None = None,
) -> dict:
    """``POST {path}``: create an object."""
    return request(
        "post",
        path,
        params,
        api_key=api_key,
        stripe_account=stripe_account,
        idempotency_key=idempotency_key,
    )


def update(
    path: str,
    id: str,
    params: Mapping[str, Any] | None = None,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
    idempotency_key: str | None = None,
) -> dict:
    """``POST {path}/{id}``: update an object."""
    return request(
        "post",
        f"{path}/{id}",
        params,
        api_key=api_key,
        stripe_account=stripe_account,
        idempotency_key=idempotency_key,
    )


def delete(
    path: str,
    id: str,
    *,
    api_key: str | None = None,
    stripe_account: str | None = None,
) -> dict:
    """``DELETE {path}/{id}``."""
    return request(
        "delete", f"{path}/{id}", api_key=api_key, stripe_account=stripe_account
    )
