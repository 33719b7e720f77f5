"""What an operator sees: the index by area, changelists that fit a laptop,
object pages with the facts, webhook requests, search.

Pages are read from the demo's data (``djstripe.testing.scenarios``),
mirrored through the engine.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps

from djstripe.admin import areas
from tests import test_admin_actions
from tests.test_admin import ADMIN_MODELS, changelist_url

pytestmark = pytest.mark.django_db

# The demo's data, mirrored, and a logged-in superuser.
demo = test_admin_actions.demo
superuser = test_admin_actions.superuser


def _model(name):
    return apps.get_model("djstripe", name)


def test_index_groups_models_by_area(superuser, client):
    body = client.get("/admin/").content.decode()
    captions = re.findall(r"<caption>\s*<a [^>]*>(Stripe · [^<]+)</a>", body)
    assert captions == [f"Stripe · {name}" for name, _ in areas.AREAS]
    settings = body.index("Stripe · Settings")
    assert body.index("API keys") > settings  # API keys no longer at the top
    assert body.index("Customers") < body.index("Stripe · Billing")


def test_every_model_has_an_area():
    assert all(areas.area_of(m._meta.model_name) != areas.OTHER for m in ADMIN_MODELS)
    named = [name for _, models in areas.AREAS for name in models]
    assert len(named) == len(set(named))


def test_app_page_and_sidebar_are_grouped_too(superuser, client):
    response = client.get("/admin/djstripe/")
    assert response.status_code == 200
    names = [app["name"] for app in response.context["app_list"]]
    assert names[0] == "Stripe · Core payments" and "Stripe · Settings" in names
    customer = client.get(changelist_url(_model("Customer"))).content.decode()
    assert "Stripe · Fraud" in customer  # the navigation sidebar
