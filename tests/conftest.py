import copy
import json
from pathlib import Path

import pytest
from stripe import HTTPClient

from djstripe import stripe_api

pytest_plugins = ["djstripe.testing.pytest_plugin"]

_FIXTURES = json.loads(
    (Path(__file__).parent / "data" / "stripe_fixtures.json").read_text()
)


def stripe_fixture(object_name: str, **changes) -> dict:
    """A fresh copy of Stripe's published example object, with ``changes``."""
    data = copy.deepcopy(_FIXTURES[object_name])
    data.update(changes)
    return data


class _NoNetwork(HTTPClient):
    """Stands in for the network: the suite never calls the real Stripe."""

    name = "no-network"

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        raise RuntimeError(
            f"A test tried to call Stripe ({method.upper()} {url}); "
            "use the fake_stripe fixture or a stub HTTP client."
        )


@pytest.fixture(autouse=True)
def _no_stripe_network():
    with stripe_api.use_http_client(_NoNetwork()):
        yield


@pytest.fixture
def fixture_object():
    return stripe_fixture
