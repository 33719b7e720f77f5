"""FakeStripe: a stateful, deterministic, in-memory fake of Stripe's v1 API.

Requests enter through :meth:`FakeStripe.handle` (used by the in-process HTTP
client and by the loopback server alike).  Resources are served generically
from the table in ``resources.py``; objects are built from Stripe's published
example objects; behaviour per type is plugged in through ``hooks``.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import copy
import datetime
import email.utils
import json
import random
import re
import string
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import stripe

from . import contract, hooks
from .errors import FakeStripeError, invalid, missing
from .forms import decode, parse_multipart, parse_pairs
from .resources import BY_OBJECT, RESOURCES, Resource
from .templates import EXAMPLE_TIME, has_template, template

_ALPHABET = string.ascii_letters + string.digits
_KEY = re.compile(r"^(sk|rk)_test_\w+$")
_LIST_PARAMS = {"limit", "starting_after", "ending_before", "created", "expand"}
_RETRIEVABLE_WHEN_DELETED = {"customer"}

# Connect: a request with a ``Stripe-Account`` header acts for that connected
# account.  Objects remember the account they were made for (``_account``,
# None for the platform) and a request only sees its own account's objects;
# connected accounts themselves and webhook endpoints belong to the platform.
_PLATFORM_TYPES = {"account", "webhook_endpoint"}
_ANY = object()
"""The account context outside requests (helpers, tests): sees every object."""

# Fields that lookups (``fake.all(type, field=value)``), list filters and
# sub-lists find objects by, indexed so that they cost the size of the answer,
# not the size of the account.  A field is indexed when its object is stored
# and again whenever the object changes through ``modify``/``update``; readers
# re-check the value, so an entry left behind by a change is harmless.  Code
# that assigns one of these fields directly on a stored object must call
# ``fake.reindex(obj)``.
_INDEXED: dict[str, tuple[str, ...]] = {
    "subscription_item": ("subscription",),
    "line_item": ("invoice",),
    "subscription": ("customer",),
    "invoice": ("customer",),
    "invoiceitem": ("customer",),
    "payment_method": ("customer",),
    "payment_intent": ("customer",),
    "charge": ("customer",),
    "refund": ("charge",),
    "file_link": ("file",),
    "price": ("product",),
    "product_feature": ("_product",),
    "entitlements.active_entitlement": ("_customer",),
    "card": ("customer", "account"),
    "bank_account": ("customer", "account"),
    "source": ("customer",),
    "tax_id": ("customer",),
    "customer_balance_transaction": ("customer",),
    "transfer_reversal": ("transfer",),
    "fee_refund": ("fee",),
    "radar.early_fraud_warning": ("charge",),
    "review": ("charge",),
}


def _route_pattern(resource: Resource) -> re.Pattern:
    base = re.escape("/v1/" + resource.path).replace(r"\{parent\}", "(?P<parent>[^/]+)")
    return re.compile(base + r"(?:/(?P<id>[^/]+)(?:/(?P<action>[a-z_]+))?)?$")


_ROUTES = sorted(
    ((_route_pattern(r), r) for r in RESOURCES),
    key=lambda pair: -len(pair[1].path),
)


def _operation_key(resource: Resource, has_id: bool, action: str | None) -> str:
    """The contract key of an operation: ``/v1/customers/{id}/tax_ids/{id}``."""
    path = "/v1/" + resource.path.replace("{parent}", "{id}")
    if has_id:
        path += "/{id}"
    if action:
        path += "/" + action
    return path


def _diff(old: Any, new: Any) -> Any:
    """Stripe's ``previous_attributes``: old values of what changed."""
    if isinstance(old, dict) and isinstance(new, dict) and old.get("object") != "list":
        keys = [k for k in {**old, **new} if old.get(k) != new.get(k)]
        return {k: _diff(old.get(k), new.get(k)) for k in keys}
    return old


