"""Every action of every model admin, run against the fake Stripe on the
demo's data: none fails, and each reports what it did.

The demo account (``djstripe.testing.scenarios.populate``) is made through
the fake's API the way a shop makes it, then mirrored through the engine;
models the demo has no rows of get rows built from Stripe's examples.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

from djstripe import sync
from djstripe.admin import display
from djstripe.admin.actions import can_retrieve, is_resyncable
from djstripe.models.base import StripeModel
from djstripe.testing import scenarios
from tests.test_admin import ADMIN_MODELS, Mirror, changelist_url

pytestmark = pytest.mark.django_db

#: Actions that ask for a confirmation first, and the form that confirms them.
CONFIRMED = {
    "cancel_subscriptions": {"when": "now"},
    "refund_charges": {"reason": "requested_by_customer"},
}


def run_action(client, model, name, pks, **options):
    """Post the action; confirm it (with the page's token) if it asks to."""
    data = {"action": name, "_selected_action": pks}
    response = client.post(changelist_url(model), data, follow=True)
    if name in CONFIRMED:
        assert response.status_code == 200
        assert "Yes, " in response.content.decode()
        token = response.context["token"]
        data |= {"confirm": "yes", "token": token, **CONFIRMED[name], **options}
        response = client.post(changelist_url(model), data, follow=True)
    return response


def mirror_all(fake) -> None:
    """Everything in the fake, mirrored."""
    objects = [fake.render(obj) for name in sync.registered() for obj in fake.all(name)]
    sync.upsert(objects)


@pytest.fixture
def demo(fake_stripe):
    scenarios.populate(fake_stripe)
    mirror_all(fake_stripe)
    fake_stripe.advance(60)  # a re-read happens after the mirror's last write
    return fake_stripe


@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return user


def _actions(model) -> list[str]:
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = User.objects.get(username="admin")
    return list(model_admin.get_actions(request))


def _rows(model, fake) -> tuple[list, bool]:
    """Up to 5 rows to act on, and whether they are the demo's (made through
    the fake's API, so Stripe has each of them)."""
    pks = list(model._base_manager.values_list("pk", flat=True)[:5])
    if pks or not (issubclass(model, StripeModel) and is_resyncable(model)):
        return pks, True
    Mirror(fake).rows(model, 2)
    return list(model._base_manager.values_list("pk", flat=True)[:5]), False


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_every_action_runs_and_reports(model, demo, superuser, client):
    names = _actions(model)
    pks, from_demo = _rows(model, demo)
    if not names or not pks:
        pytest.skip(f"{model.__name__}: no action or no rows")
    for name in names:
        response = run_action(client, model, name, pks)
        assert response.status_code == 200, (name, response.status_code)
        messages = [str(m) for m in response.context["messages"]]
        assert messages, (model.__name__, name)
        failures = [m for m in messages if m.startswith("Could not")]
        if name in CONFIRMED:
            # Stripe may refuse some (a charge refunded already): every
            # selected object is reported, done or not, by id.
            ids = model._base_manager.filter(pk__in=pks).values_list("id", flat=True)
            assert all(any(i in m for m in messages) for i in ids), messages
        elif from_demo:
            assert not failures, (model.__name__, name, failures)
        else:
            # Rows built from Stripe's examples: some the fake cannot serve
            # back; each is then reported, by id, with Stripe's answer.
            assert all(": " in m for m in failures)


def test_resync_is_offered_only_where_stripe_can_return_the_object(superuser):
    Discount = apps.get_model("djstripe", "Discount")
    assert not can_retrieve(Discount)
    assert "resync_from_stripe" not in _actions(Discount)
    for model in ADMIN_MODELS:
        offered = "resync_from_stripe" in _actions(model)
        assert offered is is_resyncable(model), model


def test_line_items_are_reread_through_their_invoice_list(demo, superuser, client):
    LineItem = apps.get_model("djstripe", "LineItem")
    lines = list(LineItem.objects.all()[:3])
    assert lines
    invoice = demo.get("invoice", lines[0].invoice_id)
    demo.requests.clear()
    client.post(
        changelist_url(LineItem),
        {"action": "resync_from_stripe", "_selected_action": [lines[0].pk]},
    )
    paths = [path for _, path, *_ in demo.requests]
    assert paths and all(
        path.startswith(f"/v1/invoices/{invoice['id']}/lines") for path in paths
    ), paths
    assert not any("/lines/il_" in path for path in paths)


def test_charge_and_coupon_labels_use_the_admins_amount_format(demo):
    Charge = apps.get_model("djstripe", "Charge")
    Coupon = apps.get_model("djstripe", "Coupon")
    charge = Charge.objects.filter(currency="usd", amount=50).get()
    assert display.object_label(charge) == "$50.00 USD (Partially refunded)"
    coupon = Coupon(id="co_1", name="Launch", amount_off=5, currency="usd")
    coupon.stripe_data = {"amount_off": 500, "currency": "usd"}
    assert display.object_label(coupon) == "Launch ($5.00 USD off)"
    coupon.stripe_data = {"percent_off": 12.5}
    assert display.object_label(coupon) == "Launch (12.5% off)"


# -- Actions that change objects in Stripe ------------------------------------------


def _staff(client, *codenames):
    from django.contrib.auth.models import Permission

    user = User.objects.create_user("staff", "s@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("model_name", "action", "permission"),
    [
        ("Subscription", "cancel_subscriptions", "cancel_subscription"),
        ("Charge", "refund_charges", "refund_charge"),
    ],
)
def test_write_actions_need_their_own_permission(
    demo, client, model_name, action, permission
):
    model = apps.get_model("djstripe", model_name)
    view, change = f"view_{model._meta.model_name}", f"change_{model._meta.model_name}"
    _staff(client, view, change)
    page = client.get(changelist_url(model)).content.decode()
    assert action not in page
    client.logout()
    User.objects.filter(username="staff").delete()
    _staff(client, view, permission)
    assert action in client.get(changelist_url(model)).content.decode()


def test_cancel_at_period_end_and_now(demo, superuser, client):
    Subscription = apps.get_model("djstripe", "Subscription")
    first, second = Subscription.objects.filter(status__in=["active", "trialing"])[:2]

    response = run_action(
        client, Subscription, "cancel_subscriptions", [first.pk], when="period_end"
    )
    first.refresh_from_db()
    assert first.cancel_at_period_end is True  # mirrored from Stripe's answer
    assert demo.get("subscription", first.id)["cancel_at_period_end"] is True
    messages = [str(m) for m in response.context["messages"]]
    assert any(f"Cancel subscriptions: done for 1 ({first.id})" in m for m in messages)

    run_action(client, Subscription, "cancel_subscriptions", [second.pk], when="now")
    second.refresh_from_db()
    assert second.status == "canceled"
    assert demo.get("subscription", second.id)["status"] == "canceled"


def test_the_confirmation_page_changes_nothing_and_a_token_works_once(
    demo, superuser, client
):
    Charge = apps.get_model("djstripe", "Charge")
    charge = Charge.objects.filter(
        status="succeeded", stripe_data__refunded=False
    ).first()
    before = len(demo.requests)
    data = {"action": "refund_charges", "_selected_action": [charge.pk]}
    page = client.post(changelist_url(Charge), data)
    assert page.status_code == 200 and charge.id in page.content.decode()
    assert len(demo.requests) == before  # nothing sent yet
    data |= {"confirm": "yes", "token": page.context["token"], "reason": "duplicate"}
    client.post(changelist_url(Charge), data, follow=True)
    posts = [r for r in demo.requests[before:] if r[0].lower() == "post"]
    assert [p[1] for p in posts] == ["/v1/refunds"]
    charge.refresh_from_db()
    assert charge.refunded is True
    again = client.post(changelist_url(Charge), data, follow=True)
    assert any("already used" in str(m) for m in again.context["messages"])
    assert [r for r in demo.requests if r[0].lower() == "post"][-1] == posts[-1]


def test_refund_reports_each_failure(demo, superuser, client):
    Charge = apps.get_model("djstripe", "Charge")
    refunded = Charge.objects.filter(stripe_data__refunded=True).first()
    ok = Charge.objects.filter(status="succeeded", stripe_data__refunded=False).first()
    if refunded is None:
        run_action(client, Charge, "refund_charges", [ok.pk])
        refunded = ok
        ok = (
            Charge.objects.filter(status="succeeded", stripe_data__refunded=False)
            .exclude(pk=refunded.pk)
            .first()
        )
    response = run_action(client, Charge, "refund_charges", [refunded.pk, ok.pk])
    messages = [str(m) for m in response.context["messages"]]
    assert any(f"Refund charges: done for 1 ({ok.id})" in m for m in messages)
    assert any(
        m.startswith(f"Could not refund charges {refunded.id}:") for m in messages
    )


def test_sync_all_backfills_the_model_inline(fake_stripe, superuser, client):
    Customer = apps.get_model("djstripe", "Customer")
    v1 = fake_stripe.client().v1
    for i in range(3):
        v1.customers.create({"email": f"c{i}@example.com"})
    page = client.get(changelist_url(Customer)).content.decode()
    assert "Sync all from Stripe" in page
    response = client.post(reverse("admin:djstripe_customer_sync_all"), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any(
        "Synced all customers from Stripe: 3 fetched, 3 written" in m for m in messages
    )
    assert Customer.objects.count() == 3


def test_sync_all_runs_as_a_task_when_a_backend_is_configured(
    fake_stripe, superuser, client, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    Product = apps.get_model("djstripe", "Product")
    fake_stripe.client().v1.products.create({"name": "Gold"})
    response = client.post(reverse("admin:djstripe_product_sync_all"), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any(
        "Started the back-fill of all products from Stripe: queued as task" in m
        for m in messages
    )
    assert Product.objects.filter(name="Gold").exists()  # the immediate backend ran it


def test_sync_all_is_not_offered_for_types_stripe_does_not_list(superuser, client):
    LineItem = apps.get_model("djstripe", "LineItem")
    assert (
        "Sync all from Stripe"
        not in client.get(changelist_url(LineItem)).content.decode()
    )
    assert client.post(reverse("admin:djstripe_lineitem_sync_all")).status_code == 403
