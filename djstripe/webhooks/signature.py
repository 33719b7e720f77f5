"""Stripe webhook signatures: parse, compute and verify ``Stripe-Signature``.

Stripe signs each delivery with ``HMAC-SHA256(secret, "{t}.{raw body}")`` and
sends ``Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...][,v0=<hex>]``.
There may be several ``v1`` values (Stripe signs with every secret of an
endpoint while one is being rolled) and the receiver may hold several secrets
(its own rotation), so a delivery is genuine when any ``v1`` matches any
secret. The timestamp is signed too; checking it against a tolerance, in the
past *and* the future, is what stops a captured delivery from being replayed.

This module is pure (no database, no settings) so that it can be tested and
reused on its own: the view, the testing kit and users' own tests share it.
Functions that hold a secret are marked with Django's ``sensitive_variables``
so that error reports never show it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.views.decorators.debug import sensitive_variables

from ..exceptions import DjstripeError

__all__ = [
    "SignatureHeader",
    "SignatureVerificationError",
    "compute_signature",
    "parse_header",
    "sign",
    "verify",
]

#: The only scheme Stripe signs with; ``v0`` is a legacy test scheme, ignored.
SCHEME = "v1"
#: A timestamp: ASCII digits only (``str.isdigit`` also accepts ``²``, which
#: ``int`` refuses), and few enough that ``int`` never hits its digit limit.
_TIMESTAMP = re.compile(r"[0-9]{1,20}")
#: How much of a malformed item a message quotes: it is sent back and logged.
_QUOTE_LIMIT = 40


class SignatureVerificationError(DjstripeError, ValueError):
    """The delivery is not provably from Stripe; ``str(error)`` says why."""


@dataclass(frozen=True)
class SignatureHeader:
    timestamp: int
    signatures: tuple[str, ...]


def parse_header(header: str | None) -> SignatureHeader:
    """Split a ``Stripe-Signature`` value into its timestamp and ``v1`` values."""
    if not header or not header.strip():
        raise SignatureVerificationError("Missing Stripe-Signature header.")
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep or not key or not value:
            raise SignatureVerificationError(
                "Malformed Stripe-Signature header: "
                f"{item.strip()[:_QUOTE_LIMIT]!r} is not key=value."
            )
        if key == "t":
            timestamps.append(value)
        elif key == SCHEME:
            signatures.append(value.lower())
    if len(timestamps) != 1 or not _TIMESTAMP.fullmatch(timestamps[0]):
        raise SignatureVerificationError(
            "Malformed Stripe-Signature header: expected exactly one numeric t=<timestamp>."
        )
    if not signatures:
        raise SignatureVerificationError(
            f"Malformed Stripe-Signature header: no {SCHEME} signature."
        )
    return SignatureHeader(int(timestamps[0]), tuple(signatures))


@sensitive_variables()  # all: the secret, and what is derived from it
def compute_signature(payload: bytes | str, secret: str, timestamp: int) -> str:
    """The hex ``v1`` signature of ``payload`` at ``timestamp`` with ``secret``."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    signed = str(int(timestamp)).encode() + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


@sensitive_variables()
def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header value for ``payload``, as Stripe would send it."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={timestamp},{SCHEME}={compute_signature(payload, secret, timestamp)}"


@sensitive_variables()
def verify(
    payload: bytes,
    header: str | None,
    secrets: Sequence[str],
    tolerance: int | None = 300,
    *,
    now: float | None = None,
) -> int:
    """Check that ``payload`` was signed by Stripe with one of ``secrets``.

    Returns the signed timestamp. Raises :class:`SignatureVerificationError`
    with a message fit for a log and a response body otherwise. ``tolerance``
    (seconds) bounds how far the timestamp may be from ``now`` either way;
    ``None`` turns the check off.
    """
    secrets = [s for s in secrets if s]
    if not secrets:
        raise SignatureVerificationError(
            "No webhook secret is configured for this endpoint."
        )
    parsed = parse_header(header)
    expected = [
        compute_signature(payload, secret, parsed.timestamp) for secret in secrets
    ]
    # Compare every pair, so the time taken says nothing about which one matched.
    matched = False
    for candidate in parsed.signatures:
        for digest in expected:
            matched |= hmac.compare_digest(
                candidate.encode("utf-8", "replace"), digest.encode()
            )
    if not matched:
        raise SignatureVerificationError(
            "No signature matches: the payload was not signed with this endpoint's secret."
        )
    if tolerance is not None:
        now = time.time() if now is None else now
        age = now - parsed.timestamp
        if age > tolerance:
            raise SignatureVerificationError(
                f"Timestamp outside the tolerance: signed {int(age)} s ago "
                f"(tolerance {tolerance} s)."
            )
        if -age > tolerance:
            raise SignatureVerificationError(
                f"Timestamp outside the tolerance: signed {int(-age)} s in the future "
                f"(tolerance {tolerance} s)."
            )
    return parsed.timestamp
