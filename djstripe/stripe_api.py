"""The Stripe transport: the only code in djstripe that talks to Stripe.

Everything that reads from or writes to Stripe goes through the functions at
the bottom of this module (:func:`request`, :func:`retrieve`, :func:`list_page`,
:func:`iter_pages`, :func:`create`, :func:`update`, :func:`delete`), which
return plain ``dict`` objects as Stripe sent them. Around stripe-python's
``StripeClient`` this adds what a mirror that makes many calls needs:

* one client per (API key, connected account), with the API version pinned
  (stripe-python's own pin unless ``DJSTRIPE_STRIPE_API_VERSION`` says
  otherwise), so every object djstripe stores has one shape;
* a connect and a read timeout on every request (``DJSTRIPE_HTTP_TIMEOUT``),
  so that a hung connection fails in seconds, not after stripe-python's 80;
* retries of 429, 409, 5xx and network errors with exponential backoff that
  honours ``Retry-After``; a 4xx other than those is final, and so is a
  network error that a retry cannot cure (a TLS failure); each retry is
  logged at WARNING with the status, attempt, delay and Stripe's request id;
* a token-bucket rate limiter shared by every thread of the process, at
  Stripe's limits (25 requests/s in test mode, 100 live) unless configured;
* an idempotency key on every write, the same key on each retry of that write;
* a request counter (requests, retries, 429s), for reports and benchmarks;
* :func:`describe_failure`, which says in one line why Stripe could not be
  used at all (unreachable, or the key refused), for commands to print.

Tests replace the HTTP layer beneath all this (:func:`use_http_client`), never
this module, so that the retry, rate and idempotency logic is what runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import email.utils
import functools
import importlib
import logging
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import stripe
from django.views.decorators.debug import sensitive_variables
from stripe import HTTPClient
from stripe._object_classes import OBJECT_CLASSES

from ._text import clean_json
from .settings import djstripe_settings, key_is_live, key_mode

__all__ = [
    "RateLimiter",
    "RequestCounter",
    "StripeData",
    "StripePage",
    "counter",
    "create",
    "delete",
    "describe_failure",
    "get_client",
    "is_fatal",
    "iter_pages",
    "list_page",
    "max_retries",
    "request",
    "retrieve",
    "update",
    "use_http_client",
]

#: Stripe's documented request rates, per second.
LIVE_RATE_LIMIT = 100.0
TEST_RATE_LIMIT = 25.0
#: First backoff delay, in seconds (``DJSTRIPE_RETRY_MAX_DELAY`` caps them).
INITIAL_RETRY_DELAY = 0.5
#: Stripe's address when ``DJSTRIPE_API_BASE`` is not set.
STRIPE_API_BASE = "https://api.stripe.com"

logger = logging.getLogger("djstripe.transport")


# -- Request counting ----------------------------------------------------------


@dataclass
class RequestCounter:
    """Counts requests sent to Stripe (each retry counts), by method and path,
    and how many were retries and how many Stripe turned down with a 429.

    ``counter.total`` and ``counter.by_endpoint`` are read by benchmarks and
    tests; :meth:`counting` gives a fresh count for a block of code.
    """

    total: int = 0
    retries: int = 0
    rate_limited: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter[str])
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, url: str, *, retry: bool) -> None:
        path = urlsplit(url).path
        with self._lock:
            self.total += 1
            self.retries += retry
            self.by_endpoint[f"{method.upper()} {path}"] += 1

    def record_rate_limited(self) -> None:
        with self._lock:
            self.rate_limited += 1

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.retries = 0
            self.rate_limited = 0
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


def _counters() -> list[RequestCounter]:
    return [counter, *_block_counters]


def _record(method: str, url: str, *, retry: bool) -> None:
    for each in _counters():
        each.record(method, url, retry=retry)


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
    live = key_is_live(api_key)
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
    delay: float = INITIAL_RETRY_DELAY * 2 ** (attempt - 1)
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
        retries = _retry_limit.get()
        if retries is None:
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
            if status == 429:
                for each in _counters():
                    each.record_rate_limited()
            curable = error is None or error.should_retry
            if attempt >= retries or not curable or not _should_retry(status, rheaders):
                if error is not None:
                    raise error
                return cast("tuple[Any, int, Mapping[str, str]]", response)
            attempt += 1
            delay = backoff_delay(attempt, rheaders)
            _log_retry(method, url, status, rheaders, error, attempt, retries, delay)
            _sleep(delay)

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        return _http_client().request(method, url, headers, post_data)

    def close(self) -> None:  # the wrapped client is shared; nothing to close
        pass


def _log_retry(
    method: str,
    url: str,
    status: int | None,
    headers: Mapping[str, str] | None,
    error: Exception | None,
    attempt: int,
    retries: int,
    delay: float,
) -> None:
    """One WARNING per retry: what failed, which attempt comes, and when."""
    what = f"answered {status}" if status is not None else f"failed: {_cause(error)}"
    request_id = _header(headers, "request-id") or "-"
    logger.warning(
        "Stripe %s %s %s (request %s); retry %d of %d in %.1f s",
        method.upper(),
        urlsplit(url).path,
        what,
        request_id,
        attempt,
        retries,
        delay,
    )


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    return next((v for k, v in (headers or {}).items() if k.lower() == name), None)


_retry_limit: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "djstripe_retry_limit", default=None
)


@contextlib.contextmanager
def max_retries(retries: int) -> Iterator[None]:
    """Retry the requests made inside the block (in this thread) at most
    ``retries`` times, whatever ``DJSTRIPE_MAX_RETRIES`` says: for a probe
    that should fail fast."""
    token = _retry_limit.set(min(retries, djstripe_settings.MAX_RETRIES))
    try:
        yield
    finally:
        _retry_limit.reset(token)


# -- The wrapped HTTP client (swapped by tests) ------------------------------------

_default_http_clients: dict[tuple[float, float], HTTPClient] = {}
_global_override: list[HTTPClient] = []
#: The sleep used between retries (tests replace it to run instantly).
_sleep: Callable[[float], None] = time.sleep


def _http_client() -> HTTPClient:
    if _global_override:
        return _global_override[-1]
    timeout = djstripe_settings.HTTP_TIMEOUT
    client = _default_http_clients.get(timeout)
    if client is None:
        client = _default_http_clients[timeout] = stripe.new_default_http_client(
            timeout=timeout
        )
    return client


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


# -- Failures that stop everything ----------------------------------------------------


def is_fatal(exc: BaseException) -> bool:
    """Whether ``exc`` means no request to Stripe can succeed: Stripe is not
    reachable (DNS, refused connection, TLS, timeouts, after the retries), or
    it refused the key itself (401). A 403 concerns one resource, a 404 one
    object: those are not fatal."""
    return isinstance(exc, (stripe.APIConnectionError, stripe.AuthenticationError))


def api_base() -> str:
    """The Stripe API this process talks to."""
    return djstripe_settings.API_BASE or STRIPE_API_BASE


def describe_failure(exc: BaseException, api_key: str) -> str:
    """One line saying why Stripe cannot be used: the API base, the key's
    mode (never the key) and the cause."""
    where = f"Stripe at {api_base()} with a {key_mode(api_key)}-mode key"
    if isinstance(exc, stripe.AuthenticationError):
        status = getattr(exc, "http_status", None) or 401
        return f"{where}: the key was refused ({status} invalid API key)."
    if isinstance(exc, stripe.APIConnectionError):
        return f"Cannot reach {where}: {_cause(exc)}."
    return f"{where}: {type(exc).__name__}: {_first_line(exc)}"


#: The part of a socket error that names the cause ("[Errno 111] Connection refused").
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\]]+)")


def _cause(exc: BaseException | None) -> str:
    """The root cause of a network error, in a few words."""
    text = str(exc or "")
    match = _ERRNO.search(text)
    if match:
        return match.group(1).strip().rstrip(".")
    lowered = text.lower()
    if "ssl" in lowered or "certificate" in lowered:
        return "TLS handshake failed (certificate or protocol)"
    if "timed out" in lowered or "timeout" in lowered:
        return "timed out (DJSTRIPE_HTTP_TIMEOUT)"
    return _first_line(exc)


def _first_line(exc: BaseException | None) -> str:
    cause = getattr(exc, "__cause__", None)
    text = str(cause or exc or "").strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
    version = api_version()
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


# -- stripe-python's resource classes ------------------------------------------------
# dj-stripe calls Stripe through the resource classes (``stripe.Customer.create``),
# so its users' tests patch them. djstripe does the same for every request that
# one of them makes, with its transport installed as stripe-python's default
# HTTP client: retries, rate limiting, counting and the test doubles of
# :func:`use_http_client` apply to these calls (and to the project's own
# stripe-python calls) as to all others.

#: Resources whose ``DELETE /v1/<collection>/<id>`` is not named ``delete``.
_DELETE_METHODS = {"subscription": "cancel"}


@functools.cache
def _resource_class(collection: str) -> type | None:
    """stripe-python's class whose ``class_url()`` is ``collection``."""
    if collection == "/v1/account":
        return stripe.Account
    if not collection.startswith("/v1/") or not collection.endswith("s"):
        return None
    object_name = collection[len("/v1/") : -1].replace("/", ".")
    location = OBJECT_CLASSES.get(object_name)
    if location is None:
        return None
    cls = getattr(importlib.import_module(location[0]), location[1])
    return cast("type | None", cls if cls.class_url() == collection else None)


