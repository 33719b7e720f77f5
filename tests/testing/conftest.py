import pytest

from djstripe.testing import FakeStripe


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe(seed=1)


@pytest.fixture
def client(fake):
    return fake.client()


def call(fake, method, path, body=None, key="sk_test_123", **headers):
    """Raw request to the fake, for asserting exact statuses and bodies."""
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return fake.handle(method, path, body, headers)