class FakeStripe:
    """A fake Stripe account.  Deterministic for a given ``seed``.

    Use :attr:`http_client` with ``stripe.StripeClient``, or serve it over
    loopback HTTP with :class:`djstripe.testing.server.FakeStripeServer`.
    """

    def __init__(
        self,
        seed: int = 0,
        start_time: int = 1_767_225_600,
        api_version: str = stripe.api_version,
    ):
        # Behaviour modules register their hooks on import.
        from . import (  # noqa: F401
            billing,
            checkout,
            connect,
            entitlements,
            payments,
            radar,
            search,
            sources,
            webhooks,
        )

        self.seed = seed
        self.now = start_time
        self.api_version = api_version
        self.auto_deliver = False
        self.webhook_transport: Callable[[str, bytes, dict], int] | None = None
        self.requests: list[tuple[str, str, dict]] = []
        self._rng = random.Random(seed)
        self._request_rng = random.Random(f"requests-{seed}")
        self._objects: dict[str, dict] = {}
        # The same objects by type, so a list page of one type does not scan
        # every object of the account (back-fill benchmarks hold 100k+).
        self._by_type: dict[str, dict[str, dict]] = {}
        self._order: dict[str, int] = {}
        # Per type, the objects in list order reversed: by (created, creation
        # order).  Objects are nearly always stored in that order, so this is
        # an append; ``_pos`` maps an id to its place, for list cursors.
        self._seq: dict[str, list[dict]] = {}
        self._pos: dict[str, int] = {}
        self._stale_positions: set[str] = set()
        self._index: dict[tuple[str, str], dict[Any, dict[str, dict]]] = {}
        self._unordered_buckets: set[tuple[str, str, Any]] = set()
        self._event_ids: list[str] = []
        self._undelivered: list[str] = []
        self._idempotency: dict[tuple, tuple[tuple, tuple[int, dict, dict]]] = {}
        self._faults: list[tuple[int, int | None]] = []
        self._lock = threading.RLock()
        self._request: dict[str, str | None] = {"id": None, "idempotency_key": None}
        self._version: str | None = None
        """The ``Stripe-Version`` of the request being served."""
        self._account: Any = _ANY
        self._http_client = None

    # -- clock, ids ---------------------------------------------------------

    def clock(self) -> datetime.datetime:
        """The fake's ``now`` as an aware datetime."""
        return datetime.datetime.fromtimestamp(self.now, tz=datetime.UTC)

    def advance(self, seconds: int) -> int:
        """Move the clock forward; returns the new ``now``."""
        self.now += int(seconds)
        return self.now

    def new_id(self, prefix: str, length: int = 24) -> str:
        suffix = "".join(self._rng.choice(_ALPHABET) for _ in range(length))
        return f"{prefix}_{suffix}" if prefix else suffix[:8]

    def random_token(self, length: int = 24) -> str:
        return "".join(self._rng.choice(_ALPHABET) for _ in range(length))

    # -- store --------------------------------------------------------------

    def exists(self, object_id: Any) -> bool:
        obj = self._objects.get(object_id) if isinstance(object_id, str) else None
        return obj is not None and not obj.get("_deleted") and self._visible(obj)

    def get(self, object_name: str, object_id: str, param: str = "id") -> dict:
        """The stored object (live, not a copy); 404 if missing or deleted."""
        obj = self._objects.get(object_id) if isinstance(object_id, str) else None
        if (
            obj is None
            or obj.get("_deleted")
            or obj["object"] != object_name
            or not self._visible(obj)
        ):
            raise missing(object_name, str(object_id), param)
        return obj

    # -- Connect ------------------------------------------------------------

    def _visible(self, obj: dict) -> bool:
        """Whether the account acting now may see ``obj``."""
        return (
            self._account is _ANY
            or obj.get("_account") == self._account
            or obj["object"] in _PLATFORM_TYPES
        )

    @property
    def acting_account(self) -> str | None:
        """The connected account the current request acts for (None: platform)."""
        return None if self._account is _ANY else self._account

    @contextlib.contextmanager
    def acting_as(self, account: str | None):
        """Act for ``account`` (None: the platform), as its ``Stripe-Account``
        requests do; helpers use it to work on a connected account's objects."""
        previous, self._account = self._account, account
        try:
            yield
        finally:
            self._account = previous

    def _account_from(self, headers: dict) -> str | None:
        account = headers.get("stripe-account") or None
        if account is None:
            return None
        obj = self._objects.get(account)
        if obj is None or obj["object"] != "account" or obj.get("_deleted"):
            raise FakeStripeError(
                "The provided key does not have access to account "
                f"'{account}' (or that account does not exist). Application "
                "access may have been revoked.",
                status=403,
                code="account_invalid",
            )
        return None if obj.get("_platform") else account

    def all(self, object_name: str, **where: Any) -> list[dict]:
        """Stored, undeleted objects of a type matching ``where``, oldest first."""
        return [
            obj
            for obj in self._candidates(object_name, where)
            if not obj.get("_deleted")
            and all(obj.get(k) == v for k, v in where.items())
            and self._visible(obj)
        ]

    def _candidates(self, object_name: str, where: dict) -> Iterable[dict]:
        """The objects that may match ``where``: an index bucket if one applies."""
        for field in _INDEXED.get(object_name, ()):
            if field in where and _hashable(where[field]):
                return self._bucket(object_name, field, where[field])
        return self._by_type.get(object_name, {}).values()

    def _bucket(self, object_name: str, field: str, value: Any) -> Iterable[dict]:
        """Objects whose ``field`` is (or once was) ``value``, oldest first."""
        buckets = self._index.get((object_name, field), {})
        bucket = buckets.get(value)
        if bucket is None:
            return ()
        if (object_name, field, value) in self._unordered_buckets:
            ordered = sorted(bucket.values(), key=lambda o: self._order[o["id"]])
            bucket = buckets[value] = {o["id"]: o for o in ordered}
            self._unordered_buckets.discard((object_name, field, value))
        return bucket.values()

    def reindex(self, obj: dict) -> None:
        """Index ``obj`` under the current values of its indexed fields."""
        object_name, object_id = obj["object"], obj["id"]
        for field in _INDEXED.get(object_name, ()):
            value = obj.get(field)
            if not _hashable(value):
                continue
            buckets = self._index.setdefault((object_name, field), {})
            bucket = buckets.setdefault(value, {})
            if object_id in bucket:
                continue
            if bucket and self._order[next(reversed(bucket))] > self._order[object_id]:
                self._unordered_buckets.add((object_name, field, value))
            bucket[object_id] = obj

    def build(self, object_name: str, fields: dict | None = None) -> dict:
        """A new, unsaved object from the template of ``object_name``."""
        resource = BY_OBJECT.get(object_name)
        obj = {}
        if resource:
            obj["id"] = self.new_id(resource.prefix, resource.id_length)
        obj.update(template(object_name) if has_template(object_name) else {})
        if resource:
            obj.update(copy.deepcopy(resource.defaults))
        obj["object"] = object_name
        for key, value in obj.items():
            if value == EXAMPLE_TIME:
                obj[key] = self.now
        if "created" in obj or resource:
            obj["created"] = self.now
        obj["livemode"] = False
        if self.acting_account and object_name not in _PLATFORM_TYPES:
            obj["_account"] = self.acting_account
        if "metadata" in obj:
            obj["metadata"] = {}
        self.apply(obj, fields or {})
        return obj

    def store(self, obj: dict) -> dict:
        """Keep ``obj`` (a new object, or a replacement for the same id)."""
        object_id, object_name = obj["id"], obj["object"]
        seq = self._seq.setdefault(object_name, [])
        if object_id in self._objects:
            seq[self._position(object_name, object_id)] = obj
        else:
            self._order[object_id] = len(self._order)
            key = self._list_key(obj)
            if not seq or self._list_key(seq[-1]) <= key:
                self._pos[object_id] = len(seq)
                seq.append(obj)
            else:  # created in the past (e.g. fake.add(..., created=...))
                bisect.insort(seq, obj, key=self._list_key)
                self._stale_positions.add(object_name)
        self._objects[object_id] = obj
        self._by_type.setdefault(object_name, {})[object_id] = obj
        self.reindex(obj)
        return obj

    def _list_key(self, obj: dict) -> tuple[int, int]:
        """Lists show the largest key first: newest, then latest stored."""
        return (obj.get("created") or 0, self._order.get(obj.get("id"), 0))

    def _position(self, object_name: str, object_id: str) -> int:
        if object_name in self._stale_positions:
            for position, obj in enumerate(self._seq[object_name]):
                self._pos[obj["id"]] = position
            self._stale_positions.discard(object_name)
        return self._pos[object_id]

    def insert(
        self, object_name: str, fields: dict | None = None, event: bool = True
    ) -> dict:
        """Build, store and (by default) announce a new object."""
        obj = self.store(self.build(object_name, fields))
        if event:
            self.emit_created(obj)
        return obj

    @staticmethod
    def apply(obj: dict, params: dict) -> None:
        """Merge request parameters into fields the object has."""
        for key, value in params.items():
            if key not in obj or key in ("id", "object"):
                continue
            current = obj[key]
            if isinstance(current, dict) and current.get("object") == "list":
                continue  # sub-lists change through their own endpoints
            if key == "metadata":
                merged = dict(current or {}) if value is not None else {}
                merged.update(value or {})
                obj[key] = {k: v for k, v in merged.items() if v not in (None, "")}
            elif (
                isinstance(current, dict)
                and isinstance(value, dict)
                and current.get("object") is None
            ):
                merged = copy.deepcopy(current)
                FakeStripe._merge(merged, value)
                obj[key] = merged
            else:
                obj[key] = value

    @staticmethod
    def _merge(target: dict, value: dict) -> None:
        for key, item in value.items():
            if isinstance(target.get(key), dict) and isinstance(item, dict):
                FakeStripe._merge(target[key], item)
            else:
                target[key] = item

    def update(self, obj: dict, changes: dict, event_type: str | None = "") -> dict:
        """Change a stored object and record its ``.updated`` (or other) event."""
        before = self.render(obj)
        obj.update(changes)
        self.reindex(obj)
        self.emit_changed(obj, before, event_type)
        return obj

    # -- events -------------------------------------------------------------

    def emit_created(self, obj: dict) -> None:
        prefix = self._event_prefix(obj)
        if prefix:
            self.emit(f"{prefix}.created", obj)

    def emit_changed(
        self, obj: dict, before: dict, event_type: str | None = ""
    ) -> None:
        """Emit ``event_type`` (default ``<prefix>.updated`` if anything changed)."""
        previous = _diff(before, self.render(obj))
        prefix = self._event_prefix(obj)
        if event_type == "":
            event_type = f"{prefix}.updated" if prefix else None
        if event_type and (previous or not event_type.endswith(".updated")):
            self.emit(event_type, obj, previous)

    def _event_prefix(self, obj: dict) -> str | None:
        resource = BY_OBJECT.get(obj["object"])
        return resource.events_prefix if resource else None

    def emit(self, event_type: str, obj: dict, previous: dict | None = None) -> dict:
        """Record an Event with a snapshot of ``obj``."""
        data: dict[str, Any] = {"object": self.render(obj)}
        if previous:
            data["previous_attributes"] = copy.deepcopy(previous)
        event = self.build("event")
        event.update(
            api_version=self.api_version,
            data=data,
            type=event_type,
            request=dict(self._request),
        )
        account = obj.get("_account")
        if account:
            event["account"] = event["_account"] = account
        targets = [ep["id"] for ep in self._endpoints_for(event_type, account)]
        event["pending_webhooks"] = len(targets)
        event["_targets"] = targets
        self.store(event)
        self._event_ids.append(event["id"])
        self._undelivered.append(event["id"])
        for prefix, listener in hooks.EVENT_LISTENERS:
            if event_type.startswith(prefix):
                listener(self, event)
        return event

    @property
    def events(self) -> list[dict]:
        """Every recorded event, oldest first (rendered copies)."""
        return [self.render(self._objects[i]) for i in self._event_ids]

    def _endpoints_for(self, event_type: str, account: str | None) -> list[dict]:
        """Enabled endpoints for the event: Connect endpoints (``connect=true``)
        get connected accounts' events, the others the platform's."""
        from .webhooks import event_matches

        return [
            ep
            for ep in self.all("webhook_endpoint", status="enabled")
            if bool(ep.get("_connect")) == bool(account)
            and any(
                event_matches(pattern, event_type) for pattern in ep["enabled_events"]
            )
        ]

    def deliver_webhooks(
        self,
        chaos: random.Random | None = None,
        duplicate: float = 0.0,
        reorder: bool = False,
    ) -> list[tuple[str, str, int]]:
        """Send undelivered events to matching endpoints; see ``webhooks.py``."""
        from .webhooks import deliver

        with self._lock:
            pending, self._undelivered = self._undelivered, []
            jobs = [
                (self._objects[eid], self._objects[target])
                for eid in pending
                for target in self._objects[eid]["_targets"]
                if self.exists(target)
            ]
        return deliver(self, jobs, chaos, duplicate, reorder)

    # -- rendering, expansion -------------------------------------------------

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def render(self, obj: dict, expand: Iterable[str] = ()) -> dict:
        """A JSON-ready copy: hidden fields dropped, sub-lists rebuilt, expanded."""
        if obj.get("_deleted"):
            return {"id": obj["id"], "object": obj["object"], "deleted": True}
        out = copy.deepcopy(self._public(obj))
        for (object_name, field), build in hooks.SUBLISTS.items():
            if (
                object_name == obj["object"]
                and obj.get("id") in self._objects
                and field in out
            ):
                items, url = build(self, obj)
                out[field] = {
                    "object": "list",
                    "data": [self.render(item) for item in items[:10]],
                    "has_more": len(items) > 10,
                    "total_count": len(items),
                    "url": url,
                }
                if "total_count" not in (obj.get(field) or {}):
                    out[field].pop("total_count")
        for path in expand:
            self._expand(out, path.split("."))
        return out

    def _expand(self, node: Any, parts: list[str]) -> None:
        if not parts or not isinstance(node, dict):
            return
        key, rest = parts[0], parts[1:]
        value = node.get(key)
        if isinstance(value, str) and self.exists(value):
            node[key] = value = self.render(self._objects[value])
        elif isinstance(value, list):
            node[key] = value = [
                self.render(self._objects[v])
                if isinstance(v, str) and self.exists(v)
                else v
                for v in value
            ]
            for item in value:
                self._expand(item, rest)
            return
        if isinstance(value, dict):
            self._expand(value, rest)

    # -- the request entry point ----------------------------------------------

    def handle(
        self,
        method: str,
        path_with_query: str,
        body: bytes | str | None = None,
        headers: dict | None = None,
    ) -> tuple[int, dict, dict]:
        """Serve one API request: returns ``(status, json_body, headers)``."""
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        with self._lock:
            status, payload, extra = self._handle(
                method.upper(), path_with_query, body, headers
            )
        if self.auto_deliver:
            self.deliver_webhooks()
        return status, payload, extra

    def _handle(
        self, method: str, target: str, body, headers: dict
    ) -> tuple[int, dict, dict]:
        request_id = "req_" + "".join(
            self._request_rng.choice(_ALPHABET) for _ in range(14)
        )
        out_headers = {
            "Request-Id": request_id,
            "Content-Type": "application/json",
            "Stripe-Version": self.api_version,
            # Stripe's clock: the mirror stamps what it reads with it.
            "Date": email.utils.formatdate(self.now, usegmt=True),
        }
        parts = urlsplit(target)
        path = parts.path.rstrip("/")
        query = self._params_source(method, parts.query, body, headers)
        try:
            self.requests.append((method, path, decode(query, None)))
        except FakeStripeError:
            self.requests.append((method, path, {}))
        try:
            self._check_auth(headers)
            self._maybe_fail()
            account = self._account_from(headers)
            key = headers.get("idempotency-key") if method == "POST" else None
            fingerprint = (method, path, _fingerprint(query))
            if key:  # keys are scoped to the account, as in Stripe
                key = (account, key)

            if key and key in self._idempotency:
                seen, response = self._idempotency[key]
                if seen != fingerprint:
                    raise FakeStripeError(
                        "Keys for idempotent requests can only be used with the "
                        "same parameters they were first used with.",
                        type="idempotency_error",
                    )
                status, payload, saved = response
                return (
                    status,
                    copy.deepcopy(payload),
                    {**saved, "Idempotent-Replayed": "true"},
                )
            self._request = {"id": request_id, "idempotency_key": key and key[1]}
            self._version = headers.get("stripe-version")
            try:
                with self.acting_as(account):
                    status, payload = self._dispatch(method, path, query, headers)
            except FakeStripeError as exc:
                log = (
                    f"https://dashboard.stripe.com/test/logs/{request_id}?t={self.now}"
                )
                status, payload = exc.status, exc.body(log)
                out_headers.update(exc.headers)
            finally:
                self._request = {"id": None, "idempotency_key": None}
                self._version = None
            if key:
                out_headers["Idempotency-Key"] = key[1]
                if account:
                    out_headers["Stripe-Account"] = account
                self._idempotency[key] = (
                    fingerprint,
                    (status, payload, dict(out_headers)),
                )
            return status, payload, out_headers
        except FakeStripeError as exc:
            out_headers.update(exc.headers)
            return exc.status, exc.body(), out_headers

    @staticmethod
    def _params_source(method: str, query: str, body, headers: dict):
        """The form text (or decoded multipart dict) carrying the parameters."""
        if method != "POST":
            return query
        if isinstance(body, bytes) and headers.get("content-type", "").startswith(
            "multipart/form-data"
        ):
            return parse_multipart(body, headers["content-type"])
        text = body.decode() if isinstance(body, bytes) else body or ""
        return f"{query}&{text}" if query else text

    def _check_auth(self, headers: dict) -> None:
        auth = headers.get("authorization", "")
        if not auth:
            raise FakeStripeError(
                "You did not provide an API key. Provide it in the Authorization "
                "header, using Bearer auth "
                "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                status=401,
            )
        scheme, _, key = auth.partition(" ")
        if scheme.lower() == "basic":  # curl -u sk_test_...:
            try:
                key = base64.b64decode(key).decode().partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        if not _KEY.match(key.strip()):
            raise FakeStripeError(
                f"Invalid API Key provided: {key[:12]}***", status=401
            )

    # -- fault injection ------------------------------------------------------

    def fail_next(
        self, n: int = 1, status: int = 429, retry_after: int | None = 1
    ) -> None:
        """Make the next ``n`` requests fail with ``status`` (429 or 5xx)."""
        self._faults.extend([(status, retry_after)] * n)

    def _maybe_fail(self) -> None:
        if not self._faults:
            return
        status, retry_after = self._faults.pop(0)
        if status == 429:
            raise FakeStripeError(
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                status=429,
                code="rate_limit",
                headers={"Retry-After": str(retry_after)}
                if retry_after is not None
                else {},
            )
        raise FakeStripeError(
            "An unknown error occurred (injected by FakeStripe).",
            status=status,
            type="api_error",
        )

    # -- dispatch ---------------------------------------------------------------

    def _dispatch(
        self, method: str, path: str, query, headers: dict
    ) -> tuple[int, dict]:
        for route_method, pattern, func in hooks.ROUTES:
            match = pattern.match(path)
            if route_method == method and match:
                params = self._checked(method, func.operation_key, query)
                return func(self, match, params)
        for pattern, resource in _ROUTES:
            match = pattern.match(path)
            if match:
                return self._serve(resource, method, match, query)
        raise FakeStripeError(
            f"Unrecognized request URL ({method}: {path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
            status=404,
        )

    def _checked(self, method: str, key: str, query) -> dict:
        """The request's parameters, decoded and checked as Stripe checks them
        (for the API version the request pins)."""
        version = self._version
        params = decode(query, contract.coercion_types(method, key, version))
        contract.check(method, key, params, version)
        return params

    def _serve(
        self, resource: Resource, method: str, match: re.Match, query
    ) -> tuple[int, dict]:
        groups = match.groupdict()
        object_id, action, parent = groups["id"], groups["action"], groups.get("parent")
        op = self._operation(method, object_id, action)
        if op == "A" and (resource.object, action) not in hooks.ACTIONS:
            raise self._unrecognized(method, match.string)
        if op not in resource.ops and op != "A":
            raise self._unrecognized(method, match.string)
        key = _operation_key(resource, bool(object_id), action)
        if contract.operation(method, key) is None:
            raise self._unrecognized(method, match.string)
        params = self._checked(method, key, query)
        if parent is not None:
            self._check_parent(resource, parent)
        expand = params.pop("expand", None) or []
        if op == "C":
            obj = self.create(resource, params, parent)
            return 200, self.render(obj, expand)
        if op == "L":
            self._check_filters(method, key, params, self._filters(resource))
            return 200, self.list(resource, params, expand, parent)
        # Stripe still answers for a deleted customer (``"deleted": true``);
        # every other deleted object is simply gone.
        deleted_ok = op == "R" and resource.object in _RETRIEVABLE_WHEN_DELETED
        obj = self._find(resource, object_id, parent, deleted_ok=deleted_ok)
        if op == "R":
            return 200, self.render(obj, expand)
        if op == "U":
            return 200, self.render(self.modify(obj, params), expand)
        if op == "D":
            return 200, self.delete(obj, params)
        func = hooks.ACTIONS.get((resource.object, action))
        if func is None:
            raise self._unrecognized(method, match.string)
        return 200, self.render(func(self, obj, params), expand)

    @staticmethod
    def _operation(method: str, object_id: str | None, action: str | None) -> str:
        if action:
            return "A" if method == "POST" else "?"
        if object_id is None:
            return {"POST": "C", "GET": "L"}.get(method, "?")
        return {"GET": "R", "POST": "U", "DELETE": "D"}.get(method, "?")

    @staticmethod
    def _unrecognized(method: str, path: str) -> FakeStripeError:
        return FakeStripeError(
            f"Unrecognized request URL ({method}: {path}).", status=404
        )

    def _check_parent(self, resource: Resource, parent: str) -> None:
        owner = resource.path.split("/")[0].rstrip("s")
        self.get(owner, parent)

    def _find(
        self, resource: Resource, object_id: str, parent: str | None, deleted_ok: bool
    ) -> dict:
        obj = self._objects.get(object_id)
        resolver = hooks.RESOLVE.get(resource.object)
        if obj is None and resolver:
            obj = resolver(self, object_id)
        if obj is None or obj["object"] != resource.object or not self._visible(obj):
            raise missing(resource.object, object_id)
        if resource.parent_field and obj.get(resource.parent_field) != parent:
            raise missing(resource.object, object_id)
        if obj.get("_deleted") and not deleted_ok:
            raise missing(resource.object, object_id)
        return obj

    def _check_filters(
        self, method: str, key: str, params: dict, handled: Iterable[str]
    ) -> None:
        """Reject a list filter Stripe documents but the fake does not apply:
        a filter must work or fail, never silently return everything."""
        for name in params:
            if name not in _LIST_PARAMS and name not in handled:
                raise FakeStripeError(
                    f"djstripe.testing does not model the {name!r} filter of "
                    f"{method} {key}; Stripe would apply it. Filter the result "
                    "yourself, or teach the fake this filter.",
                    param=name,
                )

    def _filters(self, resource: Resource) -> set[str]:
        """The list filters the generic list applies for ``resource``."""
        fields = (
            set(template(resource.object)) if has_template(resource.object) else set()
        )
        hooked = {name for obj, name in hooks.FILTERS if obj == resource.object}
        return fields | set(resource.filters) | hooked | {"ids"}

    # -- generic operations -------------------------------------------------

    def create(
        self, resource: Resource | str, params: dict, parent: str | None = None
    ) -> dict:
        """Create an object as ``POST /v1/<path>`` would (hooks included)."""
        if isinstance(resource, str):
            resource = BY_OBJECT[resource]
        obj = self.build(resource.object, params)
        if resource.parent_field and parent:
            obj[resource.parent_field] = parent
        prepare = hooks.PREPARE.get(resource.object)
        if prepare:
            prepare(self, obj, params)
        self.store(obj)
        self.emit_created(obj)
        for after in hooks.AFTER_CREATE.get(resource.object, []):
            after(self, obj, params)
        return obj

    def modify(self, obj: dict, params: dict) -> dict:
        """Update an object as ``POST /v1/<path>/{id}`` would."""
        before = self.render(obj)
        self.apply(obj, params)
        if "updated" in obj:
            obj["updated"] = self.now
        for hook in hooks.UPDATE.get(obj["object"], []):
            hook(self, obj, params, before)
        self.reindex(obj)
        self.emit_changed(obj, before)
        return obj

    def delete(self, obj: dict, params: dict | None = None) -> dict:
        """Delete as ``DELETE /v1/<path>/{id}``: a tombstone plus ``.deleted``."""
        hook = hooks.DELETE.get(obj["object"])
        if hook:
            response = hook(self, obj, params or {})
            if response is not None:
                return response
        prefix = self._event_prefix(obj)
        if prefix:
            self.emit(f"{prefix}.deleted", obj)
        obj["_deleted"] = True
        return self.render(obj)

    def list(
        self,
        resource: Resource | str,
        params: dict,
        expand: Iterable[str] = (),
        parent: str | None = None,
    ) -> dict:
        """A list page as ``GET /v1/<path>`` returns it.

        The page is read straight from the type's ordered sequence (or from
        an index bucket when a filter has one), walking from the cursor until
        the page is full: its cost is the page, not the account.
        """
        if isinstance(resource, str):
            resource = BY_OBJECT[resource]
        limit = _limit(params)
        seq, position = self._list_source(resource, params, parent)

        def take(start: int, step: int) -> list[dict]:
            found: list[dict] = []
            index = start
            while 0 <= index < len(seq) and len(found) <= limit:
                obj = seq[index]
                if (
                    not obj.get("_deleted")
                    and self._visible(obj)
                    and self._matches(resource, obj, params, parent)
                ):
                    found.append(obj)
                index += step
            return found

        for param, step in (("starting_after", -1), ("ending_before", 1)):
            cursor = params.get(param)
            if not cursor:
                continue
            at = position(cursor)
            if (
                at is None
                or not self._visible(seq[at])
                or not self._matches(resource, seq[at], params, parent)
            ):
                obj = self._objects.get(cursor)
                raise missing(obj["object"] if obj else "object", cursor, param)
            found = take(at + step, step)
            items = found[:limit]
            if step == 1:
                items.reverse()
            break
        else:
            found = take(len(seq) - 1, -1)
            items = found[:limit]
        return self._page_body(items, len(found) > limit, resource.url(parent), expand)

    def _list_source(self, resource: Resource, params: dict, parent: str | None):
        """Candidates in ascending list order, and ``id -> position or None``."""
        object_name = resource.object
        narrowing = dict(params)
        if resource.parent_field:
            narrowing[resource.parent_field] = parent
        for field in _INDEXED.get(object_name, ()):
            value = narrowing.get(field)
            if (
                field in narrowing
                and (object_name, field) not in hooks.FILTERS
                and (field in resource.filters or field == resource.parent_field)
                and _hashable(value)
            ):
                seq = sorted(
                    self._bucket(object_name, field, value), key=self._list_key
                )
                positions = {obj["id"]: i for i, obj in enumerate(seq)}
                return seq, positions.get
        seq = self._seq.get(object_name, [])

        def position(object_id: str) -> int | None:
            obj = self._objects.get(object_id)
            if obj is None or obj["object"] != object_name or obj.get("_deleted"):
                return None
            return self._position(object_name, object_id)

        return seq, position

    def page(
        self,
        items: list[dict],
        params: dict,
        url: str,
        expand: Iterable[str] = (),
        oldest_first: bool = False,
    ) -> dict:
        """Sort newest first (or, for lists Stripe keeps in document order such
        as an invoice's lines, oldest first) and paginate with
        limit/starting_after/ending_before."""
        limit = _limit(params)
        items = sorted(items, key=self._list_key, reverse=not oldest_first)
        ids = [o.get("id") for o in items]
        if params.get("starting_after"):
            cursor = self._cursor(ids, params["starting_after"], "starting_after")
            window = items[cursor + 1 :]
            has_more, items = len(window) > limit, window[:limit]
        elif params.get("ending_before"):
            cursor = self._cursor(ids, params["ending_before"], "ending_before")
            window = items[:cursor]
            has_more, items = len(window) > limit, window[-limit:]
        else:
            has_more, items = len(items) > limit, items[:limit]
        return self._page_body(items, has_more, url, expand)

    def _page_body(
        self, items: list[dict], has_more: bool, url: str, expand: Iterable[str]
    ) -> dict:
        item_expand = [p.removeprefix("data.") for p in expand]
        return {
            "object": "list",
            "data": [self.render(o, item_expand) for o in items],
            "has_more": has_more,
            "url": url,
        }

    def _cursor(self, ids: list, object_id: str, param: str) -> int:
        if object_id in ids:
            return ids.index(object_id)
        obj = self._objects.get(object_id)
        raise missing(obj["object"] if obj else "object", object_id, param)

    def _matches(
        self, resource: Resource, obj: dict, params: dict, parent: str | None
    ) -> bool:
        if resource.parent_field and obj.get(resource.parent_field) != parent:
            return False
        if not range_matches(obj.get("created"), params.get("created")):
            return False
        for name, value in params.items():
            if name in _LIST_PARAMS:
                continue
            custom = hooks.FILTERS.get((resource.object, name))
            if custom:
                if not custom(self, obj, value):
                    return False
            elif not _field_matches(obj, name, value):
                return False
        default = hooks.FILTERS.get((resource.object, "_default"))
        return default is None or default(self, obj, params)

    # -- test helpers: what a shopper, a bank or time would do -------------------

    def _helper(
        self, func: Callable, *args: Any, subject: str | None = None, **kwargs: Any
    ) -> Any:
        """Run ``func`` for the account that owns ``subject`` (an object id)."""
        with self._lock:
            owner = self._objects.get(subject or "", {}).get("_account")
            with self.acting_as(owner) if subject else contextlib.nullcontext():
                result = func(self, *args, **kwargs)
        if self.auto_deliver:
            self.deliver_webhooks()
        return self.render(result) if isinstance(result, dict) else result

    def complete_checkout_session(
        self,
        session_id: str,
        payment_method: str = "pm_card_visa",
        email: str | None = None,
    ) -> dict:
        """Complete an open Checkout Session as the shopper would."""
        from .checkout import complete

        return self._helper(
            complete, session_id, payment_method, email, subject=session_id
        )

    def expire_checkout_session(self, session_id: str) -> dict:
        from .checkout import expire

        return self._helper(
            lambda fake: expire(fake, fake.get("checkout.session", session_id), {}),
            subject=session_id,
        )

    def open_dispute(
        self, charge_id: str, amount: int | None = None, reason: str = "fraudulent"
    ) -> dict:
        """The cardholder disputes ``charge_id`` (``charge.dispute.created``)."""
        from .payments import open_dispute

        return self._helper(open_dispute, charge_id, amount, reason, subject=charge_id)

    def open_review(self, charge_id: str, reason: str = "rule") -> dict:
        """Radar holds ``charge_id`` for manual review (``review.opened``)."""
        from .radar import open_review

        return self._helper(open_review, charge_id, reason, subject=charge_id)

    def pay_payout(self, payout_id: str) -> dict:
        from .payments import pay_payout

        return self._helper(pay_payout, payout_id, subject=payout_id)

    def add_file(
        self,
        purpose: str = "dispute_evidence",
        filename: str = "evidence.pdf",
        size: int = 1024,
        type: str = "pdf",
    ) -> dict:
        """Store a File, standing in for a multipart upload to files.stripe.com."""
        from .payments import add_file

        return self._helper(add_file, purpose, filename, size, type)

    def advance_subscriptions(self, to: int | None = None) -> list[dict]:
        """Move the clock to ``to`` and bill every subscription period that ended.

        Returns the invoices created.  Trials end, renewals are paid with the
        default card, declines make the subscription ``past_due``.
        """
        from .billing import advance_subscriptions

        invoices = self._helper(advance_subscriptions, to)
        return [self.render(invoice) for invoice in invoices]

    def add(self, object_name: str, **fields: Any) -> dict:
        """Store an object of any fixture type directly (e.g. a read-only Mandate)."""

        def add(fake: FakeStripe) -> dict:
            obj = fake.build(object_name)
            obj.update(fields)
            fake.store(obj)
            fake.emit_created(obj)
            return obj

        return self._helper(add)

    # -- transports ---------------------------------------------------------------

    @property
    def http_client(self):
        """A ``stripe.HTTPClient`` that calls this fake in-process."""
        if self._http_client is None:
            from .http_client import FakeHTTPClient

            self._http_client = FakeHTTPClient(self)
        return self._http_client

    def client(
        self, api_key: str = "sk_test_fake", **options: Any
    ) -> stripe.StripeClient:
        """A ``stripe.StripeClient`` bound to this fake (no retries by default)."""
        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(api_key, http_client=self.http_client, **options)