def _resource_method(cls: type, names: tuple[str, ...]) -> Callable[..., Any] | None:
    """The first of ``names`` that ``cls`` has, as the exported class has it
    now: stripe-python's method, or a test's patch of it or of the class."""
    resource_classes = [
        klass for klass in cls.__mro__ if issubclass(klass, stripe.APIResource)
    ]  # never StripeObject's dict methods (``update``, ``get``...)
    for name in names:
        for klass in resource_classes:
            if name in vars(klass) or f"_cls_{name}" in vars(klass):
                return cast(Callable[..., Any], getattr(_public(cls), name))
    return None


def _public(cls: type) -> Any:
    """``cls`` as stripe-python exports it (``stripe.Customer``,
    ``stripe.checkout.Session``): what a test patches, whole or in part."""
    namespace = cls.__module__.rsplit("._", 1)[0]
    return getattr(importlib.import_module(namespace), cls.__name__, cls)


def _resource_call(method: str, path: str) -> Callable[..., Any] | None:
    """The resource method that sends ``method path``, with its ids bound,
    or ``None`` when no resource method sends exactly that request."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if parts[0] != "v1":
        return None
    cls: Any
    rest: list[Any]
    found: Callable[..., Any] | None
    args: tuple[Any, ...]
    for size in (2, 1):
        cls = _resource_class("/" + "/".join(parts[: size + 1]))
        if cls is not None:
            rest = parts[size + 1 :]
            break
    else:
        return None
    kind = cls.OBJECT_NAME.rsplit(".", 1)[-1]
    if cls.OBJECT_NAME == "account" and parts[1] == "account":
        rest = [None, *rest]  # ``/v1/account``: the key's own account
    if len(rest) == 0 and method == "post":
        found, args = _resource_method(cls, ("create",)), ()
    elif len(rest) == 1 and rest[0] is not None and method in ("get", "post"):
        # ``/v1/invoices/create_preview`` is an action; anything else an id.
        found, args = _resource_method(cls, (rest[0],)), ()
        if found is None:
            name = "retrieve" if method == "get" else "modify"
            found, args = _resource_method(cls, (name,)), (rest[0],)
    elif len(rest) == 1 and method == "get":
        found, args = _resource_method(cls, ("retrieve",)), ()
    elif len(rest) == 1 and method == "delete":
        name = _DELETE_METHODS.get(kind, "delete")
        found, args = _resource_method(cls, (name,)), (rest[0],)
    elif len(rest) == 2 and method == "post" and rest[0] is not None:
        names = (rest[1], f"{rest[1]}_{kind}")  # ``void`` is ``void_invoice``
        found, args = _resource_method(cls, names), (rest[0],)
    elif len(rest) == 2 and method == "delete" and rest[0] is not None:
        found, args = _resource_method(cls, (f"delete_{rest[1]}",)), (rest[0],)
    else:
        return None
    if found is None:
        return None
    return functools.partial(found, *args)


def api_version() -> str:
    """The Stripe API version every request is pinned to: the setting, or
    stripe-python's own pin."""
    return djstripe_settings.STRIPE_API_VERSION or stripe.api_version


