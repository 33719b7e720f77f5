"""The package as its users see it: typed, and one root for its exceptions."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from importlib import resources

import pytest
import stripe

import djstripe
from djstripe import stripe_api
from djstripe.exceptions import DjstripeError


def _modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.walk_packages(djstripe.__path__, "djstripe.")
        if ".migrations" not in info.name
    ]


def test_the_package_is_marked_as_typed():
    """PEP 561: without ``py.typed`` a type checker ignores the annotations."""
    assert resources.files("djstripe").joinpath("py.typed").is_file()


def test_every_exception_djstripe_defines_derives_from_djstripe_error():
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                found[f"{name}.{cls.__qualname__}"] = cls
    assert len(found) >= 10, found  # the walk found the package's exceptions
    strays = sorted(
        name for name, cls in found.items() if not issubclass(cls, DjstripeError)
    )
    assert strays == []


def test_stripe_errors_reach_the_caller_as_stripe_python_raised_them(monkeypatch):
    """``except stripe.InvalidRequestError`` keeps working: djstripe neither
    wraps nor re-types the errors of the API."""
    error = stripe.InvalidRequestError("No such customer: 'cus_x'", "id")

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(stripe.Customer, "retrieve", refuse)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_api.retrieve("/v1/customers", "cus_x", api_key="sk_test_x")
    assert raised.value is error
    assert not isinstance(raised.value, DjstripeError)
