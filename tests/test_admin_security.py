"""Secrets stay secret in the admin, even from staff who may view everything.

A view-only staff user tries every querystring probe we could think of (a
lookup per character would recover a key from the result count), then reads
every changelist and change page: no secret appears whole anywhere.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission, User

from djstripe import sync
from djstripe.admin import masking
from tests.test_admin import ADMIN_MODELS, change_url, changelist_url

pytestmark = pytest.mark.django_db

API_SECRET = "sk_test_4eC39HqLyjWDarjtT1zdp7dcSECRETKEY"
WEBHOOK_SECRET = "whsec_0123456789abcdefghijSECRETWH"
PI_SECRET = "pi_3SECRETPI_secret_Zx9Yw8Vu7Ts6Rq5Po4Nm"
SETI_SECRET = "seti_1SECRETSI_secret_Ab1Cd2Ef3Gh4Ij5Kl6"
SESSION_SECRET = "cs_test_a1SECRETCS_secret_Mn7Op8Qr9St0Uv1"
SECRETS = (API_SECRET, WEBHOOK_SECRET, PI_SECRET, SETI_SECRET, SESSION_SECRET)


@pytest.fixture
def secrets(fake_stripe):
    """One row holding each kind of secret, and a webhook request whose raw
    body and headers carry some."""
    APIKey = apps.get_model("djstripe", "APIKey")
    APIKey.objects.create(name="Main", secret=API_SECRET)
    intent = {
        **fake_stripe.build("payment_intent"),
        "id": "pi_3SECRETPI",
        "client_secret": PI_SECRET,
        "metadata": {"copied": API_SECRET},
    }
    setup = {
        **fake_stripe.build("setup_intent"),
        "id": "seti_1SECRETSI",
        "client_secret": SETI_SECRET,
    }
    session = {
        **fake_stripe.build("checkout.session"),
        "id": "cs_test_a1SECRETCS",
        "client_secret": SESSION_SECRET,
    }
    endpoint = {
        **fake_stripe.build("webhook_endpoint"),
        "id": "we_secretholder",
        "secret": WEBHOOK_SECRET,
    }
    for obj in (intent, setup, session, endpoint):
        for key in ("customer", "payment_method", "on_behalf_of", "invoice"):
            if isinstance(obj.get(key), str):
                obj[key] = None
    sync.upsert([intent, setup, session, endpoint])
    event = {
        "id": "evt_secretholder",
        "object": "event",
        "type": "payment_intent.created",
        "created": fake_stripe.now,
        "livemode": False,
        "data": {"object": intent},
    }
    sync.upsert([event])
    Trigger = apps.get_model("djstripe", "WebhookEventTrigger")
    Trigger.objects.create(
        remote_ip="127.0.0.1",
        headers={"stripe-signature": "t=1,v1=" + "a" * 64, "x-secret": API_SECRET},
        body=json.dumps(event),
        valid=True,
        event_type=event["type"],
    )
    Trigger.objects.create(
        remote_ip="127.0.0.1", headers={}, body=f"not json {WEBHOOK_SECRET}"
    )


@pytest.fixture
def viewer(client):
    """Staff with every view permission of djstripe, and nothing else."""
    user = User.objects.create_user("viewer", "viewer@example.com", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="djstripe", codename__startswith="view_"
        )
    )
    client.force_login(user)
    return client


def _model(name):
    return apps.get_model("djstripe", name)


#: (model, lookup, a value the secret starts with)
PROBES = [
    ("APIKey", "secret__startswith", "sk_test_4"),
    ("APIKey", "secret__gte", "sk_test_4"),
    ("APIKey", "secret__regex", "^sk_test_4"),
    ("APIKey", "secret__contains", "SECRETKEY"),
    ("APIKey", "secret", API_SECRET),
    ("APIKey", "secret__exact", API_SECRET),
    ("APIKey", "secret__in", API_SECRET),
    ("APIKey", "stripe_data__secret__startswith", "sk_"),
    ("WebhookEndpoint", "secret__startswith", "whsec_0"),
    ("WebhookEndpoint", "secret__istartswith", "WHSEC_0"),
    ("WebhookEndpoint", "secret__lt", "whsec_1"),
    ("WebhookEndpoint", "secret__exact", WEBHOOK_SECRET),
    ("WebhookEndpoint", "secret__isnull", "0"),
    ("WebhookEndpoint", "triggers__body__contains", "whsec_"),
    (
        "PaymentIntent",
        "stripe_data__client_secret__startswith",
        "pi_3SECRETPI_secret_Z",
    ),
    ("PaymentIntent", "stripe_data__contains", "Zx9"),
    ("PaymentIntent", "stripe_data__icontains", "zx9"),
    ("PaymentIntent", "stripe_data__metadata__copied__startswith", "sk_test_4"),
    (
        "SetupIntent",
        "stripe_data__client_secret__startswith",
        "seti_1SECRETSI_secret_A",
    ),
    ("Session", "stripe_data__client_secret__startswith", "cs_test_a1SECRETCS_secret"),
    ("Event", "data__object__client_secret__startswith", "pi_3SECRETPI_secret_Z"),
    ("Event", "stripe_data__data__object__client_secret__startswith", "pi_3"),
    ("Event", "webhook_triggers__body__contains", "Zx9Yw8"),
    ("WebhookEventTrigger", "body__contains", "Zx9Yw8"),
    ("WebhookEventTrigger", "body__startswith", "{"),
    ("WebhookEventTrigger", "headers__x-secret__startswith", "sk_test_4"),
    ("WebhookEventTrigger", "headers__contains", "sk_test"),
    ("WebhookEventTrigger", "webhook_endpoint__secret__startswith", "whsec_"),
    ("WebhookEventTrigger", "event__data__object__client_secret__startswith", "pi_"),
    ("WebhookEventTrigger", "traceback__contains", "Error"),
    ("Customer", "payment_intents__stripe_data__client_secret__startswith", "pi_3"),
    ("Customer", "djstripe_owner_account__stripe_data__contains", "x"),
    ("Customer", "email__startswith", "a"),
    ("Customer", "id__startswith", "cus_"),
]


@pytest.mark.parametrize(("model", "lookup", "value"), PROBES)
def test_querystring_probes_are_refused_without_a_count(
    secrets, viewer, model, lookup, value
):
    response = viewer.get(changelist_url(_model(model)), {lookup: value})
    assert response.status_code == 400, (lookup, response.status_code)
    body = response.content.decode()
    assert "result" not in body.lower()  # no "1 result": no oracle


@pytest.mark.parametrize(
    ("model", "lookup", "value"),
    [
        ("WebhookEndpoint", "o", "1"),  # ordering by column index
        ("WebhookEndpoint", "o", "-2.3.4.5.6.7.8"),
        ("APIKey", "o", "2"),
        ("APIKey", "o", "-3"),
    ],
)
def test_ordering_never_sorts_by_a_secret(secrets, viewer, model, lookup, value):
    admin_ = admin.site._registry[_model(model)]
    secret_columns = {f.name for f in admin_.model._meta.concrete_fields} & {"secret"}
    shown = viewer.get(changelist_url(_model(model)), {lookup: value})
    if shown.status_code == 200:
        ordering = shown.context["cl"].get_ordering(
            shown.wsgi_request, shown.context["cl"].queryset
        )
        assert not any(
            str(o).lstrip("-").split("__")[0] in secret_columns for o in ordering
        )


@pytest.mark.parametrize(
    ("model", "term"),
    [
        ("APIKey", "sk_test_4"),
        ("APIKey", API_SECRET),
        ("WebhookEndpoint", "whsec_0"),
        ("WebhookEndpoint", WEBHOOK_SECRET),
        ("PaymentIntent", "secret_Zx9"),
        ("PaymentIntent", PI_SECRET),
        ("SetupIntent", SETI_SECRET),
        ("Session", SESSION_SECRET),
        ("Event", PI_SECRET),
        ("WebhookEventTrigger", "Zx9Yw8"),
        ("WebhookEventTrigger", WEBHOOK_SECRET),
    ],
)
def test_search_never_matches_a_secret(secrets, viewer, model, term):
    response = viewer.get(changelist_url(_model(model)), {"q": term})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_declared_filters_still_work_for_viewers(secrets, viewer):
    url = changelist_url(_model("WebhookEventTrigger"))
    assert viewer.get(url, {"valid__exact": "1"}).context["cl"].result_count == 1
    assert viewer.get(url, {"processed__exact": "0"}).status_code == 200
    intents = changelist_url(_model("PaymentIntent"))
    assert viewer.get(intents, {"livemode__exact": "0"}).status_code == 200


def _pages(model):
    rows = model._base_manager.all()[:5]
    yield changelist_url(model)
    for row in rows:
        yield change_url(model, row.pk)


def test_no_page_shows_a_secret(secrets, viewer):
    seen = 0
    for model in ADMIN_MODELS:
        for url in _pages(model):
            response = viewer.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            for secret in SECRETS:
                assert secret not in body, (url, secret)
                # ... nor the part that makes it usable
                assert secret[-12:] not in body, (url, secret)
            seen += 1
    assert seen > len(ADMIN_MODELS)


def test_webhook_request_page_shows_the_body_pretty_and_masked(secrets, viewer):
    Trigger = _model("WebhookEventTrigger")
    trigger = Trigger.objects.get(valid=True)
    body = viewer.get(change_url(Trigger, trigger.pk)).content.decode()
    assert masking.mask_secret(PI_SECRET) in body  # pi_3SECRETPI_secret_…
    assert "&quot;client_secret&quot;: &quot;pi_3SECRETPI_secret_…&quot;" in body
    assert "&quot;stripe-signature&quot;" in body


@pytest.mark.parametrize(
    ("data", "masked"),
    [
        ({"client_secret": PI_SECRET}, {"client_secret": "pi_3SECRETPI_secret_…"}),
        ({"secret": WEBHOOK_SECRET}, {"secret": "whsec_…ETWH"}),
        ({"note": f"key is {API_SECRET}."}, {"note": "key is sk_test_…TKEY."}),
        (
            {"Stripe-Signature": "t=1,v1=abcdef0123456789"},
            {"Stripe-Signature": "…6789"},
        ),
        (
            {"nested": [{"secret_key": API_SECRET}]},
            {"nested": [{"secret_key": "sk_test_…TKEY"}]},
        ),
        ({"secret": None, "id": "pi_1"}, {"secret": None, "id": "pi_1"}),
    ],
)
def test_mask_secrets(data, masked):
    assert masking.mask_secrets(data) == masked
