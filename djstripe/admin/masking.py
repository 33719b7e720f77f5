"""Secrets never leave the admin whole.

One list of names (:data:`SECRET_NAMES`), one way to mask a value
(:func:`mask_secret`), applied to everything the admin shows of Stripe data:
model fields, ``stripe_data``, event payloads, and the raw body and headers of
webhook requests. Besides values under a secret name, any string shaped like a
Stripe credential (``sk_live_…``, ``whsec_…``, ``pi_…_secret_…``) is masked
wherever it appears, so a secret copied into metadata or a description does
not leak either.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Field, JSON key and header names whose values are credentials.
SECRET_NAMES = frozenset(
    {
        "api_key",
        "authorization",
        "client_secret",
        "cookie",
        "password",
        "secret",
        "secret_key",
        "stripe-signature",
        "webhook_secret",
    }
)

#: Strings that are Stripe credentials whatever key holds them: secret and
#: restricted keys, webhook signing secrets, and the client secrets of
#: PaymentIntents, SetupIntents, Checkout Sessions and the like.
_CREDENTIAL = re.compile(
    r"\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]+"
    r"|whsec_[A-Za-z0-9]+"
    r"|[a-z]{2,6}_[A-Za-z0-9]+_secret_[A-Za-z0-9]+)"
)


def is_secret_name(name: str) -> bool:
    """Whether a field, key or header called ``name`` holds a credential."""
    return name.lower() in SECRET_NAMES


def mask_secret(value: Any) -> str:
    """``"sk_test_51Habcdefwxyz"`` → ``"sk_test_…wxyz"``: enough to tell keys
    apart, too little to use one."""
    if not value:
        return ""
    text = str(value)
    if "_secret_" in text:  # pi_123_secret_abc: the object id is no secret
        return text.split("_secret_", 1)[0] + "_secret_…"
    prefix, _, rest = text.rpartition("_")
    if not prefix or len(prefix) > 12:
        prefix, rest = "", text
    else:
        prefix += "_"
    tail = rest[-4:] if len(rest) >= 12 else ""
    return f"{prefix}…{tail}"


def mask_text(text: str) -> str:
    """``text`` with every credential-shaped substring masked."""
    return _CREDENTIAL.sub(lambda match: mask_secret(match.group(0)), text)


def mask_secrets(data: Any) -> Any:
    """A copy of ``data`` (JSON-like) with secrets masked: every value under a
    secret name, and every credential-shaped string anywhere."""
    if isinstance(data, dict):
        return {
            key: _mask_value(value) if is_secret_name(str(key)) else mask_secrets(value)
            for key, value in data.items()
        }
    if isinstance(data, list | tuple):
        return [mask_secrets(item) for item in data]
    if isinstance(data, str):
        return mask_text(data)
    return data


def _mask_value(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, dict | list | tuple):
        return mask_secrets(value)
    return mask_secret(value)


def mask_body(body: str) -> tuple[Any, bool]:
    """A raw request body, masked: ``(data, True)`` when it is JSON (to be
    pretty-printed), else ``(text, False)``."""
    try:
        data = json.loads(body)
    except ValueError:
        return mask_text(body), False
    return mask_secrets(data), True
