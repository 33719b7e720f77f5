"""The admin of the mirror: every djstripe model, read-only, without N+1.

Rows are written the one way rows are written, ``sync.upsert``, from objects
the fake Stripe builds out of Stripe's published examples; the same objects
are stored in the fake, so "Re-sync from Stripe" reads them back from it.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from djstripe import sync
from djstripe.admin import columns, display
from djstripe.admin.actions import is_resyncable
from djstripe.exceptions import ProcessingError
from djstripe.fields import StripeForeignKey
from djstripe.models.base import StripeModel

pytestmark = pytest.mark.django_db

ADMIN_MODELS = [
    model
    for model in apps.get_app_config("djstripe").get_models()
    if admin.site.is_registered(model)
]


# -- Data -------------------------------------------------------------------------


def _set_path(data: dict, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = (
            data.setdefault(part, {}) if isinstance(data.get(part), dict | None) else {}
        )
    data[last] = value


class Mirror:
    """Writes rows of any model through the engine, relations resolved: every
    StripeForeignKey points at one "anchor" row of its target type."""

    def __init__(self, fake):
        self.fake = fake
        self.anchors: dict[str, dict] = {}

    def anchor(self, model: type[StripeModel]) -> dict:
        name = model.stripe_object_name
        if name not in self.anchors:
            self.anchors[name] = {}  # guards self-relations
            self.anchors[name] = self.stripe_object(model)
            sync.upsert([self.anchors[name]])
        return self.anchors[name]

    def stripe_object(self, model: type[StripeModel], **fields: Any) -> dict:
        obj = self.fake.build(model.stripe_object_name)
        obj.setdefault(
            "id", self.fake.new_id(model.stripe_object_name.split(".")[-1][:8])
        )
        self.fake.store(obj)
        for field in model._meta.concrete_fields:
            if (
                isinstance(field, StripeForeignKey)
                and field.name != "djstripe_owner_account"
            ):
                target = self.anchor(field.related_model)
                if target.get("id"):
                    _set_path(obj, field.stripe_path or field.name, target["id"])
        obj.update(fields)
        return obj

    def rows(self, model: type[models.Model], count: int, **fields: Any) -> list[str]:
        """``count`` new rows of ``model``; returns their Stripe ids (or pks)."""
        if issubclass(model, StripeModel) and model.stripe_class is None:
            # A polymorphic parent gets its rows from a mirrored child type.
            children = [m for m in sync.registered().values() if issubclass(m, model)]
            if children:
                return self.rows(children[0], count, **fields)
        elif issubclass(model, StripeModel):
            objects = [self.stripe_object(model, **fields) for _ in range(count)]
            sync.upsert(objects)
            return [obj["id"] for obj in objects]
        # djstripe's own records (API keys, webhook triggers...)
        start = model._base_manager.count()
        rows = [record(model, start + i) for i in range(count)]
        return [row.id if isinstance(row, StripeModel) else str(row.pk) for row in rows]


def record(model: type[models.Model], index: int) -> models.Model:
    """A row of one of djstripe's own (non-Stripe) models, any shape: every
    required column gets a plausible value of its type."""
    values: dict[str, Any] = {}
    if model._meta.model_name == "apikey":  # a key's prefix says its type and mode
        values["secret"] = f"sk_test_{index:024d}"
    for field in model._meta.concrete_fields:
        if field.attname in values:
            continue
        if field.primary_key or field.has_default() or field.null:
            continue
        if isinstance(field, models.DateTimeField):
            values[field.attname] = timezone.now()
        elif isinstance(field, models.GenericIPAddressField):
            values[field.attname] = "127.0.0.1"
        elif isinstance(field, models.UUIDField):
            import uuid

            values[field.attname] = uuid.uuid4()
        elif isinstance(field, models.BooleanField):
            values[field.attname] = False
        elif isinstance(
            field, models.IntegerField | models.FloatField | models.DecimalField
        ):
            values[field.attname] = index
        elif isinstance(field, models.JSONField):
            values[field.attname] = {}
        elif isinstance(field, models.CharField | models.TextField):
            values[field.attname] = f"{field.name}-{index}"[: field.max_length or None]
    return model._base_manager.create(**values)


@pytest.fixture
def mirror(fake_stripe):
    return Mirror(fake_stripe)


@pytest.fixture
def superuser_client(client):
    user = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def changelist_url(model: type[models.Model]) -> str:
    return reverse(f"admin:djstripe_{model._meta.model_name}_changelist")


def change_url(model: type[models.Model], pk: Any) -> str:
    return reverse(f"admin:djstripe_{model._meta.model_name}_change", args=[pk])


def row_pk(model: type[models.Model], key: str) -> Any:
    if issubclass(model, StripeModel):
        return model._base_manager.get(id=key).pk
    return key


# -- Every model ------------------------------------------------------------------


def test_every_djstripe_model_is_registered():
    assert ADMIN_MODELS == list(apps.get_app_config("djstripe").get_models())
    assert {"customer", "charge", "event", "deletedstripeobject"} <= {
        m._meta.model_name for m in ADMIN_MODELS
    }


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_changelist_search_and_change_view_render(model, mirror, superuser_client):
    keys = mirror.rows(model, 3)
    response = superuser_client.get(changelist_url(model))
    assert response.status_code == 200
    content = response.content.decode()
    if issubclass(model, StripeModel):
        assert all(key in content for key in keys)
    assert ("Re-sync selected" in content) is is_resyncable(model)
    assert "3 " in content  # "3 customers" (the result count)

    search = superuser_client.get(changelist_url(model), {"q": keys[1]})
    assert search.status_code == 200
    if issubclass(model, StripeModel):
        assert search.context["cl"].result_count == 1
        assert keys[1] in search.content.decode()

    change = superuser_client.get(change_url(model, row_pk(model, keys[0])))
    assert change.status_code == 200
    body = change.content.decode()
    if issubclass(model, StripeModel):
        assert keys[0] in body
        assert "<details" in body and "Stripe data" in body
        assert 'name="_save"' not in body  # read-only: no save button


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_changelist_costs_the_same_queries_for_10_and_100_rows(
    model, mirror, superuser_client
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = superuser_client.get(changelist_url(model))
        assert response.status_code == 200
        return len(captured.captured_queries)

    mirror.rows(model, 10)
    with_10 = queries()
    mirror.rows(model, 90)
    assert response_rows(superuser_client, model) == 100
    assert queries() == with_10


def response_rows(client, model) -> int:
    return len(client.get(changelist_url(model)).context["cl"].result_list)


def test_changelist_selects_every_shown_relation():
    for model in ADMIN_MODELS:
        model_admin = admin.site._registry[model]
        shown = {getattr(c, "__name__", c) for c in model_admin.list_display}
        relations = {f.name for f in columns.relations(model)} & shown
        assert relations <= set(model_admin.list_select_related), model
    charge_admin = admin.site._registry[apps.get_model("djstripe", "Charge")]
    assert "customer" in charge_admin.list_select_related


# -- Columns, filters, search -------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor", "expected"),
    [
        (Decimal("10.5"), "usd", False, "$10.50 USD"),
        (1050, "usd", True, "$10.50 USD"),
        (500, "jpy", True, "¥500 JPY"),
        (Decimal("500"), "jpy", False, "¥500 JPY"),
        (1234567, "eur", True, "€12,345.67 EUR"),
        (-250, "gbp", True, "-£2.50 GBP"),
        (1500, "kwd", True, "1.500 KWD"),
        (None, "usd", True, ""),
    ],
)
def test_format_amount(amount, currency, minor, expected):
    assert display.format_amount(amount, currency, minor_units=minor) == expected


def test_charge_changelist_shows_amounts_with_currency_and_customer_link(
    mirror, superuser_client
):
    Charge = apps.get_model("djstripe", "Charge")
    Customer = apps.get_model("djstripe", "Customer")
    customer = mirror.anchor(Customer)
    # Seen in Stripe later than the anchor's first write (a tie would re-read it).
    later = timezone.now() + datetime.timedelta(seconds=5)
    sync.upsert(
        [{**customer, "email": "ada@example.com", "name": None}], observed_at=later
    )
    mirror.rows(Charge, 1, amount=1050, currency="usd", status="succeeded")
    mirror.rows(Charge, 1, amount=500, currency="jpy", status="failed")

    content = superuser_client.get(changelist_url(Charge)).content.decode()

    assert "$10.50 USD" in content
    assert "¥500 JPY" in content
    customer_url = change_url(Customer, Customer.objects.get(id=customer["id"]).pk)
    assert f'href="{customer_url}"' in content
    assert "ada@example.com" in content


def test_relation_to_an_object_not_mirrored_yet_shows_its_id(mirror, superuser_client):
    Charge = apps.get_model("djstripe", "Charge")
    mirror.rows(Charge, 1, customer="cus_notmirroredyet")
    assert (
        "cus_notmirroredyet"
        in superuser_client.get(changelist_url(Charge)).content.decode()
    )


def test_filters_and_date_hierarchy(mirror, superuser_client):
    Charge = apps.get_model("djstripe", "Charge")
    mirror.rows(Charge, 2, status="succeeded", currency="usd")
    mirror.rows(Charge, 1, status="failed", currency="eur", livemode=True)
    url = changelist_url(Charge)

    def count(**params) -> int:
        response = superuser_client.get(url, params)
        assert response.status_code == 200, params
        return response.context["cl"].result_count

    assert count() == 3
    assert count(status="failed") == 1
    assert count(currency="usd") == 2
    assert count(livemode__exact="1") == 1
    year = datetime.datetime.fromtimestamp(mirror.fake.now, tz=datetime.UTC).year
    assert count(created__year=str(year)) == 3
    assert count(created__year=str(year - 5)) == 0


def test_search_by_id_email_name_and_description(mirror, superuser_client):
    Customer = apps.get_model("djstripe", "Customer")
    Charge = apps.get_model("djstripe", "Charge")
    [ada] = mirror.rows(Customer, 1, email="ada@example.com", name="Ada Lovelace")
    mirror.rows(Customer, 2, email="other@example.com", description="Bulk buyer")
    mirror.rows(Charge, 2, customer=ada)

    def found(model, term) -> int:
        response = superuser_client.get(changelist_url(model), {"q": term})
        assert response.status_code == 200
        return response.context["cl"].result_count

    assert found(Customer, ada) == 1
    assert found(Customer, "ada@example") == 1
    assert found(Customer, "lovelace") == 1
    assert found(Customer, "bulk") == 2
    assert found(Charge, ada) == 2  # a customer's charges, by the customer's id
    assert found(Charge, "ada@example.com") == 2  # ... or email


# -- Change views ----------------------------------------------------------------


def test_change_view_links_both_ways_and_to_the_dashboard(mirror, superuser_client):
    Customer = apps.get_model("djstripe", "Customer")
    Charge = apps.get_model("djstripe", "Charge")
    [customer_id] = mirror.rows(Customer, 1)
    charge_ids = mirror.rows(Charge, 2, customer=customer_id)
    mirror.rows(Charge, 1)  # someone else's
    customer = Customer.objects.get(id=customer_id)

    body = superuser_client.get(change_url(Customer, customer.pk)).content.decode()
    charges_url = f"{changelist_url(Charge)}?customer__exact={customer_id}"
    assert f'href="{charges_url}"' in body
    assert "Charges</a> (2)" in body
    assert f"https://dashboard.stripe.com/test/customers/{customer_id}" in body

    listed = superuser_client.get(charges_url)
    assert listed.status_code == 200
    assert sorted(c.id for c in listed.context["cl"].result_list) == sorted(charge_ids)

    charge = Charge.objects.get(id=charge_ids[0])
    body = superuser_client.get(change_url(Charge, charge.pk)).content.decode()
    assert f'href="{change_url(Customer, customer.pk)}"' in body


def test_stripe_data_is_escaped_collapsible_json_with_secrets_masked(
    mirror, superuser_client
):
    Customer = apps.get_model("djstripe", "Customer")
    [customer_id] = mirror.rows(
        Customer,
        1,
        description="<script>alert(1)</script>",
        metadata={"secret": "whsec_0123456789abcdefWXYZ"},
    )
    pk = Customer.objects.get(id=customer_id).pk
    body = superuser_client.get(change_url(Customer, pk)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<details" in body and "<pre" in body
    assert "whsec_0123456789abcdefWXYZ" not in body
    assert "whsec_…WXYZ" in body


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        ("sk_test_51Habcdefghijklmnopabcd", "sk_test_…abcd"),
        ("rk_live_0123456789abcdef9876", "rk_live_…9876"),
        ("whsec_0123456789abcdefWXYZ", "whsec_…WXYZ"),
        ("sk_test_short", "sk_test_…"),
        ("nounderscorebutlongenough", "…ough"),
        ("", ""),
    ],
)
def test_mask_secret(secret, masked):
    assert display.mask_secret(secret) == masked


@pytest.mark.parametrize(
    ("name", "secret"), [("secret", True), ("secret_key", True), ("email", False)]
)
def test_secret_fields_are_detected_by_name(name, secret):
    field = models.CharField(max_length=10)
    field.set_attributes_from_name(name)
    field.model = apps.get_model("djstripe", "Customer")
    assert columns.is_secret(field) is secret


# -- Read-only, permissions -----------------------------------------------------------


def test_mirror_cannot_be_added_changed_or_deleted(mirror, superuser_client):
    Customer = apps.get_model("djstripe", "Customer")
    [customer_id] = mirror.rows(Customer, 1, email="keep@example.com")
    pk = Customer.objects.get(id=customer_id).pk
    url = change_url(Customer, pk)

    assert (
        superuser_client.get(reverse("admin:djstripe_customer_add")).status_code == 403
    )
    assert (
        superuser_client.post(url, {"email": "changed@example.com"}).status_code == 403
    )
    delete = reverse("admin:djstripe_customer_delete", args=[pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert Customer.objects.get(pk=pk).email == "keep@example.com"
    actions = superuser_client.get(changelist_url(Customer)).context["action_form"]
    assert "delete_selected" not in dict(actions.fields["action"].choices)


def test_anonymous_user_is_sent_to_login(client):
    url = changelist_url(apps.get_model("djstripe", "Customer"))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def _staff(client, *codenames: str):
    user = User.objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def test_staff_without_permission_gets_403(client, mirror):
    Customer = apps.get_model("djstripe", "Customer")
    [customer_id] = mirror.rows(Customer, 1)
    _staff(client)
    assert client.get(changelist_url(Customer)).status_code == 403
    pk = Customer.objects.get(id=customer_id).pk
    assert client.get(change_url(Customer, pk)).status_code == 403


def test_view_permission_shows_but_cannot_resync(client, mirror, fake_stripe):
    Customer = apps.get_model("djstripe", "Customer")
    [customer_id] = mirror.rows(Customer, 1)
    pk = Customer.objects.get(id=customer_id).pk
    _staff(client, "view_customer")

    listing = client.get(changelist_url(Customer))
    assert listing.status_code == 200
    assert "Re-sync selected" not in listing.content.decode()
    change = client.get(change_url(Customer, pk))
    assert change.status_code == 200
    assert "Re-sync from Stripe" not in change.content.decode()
    resync = reverse("admin:djstripe_customer_resync", args=[pk])
    assert client.post(resync).status_code == 403
    assert fake_stripe.requests == []


# -- Actions ---------------------------------------------------------------------------


def test_resync_action_fetches_each_and_writes_one_batch(
    mirror, superuser_client, fake_stripe, monkeypatch
):
    Customer = apps.get_model("djstripe", "Customer")
    ids = mirror.rows(Customer, 3, email="old@example.com")
    fake_stripe.get("customer", ids[0])["email"] = "new@example.com"
    fake_stripe._objects.pop(ids[2])  # gone from Stripe: reported, not fatal
    fake_stripe.advance(1)  # the re-sync happens after the mirror's last write

    calls = []
    real_upsert = sync.upsert
    monkeypatch.setattr(
        sync,
        "upsert",
        lambda objects, **kw: calls.append(objects) or real_upsert(objects, **kw),
    )
    pks = list(Customer.objects.filter(id__in=ids).values_list("pk", flat=True))
    response = superuser_client.post(
        changelist_url(Customer),
        {"action": "resync_from_stripe", "_selected_action": pks},
        follow=True,
    )

    assert response.status_code == 200
    retrieves = [r for r in fake_stripe.requests if r[0].lower() == "get"]
    assert len(retrieves) == 3
    assert len(calls) == 1 and sorted(o["id"] for o in calls[0]) == sorted(ids[:2])
    assert Customer.objects.get(id=ids[0]).email == "new@example.com"
    messages = [str(m) for m in response.context["messages"]]
    assert any(
        "Re-synced 2 customers from Stripe: 1 updated, 1 unchanged" in m
        for m in messages
    )
    assert any(f"Could not re-sync {ids[2]}" in m for m in messages)


def test_resync_button_on_the_change_page(mirror, superuser_client, fake_stripe):
    Charge = apps.get_model("djstripe", "Charge")
    [charge_id] = mirror.rows(Charge, 1, status="pending")
    fake_stripe.get("charge", charge_id)["status"] = "succeeded"
    pk = Charge.objects.get(id=charge_id).pk

    page = superuser_client.get(change_url(Charge, pk)).content.decode()
    [action] = re.findall(
        r'<form method="post" action="([^"]+)"[^>]*>[^<]*<input[^>]*csrf', page
    )
    assert action == reverse("admin:djstripe_charge_resync", args=[pk])
    response = superuser_client.post(action, follow=True)

    assert response.redirect_chain[-1][0] == change_url(Charge, pk)
    assert Charge.objects.get(pk=pk).status == "succeeded"
    assert (
        "Re-synced 1 charge from Stripe: 1 updated, 0 unchanged"
        in response.content.decode()
    )
    assert (
        superuser_client.get(
            reverse("admin:djstripe_charge_resync", args=[pk])
        ).status_code
        == 405
    )


def test_reprocess_events_runs_event_processing_and_reports_failures(
    mirror, superuser_client, monkeypatch
):
    Event = apps.get_model("djstripe", "Event")
    ids = mirror.rows(Event, 2)
    processed = []

    def process(data, api_key=None):
        if data["id"] == ids[1]:
            raise ProcessingError("handler broke")
        processed.append(data["id"])

    monkeypatch.setattr(Event, "process", staticmethod(process))
    pks = list(Event.objects.filter(id__in=ids).values_list("pk", flat=True))
    response = superuser_client.post(
        changelist_url(Event),
        {"action": "reprocess", "_selected_action": pks},
        follow=True,
    )

    assert processed == [ids[0]]
    messages = [str(m) for m in response.context["messages"]]
    assert "Re-processed 1 events." in messages
    assert any(
        m.startswith("Could not re-process") and "handler broke" in m for m in messages
    )


# -- Models that arrive with other parts of djstripe -------------------------------------


def _model(object_name: str):
    model = sync.model_for(object_name)
    if model is None:
        pytest.skip(f"no model mirrors {object_name!r} yet")
    return model


def test_add_webhook_endpoint_creates_it_in_stripe(superuser_client, fake_stripe):
    WebhookEndpoint = _model("webhook_endpoint")
    response = superuser_client.post(
        reverse(f"admin:djstripe_{WebhookEndpoint._meta.model_name}_add"),
        {
            "url": "https://example.com/stripe/webhook/",
            "enabled_events": "customer.created\ninvoice.paid",
            "description": "from the admin",
            "mode": "test",
            "api_version": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    [created] = fake_stripe.all("webhook_endpoint")
    assert created["enabled_events"] == ["customer.created", "invoice.paid"]
    row = WebhookEndpoint.objects.get(id=created["id"])
    secret = row.secret  # only Stripe's create answer has it; kept locally
    assert secret.startswith("whsec_")
    body = superuser_client.get(change_url(WebhookEndpoint, row.pk)).content.decode()
    assert secret not in body
    assert display.mask_secret(secret) in body


def test_api_key_secret_is_masked(superuser_client, fake_stripe):
    APIKey = apps.get_model("djstripe", "APIKey") if _has_model("APIKey") else None
    if APIKey is None:
        pytest.skip("no APIKey model yet")
    secret = "sk_test_0123456789abcdefghijWXYZ"
    response = superuser_client.post(
        reverse("admin:djstripe_apikey_add"),
        {"name": "Main", "secret": secret},
        follow=True,
    )
    assert response.status_code == 200
    key = APIKey.objects.get()
    for url in (changelist_url(APIKey), change_url(APIKey, key.pk)):
        body = superuser_client.get(url).content.decode()
        assert secret not in body
        assert "sk_test_…WXYZ" in body


def _has_model(name: str) -> bool:
    try:
        apps.get_model("djstripe", name)
    except LookupError:
        return False
    return True
