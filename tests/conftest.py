import copy
import json
from pathlib import Path

import pytest

pytest_plugins = ["djstripe.testing.pytest_plugin"]

_FIXTURES = json.loads(
    (Path(__file__).parent / "data" / "stripe_fixtures.json").read_text()
)


def stripe_fixture(object_name: str, **changes) -> dict:
    """A fresh copy of Stripe's published example object, with ``changes``."""
    data = copy.deepcopy(_FIXTURES[object_name])
    data.update(changes)
    return data


@pytest.fixture
def fixture_object():
    return stripe_fixture
