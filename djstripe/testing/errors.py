"""Errors the fake raises internally and renders the way Stripe's API does."""

from __future__ import annotations

from ..exceptions import DjstripeError


class FakeStripeError(DjstripeError):
    """An API error: rendered as ``{"error": {...}}`` with ``status``."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict | None = None,
        **extra,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}
        self.extra = extra

    def body(self, request_log_url: str | None = None) -> dict:
        """Stripe's error JSON; a coded error links to the code's documentation,
        and an error answering a request links to the request's log."""
        error = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC_URL + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        if request_log_url:
            error["request_log_url"] = request_log_url
        error.update(self.extra)
        return {"error": error}


DOC_URL = "https://stripe.com/docs/error-codes/"


def missing(object_name: str, object_id: str, param: str = "id") -> FakeStripeError:
    label = object_name.replace("_", " ").rsplit(".", 1)[-1]
    return FakeStripeError(
        f"No such {label}: '{object_id}'",
        status=404,
        code="resource_missing",
        param=param,
    )


def invalid(message: str, param: str | None = None, code: str | None = None):
    return FakeStripeError(message, param=param, code=code)


def unknown_parameter(param: str) -> FakeStripeError:
    return FakeStripeError(
        f"Received unknown parameter: {param}",
        code="parameter_unknown",
        param=param,
    )


def card_declined(
    charge_id: str | None = None,
    *,
    code: str = "card_declined",
    decline_code: str = "generic_decline",
    message: str = "Your card was declined.",
    **extra,
) -> FakeStripeError:
    if charge_id is not None:
        extra["charge"] = charge_id
    return FakeStripeError(
        message,
        status=402,
        type="card_error",
        code=code,
        decline_code=decline_code,
        **extra,
    )
