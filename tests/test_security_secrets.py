"""Error reports never show a secret: the functions that hold one are marked
with ``sensitive_variables`` (#13). Each test makes such a function fail and
renders the report Django mails to ADMINS (``DEBUG = False``)."""

from __future__ import annotations

import json
import sys
from unittest import mock

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from djstripe import stripe_api
from djstripe.exceptions import ProcessingError
from djstripe.webhooks import ingest, registry, signature
from djstripe.webhooks.processing import apply_event

from .conftest import stripe_fixture
from .webhook_utils import SECRET, make_event

pytestmark = pytest.mark.django_db

API_KEY = "sk_test_visible_only_if_leaked_4242"


@pytest.fixture(autouse=True)
def isolated():
    with registry.isolated():
        yield


def report_of(request=None) -> str:
    """The error report of the exception being handled, as mailed to ADMINS
    (the HTML version: the one that lists each frame's local variables)."""
    reporter = ExceptionReporter(request, *sys.exc_info(), is_email=True)
    return reporter.get_traceback_html()


def frame_vars(function: str) -> dict[str, str]:
    """The local variables an error report shows for ``function``'s frame."""
    reporter = ExceptionReporter(None, *sys.exc_info(), is_email=True)
    for frame in reporter.get_traceback_frames():
        if frame["function"] == function:
            return {name: str(value) for name, value in frame["vars"]}
    raise AssertionError(f"no frame for {function}")


def test_signature_verification_failure_hides_the_webhook_secret():
    request = RequestFactory().post(
        reverse("djstripe:webhook"),
        data=json.dumps(make_event("customer.created", stripe_fixture("customer"))),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=00",
    )
    with mock.patch.object(signature.hmac, "new", side_effect=RuntimeError("boom")):
        try:
            ingest.handle_request(request)
        except RuntimeError:
            text = report_of(request)
            variables = {
                name: frame_vars(name) for name in ("compute_signature", "verify")
            }
        else:
            pytest.fail("the failure did not propagate")
    assert "boom" in text and "compute_signature" in text
    assert SECRET not in text
    assert "********************" in variables["compute_signature"]["secret"]
    assert "********************" in variables["verify"]["secrets"]


def test_client_construction_failure_hides_the_api_key():
    def failing_init(self, api_key):  # the transport client's own signature
        raise RuntimeError("no client")

    with mock.patch.object(stripe_api._TransportClient, "__init__", failing_init):
        try:
            stripe_api.request("get", "/v1/customers", api_key=API_KEY)
        except RuntimeError:
            text = report_of()
        else:
            pytest.fail("the failure did not propagate")
    assert "no client" in text and "get_client" in text
    assert API_KEY not in text


def test_processing_failure_hides_the_api_key():
    event = make_event("customer.created", stripe_fixture("customer"))

    def failing_upsert(objects, *, observed_at=None, api_key=None, **options):
        raise RuntimeError("engine down")  # the engine's own signature

    with mock.patch("djstripe.sync.upsert", failing_upsert):
        try:
            apply_event(event, API_KEY)
        except ProcessingError:
            text = report_of()
        else:
            pytest.fail("the failure did not propagate")
    assert "engine down" in text and "_mirror" in text
    assert API_KEY not in text
