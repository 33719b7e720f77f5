"""A ``stripe.HTTPClient`` that answers from a FakeStripe in the same process.

stripe-python builds the full request (URL, headers, form body) as usual and
hands it to this client, which calls :meth:`FakeStripe.handle` instead of the
network.  The host part of the URL is ignored.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stripe import HTTPClient

if TYPE_CHECKING:
    from .fake import FakeStripe


class CaseInsensitiveHeaders(dict):
    """Response headers; stripe-python reads them in lower case."""

    def __init__(self, headers: Mapping[str, str]):
        super().__init__({k.lower(): v for k, v in headers.items()})

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class FakeHTTPClient(HTTPClient):
    name = "djstripe-fake"

    def __init__(self, fake: FakeStripe):
        super().__init__()
        self.fake = fake

    def _call(
        self, method: str, url: str, headers, post_data
    ) -> tuple[bytes, int, Mapping[str, str]]:
        status, payload, out_headers = self.fake.handle(method, url, post_data, dict(headers or {}))
        return json.dumps(payload).encode(), status, CaseInsensitiveHeaders(out_headers)

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        body, status, headers_out = self._call(method, url, headers, post_data)
        return body.decode(), status, headers_out

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        body, status, headers_out = self._call(method, url, headers, post_data)
        return io.BytesIO(body), status, headers_out

    def close(self) -> None:
        """Nothing to release: there is no connection."""
