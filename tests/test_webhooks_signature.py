"""``Stripe-Signature`` verification: a pure function, tested on its own."""

import hashlib
import hmac

import pytest

from djstripe.testing.webhooks import sign_payload
from djstripe.webhooks.signature import (
    SignatureVerificationError,
    compute_signature,
    parse_header,
    sign,
    verify,
)

BODY = b'{"id": "evt_1", "object": "event"}'
NOW = 1_767_225_600


def digest(secret: str, timestamp: int, body: bytes = BODY) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    assert compute_signature(BODY, "whsec_a", NOW) == digest("whsec_a", NOW)
    # The testing kit's signer and ours agree.
    assert sign(BODY, "whsec_a", NOW) == sign_payload(BODY, "whsec_a", NOW)


def test_valid_signature_returns_the_timestamp():
    header = sign(BODY, "whsec_a", NOW)
    assert verify(BODY, header, ["whsec_a"], 300, now=NOW) == NOW


def test_any_v1_value_may_match_and_v0_is_ignored():
    header = (
        f"t={NOW},v1={'0' * 64},v0={digest('whsec_a', NOW)},v1={digest('whsec_a', NOW)}"
    )
    assert verify(BODY, header, ["whsec_a"], 300, now=NOW) == NOW
    only_v0 = f"t={NOW},v0={digest('whsec_a', NOW)}"
    with pytest.raises(SignatureVerificationError, match="no v1 signature"):
        verify(BODY, only_v0, ["whsec_a"], 300, now=NOW)


def test_any_of_several_secrets_may_match_during_rotation():
    header = sign(BODY, "whsec_new", NOW)
    assert verify(BODY, header, ["whsec_old", "whsec_new"], 300, now=NOW) == NOW


def test_wrong_secret_or_altered_body_is_rejected():
    header = sign(BODY, "whsec_a", NOW)
    with pytest.raises(SignatureVerificationError, match="No signature matches"):
        verify(BODY, header, ["whsec_b"], 300, now=NOW)
    with pytest.raises(SignatureVerificationError, match="No signature matches"):
        verify(BODY + b" ", header, ["whsec_a"], 300, now=NOW)


@pytest.mark.parametrize(
    ("offset", "message"),
    [(-301, "301 s ago"), (301, "301 s in the future")],
)
def test_tolerance_applies_to_old_and_future_timestamps(offset, message):
    header = sign(BODY, "whsec_a", NOW + offset)
    with pytest.raises(SignatureVerificationError, match=message):
        verify(BODY, header, ["whsec_a"], 300, now=NOW)
    # At the edge of the tolerance, and with the check off, it passes.
    edge = sign(BODY, "whsec_a", NOW + (300 if offset > 0 else -300))
    assert verify(BODY, edge, ["whsec_a"], 300, now=NOW)
    assert verify(BODY, header, ["whsec_a"], None, now=NOW) == NOW + offset


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Missing Stripe-Signature header"),
        ("  ", "Missing Stripe-Signature header"),
        ("garbage", "is not key=value"),
        (f"v1={'a' * 64}", "exactly one numeric t="),
        (f"t=abc,v1={'a' * 64}", "exactly one numeric t="),
        (f"t=1,t=2,v1={'a' * 64}", "exactly one numeric t="),
        (f"t={NOW}", "no v1 signature"),
    ],
)
def test_malformed_headers_say_what_is_wrong(header, message):
    with pytest.raises(SignatureVerificationError, match=message):
        parse_header(header)


def test_no_secret_configured_is_an_error():
    with pytest.raises(SignatureVerificationError, match="No webhook secret"):
        verify(BODY, sign(BODY, "whsec_a", NOW), ["", None], 300, now=NOW)
