"""dj-stripe's view mixins and its customer and idempotency-key commands."""

import io
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.views.generic import TemplateView

from djstripe.mixins import PaymentsContextMixin, SubscriptionMixin
from djstripe.models import Customer, Price

pytestmark = pytest.mark.django_db


def _user(name):
    return get_user_model().objects.create(username=name, email=f"{name}@example.com")


def test_subscription_mixin_context(fake_stripe, settings):
    class Page(SubscriptionMixin, TemplateView):
        template_name = "unused.html"

    settings.STRIPE_TEST_PUBLIC_KEY = "pk_test_page"
    Price.create(
        currency="usd",
        unit_amount=500,
        recurring={"interval": "month"},
        product_data={"name": "Basic"},
    )
    Price.create(currency="usd", unit_amount=900, product_data={"name": "Once"})
    request = RequestFactory().get("/")
    request.user = _user("ada")
    view = Page()
    view.setup(request)
    context = view.get_context_data()
    assert context["STRIPE_PUBLIC_KEY"] == "pk_test_page"
    assert [p.unit_amount for p in context["plans"]] == [500]
    assert context["is_plans_plural"] is False
    assert context["customer"].subscriber == request.user
    assert context["subscription"] is None
    # The same customer on the next page view: no second Stripe customer.
    assert view.get_context_data()["customer"] == context["customer"]
    assert Customer.objects.count() == 1


def test_payments_context_mixin_alone(settings):
    settings.STRIPE_TEST_PUBLIC_KEY = "pk_test_x"

    class Base:
        def get_context_data(self, **kwargs):
            return dict(kwargs)

    class Page(PaymentsContextMixin, Base):
        pass

    context = Page().get_context_data(extra=1)
    assert context["extra"] == 1 and context["STRIPE_PUBLIC_KEY"] == "pk_test_x"
    assert list(context["plans"]) == []


def _run(name):
    out, err = io.StringIO(), io.StringIO()
    call_command(name, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_init_customers_creates_only_the_missing_ones(fake_stripe):
    has_one, lacks_one = _user("ada"), _user("bob")
    Customer.create(has_one)
    out, _ = _run("djstripe_init_customers")
    assert "bob@example.com" in out and "ada@example.com" not in out
    customer = Customer.objects.get(subscriber=lacks_one)
    assert fake_stripe.get("customer", customer.id)["email"] == "bob@example.com"
    assert Customer.objects.count() == 2
    out, _ = _run("djstripe_init_customers")
    assert out.strip() == "All subscribers already have a customer."


def test_sync_customers_creates_and_mirrors_related_objects(fake_stripe):
    from djstripe import stripe_api

    ada = _user("ada")
    Customer.create(_user("bob"))
    with stripe_api.counter.counting() as count:
        out, _ = _run("djstripe_sync_customers")
    assert out.splitlines() == [f"[1/1 100%] Syncing ada@example.com [{ada.pk}]"]
    customer = Customer.objects.get(subscriber=ada)
    assert fake_stripe.get("customer", customer.id)["email"] == "ada@example.com"
    assert count.by_endpoint == {
        "POST /v1/customers": 1,
        "GET /v1/subscriptions": 1,
        "GET /v1/invoices": 1,
        f"GET /v1/customers/{customer.id}/payment_methods": 1,
        "GET /v1/charges": 1,
    }


@pytest.mark.django_db
def test_clear_expired_idempotency_keys_deletes_only_expired_ones():
    import datetime

    from django.utils import timezone

    from djstripe.models import IdempotencyKey

    old_key = IdempotencyKey.key_for("customer", "create:1", False)
    fresh_key = IdempotencyKey.key_for("customer", "create:2", False)
    IdempotencyKey.objects.filter(uuid=old_key).update(
        created=timezone.now() - datetime.timedelta(hours=25)
    )
    out, err = _run("djstripe_clear_expired_idempotency_keys")
    assert out.strip() == "Deleted 1 expired idempotency key(s)." and err == ""
    assert list(IdempotencyKey.objects.values_list("uuid", flat=True)) == [
        uuid.UUID(fresh_key)
    ]


def test_verbosity_aware_output_mixin(capsys):
    from djstripe.mixins import VerbosityAwareOutputMixin

    out = VerbosityAwareOutputMixin()
    for verbosity in (0, 1, 2):
        out.set_verbosity({"verbosity": verbosity})
        out.output(f"normal {verbosity}")
        out.verbose_output(f"verbose {verbosity}")
    assert capsys.readouterr().out.split("\n")[:-1] == [
        "normal 1",
        "normal 2",
        "verbose 2",
    ]