def _fingerprint(query) -> Any:
    """What must match for an idempotent replay: the request's parameters."""
    if isinstance(query, dict):
        return json.dumps(query, sort_keys=True)
    return sorted(parse_pairs(query))


def _limit(params: dict) -> int:
    limit = params.get("limit", 10)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise invalid(
            "This value must be greater than or equal to 1 and less than or equal to 100.",
            param="limit",
        )
    return limit


def _hashable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, bool))


def _field_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


_RANGE = {"gt", "gte", "lt", "lte"}


def _field_matches(obj: dict, name: str, value: Any) -> bool:
    """Stripe's generic list filters: ``ids``, a range (``due_date[gte]``),
    a sub-object's fields (``recurring[interval]``) or an equal value."""
    if name == "ids":
        return obj.get("id") in (value or [])
    actual = obj.get(name)
    if isinstance(value, dict) and value and set(value) <= _RANGE:
        return range_matches(actual, value, name)
    if isinstance(value, dict):
        return isinstance(actual, dict) and all(
            _field_id(actual.get(k)) == v for k, v in value.items()
        )
    return _field_id(actual) == value


def range_matches(created: Any, spec: Any, name: str = "created") -> bool:
    """Whether a timestamp passes a list's range filter (``created[gte]=...``,
    or an exact ``created=...``); 400 for a malformed filter."""
    if spec is None:
        return True
    if isinstance(spec, int):
        return created == spec
    if not isinstance(spec, dict):
        raise invalid(f"Invalid {name} filter", param=name)
    checks = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    for op, bound in spec.items():
        if op not in checks or not isinstance(bound, int):
            raise invalid(f"Invalid {name}[{op}]", param=f"{name}[{op}]")
        if created is None or not checks[op](created, bound):
            return False
    return True