def _resource_options(
    api_key: str | None, stripe_account: str | None
) -> dict[str, Any]:
    """The request options of a resource call, as :func:`get_client` pins them."""
    _install_default_http_client()
    api_key = api_key or djstripe_settings.STRIPE_SECRET_KEY
    if not api_key:
        get_client(api_key)  # raises the explanatory AuthenticationError
    options = {
        "api_key": api_key,
        "stripe_version": api_version(),
    }
    if stripe_account:
        options["stripe_account"] = stripe_account
    return options


def _as_stripe_data(result: Any) -> StripeData:
    """A resource call's result as a plain dict stamped with Stripe's clock.

    A patched method may return a dict or a ``StripeObject``; either works.
    """
    response = getattr(result, "last_response", None)
    if isinstance(result, stripe.StripeObject):
        result = result.to_dict(recursive=True, for_json=True)
    if not isinstance(result, Mapping):
        raise TypeError(
            f"A Stripe call returned {type(result).__name__}, not a Stripe object: "
            "a patched stripe-python method must return a dict or StripeObject."
        )
    data = StripeData(clean_json(result, getattr(response, "body", None)))
    data.observed_at = _response_time(getattr(response, "headers", None))
    return data


class _DefaultTransport(_TransportClient):
    """djstripe's transport as ``stripe.default_http_client``.

    One instance serves every key: the key (for the rate limiter of its mode)
    is read from each request's ``Authorization`` header, and the request is
    sent to ``DJSTRIPE_API_BASE`` when that is set.
    """

    def __init__(self) -> None:
        super().__init__("")

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
        authorization = next(
            (v for k, v in headers.items() if k.lower() == "authorization"), ""
        )
        transport = _TransportClient(authorization.removeprefix("Bearer ").strip())
        return transport.request_with_retries(method, _rebase(url), headers, post_data)


def _rebase(url: str) -> str:
    """``url`` on ``DJSTRIPE_API_BASE`` when that is set."""
    base = djstripe_settings.API_BASE
    if not base:
        return url
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return base.rstrip("/") + path


_default_transport = _DefaultTransport()


def _install_default_http_client() -> None:
    if stripe.default_http_client is not _default_transport:
        stripe.default_http_client = _default_transport


# -- Requests ----------------------------------------------------------------------


class StripeData(dict[str, Any]):
    """A decoded Stripe response: a plain ``dict`` that also knows when Stripe
    answered (``observed_at``, from the response's ``Date`` header).

    The mirror engine stamps rows written from it with that time, Stripe's
    clock rather than ours, so that the staleness gate compares API reads and
    webhook events (stamped with ``event.created``) on one clock.
    """

    observed_at: datetime.datetime | None = None


class StripePage(list[Any]):
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
) -> StripeData:
    """Send one request to Stripe and return the decoded JSON body.

    A request that one of stripe-python's resource methods makes
    (``POST /v1/customers`` is ``stripe.Customer.create``) is sent through that
    method, so that a test patching it (``mock.patch("stripe.Customer.create")``)
    intercepts it; other requests (list pages, nested resources) go straight
    to the client. Errors raise stripe-python's exceptions
    (``stripe.InvalidRequestError`` for a 404 or 400, ``stripe.RateLimitError``
    once retries are spent...).
    """
    method = method.lower()
    options: dict[str, Any] = {}
    if method == "post":
        options["idempotency_key"] = idempotency_key or f"djstripe-{uuid.uuid4()}"
    call = _resource_call(method, path)
    if call is not None:
        options |= _resource_options(api_key, stripe_account)
        return _as_stripe_data(call(**options, **dict(params or {})))
    client = get_client(api_key, stripe_account)
    response = client.raw_request(method, path, **dict(params or {}), **options)
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
) -> StripeData:
    """``GET {path}/{id}``, with ``expand[]`` (``stripe.<Resource>.retrieve``)."""
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
) -> StripeData:
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
) -> dict[str, Any]:
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
) -> dict[str, Any]:
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
) -> dict[str, Any]:
    """``DELETE {path}/{id}``."""
    return request(
        "delete", f"{path}/{id}", api_key=api_key, stripe_account=stripe_account
    )
