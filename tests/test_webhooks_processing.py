"""Processing events: order safety, deletions, re-reads, thin events, handlers,
signals; and a property test over shuffled, duplicated event streams."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djstripe import signals, stripe_api, sync
from djstripe.exceptions import ProcessingError
from djstripe.models import Customer, DeletedStripeObject, Event, Price, Product
from djstripe.webhooks import handler, handler_all, registry
from djstripe.webhooks.processing import apply_event, is_deletion, process_event_data

from .conftest import stripe_fixture
from .webhook_utils import T0, ScriptedStripe, make_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated_handlers():
    with registry.isolated():
        yield


@pytest.fixture(autouse=True)
def stripe():
    """Nothing here may reach Stripe: a scripted client answers instead."""
    with stripe_api.use_http_client(ScriptedStripe(date=T0 + 10**6)) as scripted:
        yield scripted


def customer(**changes) -> dict:
    changes.setdefault("id", "cus_p")
    return stripe_fixture("customer", **changes)


def email_of(customer_id: str = "cus_p") -> str:
    return Customer.objects.get(id=customer_id).email


# -- Order ------------------------------------------------------------------------


def test_an_older_event_never_overwrites_a_newer_one(stripe):
    newer = make_event("customer.updated", customer(email="new@x.com"), T0 + 20)
    older = make_event("customer.updated", customer(email="old@x.com"), T0 + 10)
    apply_event(newer)
    outcome = apply_event(older)

    assert outcome.new  # a new event, stored, with its handlers run...
    assert outcome.result.stale == 1  # ...but its object is stale
    assert email_of() == "new@x.com"
    assert Event.objects.count() == 2
    assert stripe.calls == []


def test_deleted_events_tombstone_and_late_updates_do_not_resurrect():
    apply_event(make_event("customer.created", customer(email="a@x.com"), T0))
    apply_event(make_event("customer.deleted", customer(email="a@x.com"), T0 + 20))
    apply_event(make_event("customer.updated", customer(email="late@x.com"), T0 + 10))

    row = Customer.objects.get(id="cus_p")  # customers are kept, marked purged
    assert row.date_purged is not None and row.email == "a@x.com"
    assert DeletedStripeObject.objects.filter(stripe_id="cus_p").exists()

    product = stripe_fixture("product", id="prod_p")
    apply_event(make_event("product.deleted", product, T0 + 30))
    apply_event(make_event("product.created", product, T0 + 5))  # arrives late
    assert not Product.objects.filter(id="prod_p").exists()


def test_a_canceled_subscription_is_not_a_deletion():
    assert is_deletion({"type": "product.deleted"})
    assert is_deletion({"type": "customer.discount.deleted"})
    assert not is_deletion({"type": "customer.subscription.deleted"})
    assert not is_deletion({"type": "customer.updated"})


def test_previous_attributes_are_not_mirrored_as_current_state():
    price = stripe_fixture("price", id="price_p", nickname="current")
    old_price = {**price, "nickname": "previous"}
    event = make_event(
        "price.updated",
        price,
        T0,
        previous_attributes={"nickname": "previous", "nested": {"data": [old_price]}},
    )
    apply_event(event)
    assert Price.objects.get(id="price_p").nickname == "current"


def test_connect_events_record_the_owner_account():
    event = make_event("customer.created", customer(), T0, account="acct_connected")
    apply_event(event)
    assert (
        Customer.objects.get(id="cus_p").djstripe_owner_account_id == "acct_connected"
    )


# -- Re-reads ---------------------------------------------------------------------


def tie_events():
    first = make_event("customer.updated", customer(email="one@x.com"), T0)
    second = make_event("customer.updated", customer(email="two@x.com"), T0)
    return first, second


def test_exact_timestamp_tie_rereads_the_object(stripe):
    stripe.objects["/v1/customers/cus_p"] = customer(email="truth@x.com")
    first, second = tie_events()
    apply_event(first)
    assert stripe.calls == []
    outcome = apply_event(second)
    assert stripe.paths == ["/v1/customers/cus_p"]
    assert outcome.result.refetched == 1
    assert email_of() == "truth@x.com"


@pytest.mark.parametrize(
    "policy", ["never", {"customer": "never", "*": "always"}], ids=["never", "by-type"]
)
def test_refetch_never_keeps_the_stored_row_on_a_tie(stripe, settings, policy):
    settings.DJSTRIPE_WEBHOOK_REFETCH = policy
    first, second = tie_events()
    apply_event(first)
    outcome = apply_event(second)
    assert stripe.calls == []
    assert outcome.result.unresolved_ties == 1
    assert email_of() == "one@x.com"


def test_refetch_always_mirrors_stripe_instead_of_the_payload(stripe, settings):
    settings.DJSTRIPE_WEBHOOK_REFETCH = {"customer": "always"}
    stripe.objects["/v1/customers/cus_p"] = customer(email="fresh@x.com")
    event = make_event("customer.updated", customer(email="payload@x.com"), T0)
    apply_event(event)
    assert stripe.paths == ["/v1/customers/cus_p"]
    assert email_of() == "fresh@x.com"
    assert Event.objects.get(id=event["id"]).data["object"]["email"] == "payload@x.com"
    # Deletions are not re-read (there is nothing left to read).
    apply_event(make_event("customer.deleted", customer(), T0 + 1))
    assert len(stripe.calls) == 1


# -- Thin events --------------------------------------------------------------------


def test_thin_event_fetches_and_mirrors_its_related_object(stripe):
    stripe.objects["/v1/customers/cus_thin"] = customer(id="cus_thin", email="t@x.com")
    thin = {
        "id": "evt_thin_1",
        "object": "v2.core.event",
        "type": "v1.customer.updated",
        "created": "2026-01-01T00:00:05.123Z",
        "livemode": False,
        "context": None,
        "related_object": {
            "id": "cus_thin",
            "type": "customer",
            "url": "/v1/customers/cus_thin",
        },
    }
    event = process_event_data(thin)

    assert stripe.paths == ["/v1/customers/cus_thin"]
    assert email_of("cus_thin") == "t@x.com"
    assert event.type == "v1.customer.updated"
    assert event.created == datetime.datetime(2026, 1, 1, 0, 0, 5, tzinfo=datetime.UTC)
    assert event.stripe_data["related_object"]["id"] == "cus_thin"
    assert event.data_object["id"] == "cus_thin"


# -- Handlers and signals -------------------------------------------------------------


def test_handlers_match_exact_types_wildcards_and_all():
    calls = []
    handler("customer.updated")(lambda event, **kw: calls.append("exact"))
    handler("customer.*")(lambda event, **kw: calls.append("customer.*"))
    handler("*.deleted")(lambda event, **kw: calls.append("*.deleted"))
    handler_all(lambda event, **kw: calls.append(f"all:{event.type}"))

    apply_event(make_event("customer.updated", customer(), T0))
    assert calls == ["exact", "customer.*", "all:customer.updated"]
    calls.clear()
    apply_event(make_event("product.deleted", stripe_fixture("product"), T0))
    assert calls == ["*.deleted", "all:product.deleted"]


def test_handlers_run_after_the_mirror_write_in_its_transaction():
    seen = {}

    @handler("customer.updated")
    def look(event, **kwargs):
        seen["email"] = Customer.objects.get(id="cus_p").email
        seen["atomic"] = transaction.get_connection().in_atomic_block
        seen["event"] = event

    apply_event(make_event("customer.updated", customer(email="h@x.com"), T0))
    assert seen["email"] == "h@x.com" and seen["atomic"]
    assert isinstance(seen["event"], Event) and seen["event"].customer.id == "cus_p"


def test_one_handler_registered_twice_runs_once():
    calls = []

    @handler("customer.updated", "customer.*", "*")
    def once(event, **kwargs):
        calls.append(event.id)

    apply_event(make_event("customer.updated", customer(), T0))
    assert len(calls) == 1


def test_event_type_and_stage_signals():
    received = []

    def receiver(signal_name):
        def receive(sender, **kwargs):
            received.append((signal_name, sender, sorted(kwargs)))

        return receive

    receivers = {
        "invoice.paid": receiver("invoice.paid"),
        "pre": receiver("pre"),
        "post": receiver("post"),
        "error": receiver("error"),
    }
    signals.WEBHOOK_SIGNALS["invoice.paid"].connect(receivers["invoice.paid"])
    signals.webhook_pre_process.connect(receivers["pre"])
    signals.webhook_post_process.connect(receivers["post"])
    signals.webhook_processing_error.connect(receivers["error"])
    try:
        apply_event(make_event("invoice.paid", stripe_fixture("invoice"), T0))
        assert [name for name, *_ in received] == ["pre", "invoice.paid", "post"]
        assert received[1][2] == ["event", "signal"]
        assert all(sender is Event for _, sender, _ in received)

        received.clear()
        handler("customer.created")(lambda event, **kw: 1 / 0)
        with pytest.raises(ProcessingError, match="ZeroDivisionError") as raised:
            apply_event(make_event("customer.created", customer(), T0))
        assert isinstance(raised.value.__cause__, ZeroDivisionError)
        assert [name for name, *_ in received] == ["pre", "error"]
        assert received[1][2] == ["event_data", "exception", "signal", "trigger"]
    finally:
        signals.WEBHOOK_SIGNALS["invoice.paid"].disconnect(receivers["invoice.paid"])
        signals.webhook_pre_process.disconnect(receivers["pre"])
        signals.webhook_post_process.disconnect(receivers["post"])
        signals.webhook_processing_error.disconnect(receivers["error"])


def test_any_event_type_has_a_signal():
    assert (
        signals.WEBHOOK_SIGNALS["brand.new_type"]
        is signals.WEBHOOK_SIGNALS["brand.new_type"]
    )


def test_event_process_and_invoke_webhook_handlers():
    calls = []
    handler("customer.created")(lambda event, **kw: calls.append(event.id))
    data = make_event("customer.created", customer(), T0)
    event = Event.process(data)
    assert isinstance(event, Event) and event.id == data["id"]
    assert Event.process(data) == event  # idempotent: handlers ran once
    assert calls == [data["id"]]
    event.invoke_webhook_handlers()
    assert calls == [data["id"]] * 2


# -- Property: any order, any duplication, same mirror ----------------------------------


def _states(kind: str, n: int, length: int) -> list[tuple[str, dict]]:
    """A realistic life of one object: (event type, object state) pairs."""
    if kind == "customer":
        obj = customer(id=f"cus_{n}")
        life = [("customer.created", {})]
        life += [("customer.updated", {"email": f"v{i}@x.com"}) for i in range(length)]
        if length % 2:
            life.append(("customer.deleted", {}))
    elif kind == "charge":
        obj = stripe_fixture("charge", id=f"ch_{n}", balance_transaction=None)
        life = [
            ("charge.pending", {"status": "pending", "paid": False}),
            ("charge.succeeded", {"status": "succeeded", "paid": True}),
            ("charge.captured", {"captured": True}),
            ("charge.refunded", {"refunded": True, "amount_refunded": 100}),
        ][: length + 1]
    elif kind == "product":
        obj = stripe_fixture("product", id=f"prod_{n}", default_price=None)
        life = [("product.created", {})]
        life += [("product.updated", {"name": f"Name {i}"}) for i in range(length)]
        if length == 3:
            life.append(("product.deleted", {}))
    elif kind == "subscription":
        obj = stripe_fixture("subscription", id=f"sub_{n}")
        life = [
            ("customer.subscription.created", {"status": "trialing"}),
            ("customer.subscription.updated", {"status": "active"}),
            (
                "customer.subscription.updated",
                {"status": "active", "metadata": {"a": "1"}},
            ),
            ("customer.subscription.updated", {"status": "past_due"}),
            ("customer.subscription.deleted", {"status": "canceled"}),
        ][: length + 2]
    elif kind == "invoice":
        obj = stripe_fixture("invoice", id=f"in_{n}")
        life = [
            ("invoice.created", {"status": "draft"}),
            ("invoice.finalized", {"status": "open"}),
            ("invoice.paid", {"status": "paid", "paid": True}),
        ][: length + 1]
    else:  # payment_intent
        obj = stripe_fixture("payment_intent", id=f"pi_{n}")
        life = [
            ("payment_intent.created", {"status": "requires_payment_method"}),
            ("payment_intent.requires_action", {"status": "requires_action"}),
            ("payment_intent.processing", {"status": "processing"}),
            ("payment_intent.succeeded", {"status": "succeeded"}),
        ][: length + 1]
    states, current = [], obj
    for event_type, changes in life:
        current = {**current, **changes}
        states.append((event_type, current))
    return states


#: The lifecycles the property test shuffles.
KINDS = ["customer", "charge", "product", "subscription", "invoice", "payment_intent"]


def test_every_lifecycle_is_of_a_mirrored_type():
    assert all(sync.model_for(kind) for kind in KINDS)


@st.composite
def event_streams(draw):
    lives = draw(
        st.lists(
            st.tuples(st.sampled_from(KINDS), st.integers(0, 3)), min_size=1, max_size=4
        )
    )
    clock = T0
    events, finals = [], []
    for n, (kind, length) in enumerate(lives):
        states = _states(kind, n, length)
        for event_type, state in states:
            clock += draw(st.integers(1, 100))  # strictly increasing created
            events.append(make_event(event_type, state, clock))
        finals.append((kind, states[-1]))
    duplicates = draw(st.lists(st.sampled_from(events), max_size=len(events)))
    delivered = draw(st.permutations(events + duplicates))
    return delivered, events, finals


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stream=event_streams())
def test_shuffled_duplicated_events_converge_to_the_final_state(stream, stripe):
    delivered, events, finals = stream
    calls = []
    with registry.isolated(), transaction.atomic():
        handler_all(lambda event, **kw: calls.append(event.id))
        for event in delivered:
            apply_event(event)

        assert sorted(calls) == sorted(e["id"] for e in events)  # each exactly once
        assert Event.objects.count() == len(events)
        for kind, (event_type, final) in finals:
            model = sync.model_for(final["object"])
            row = model._base_manager.filter(id=final["id"]).first()
            if is_deletion({"type": event_type}):
                assert DeletedStripeObject.objects.filter(
                    stripe_id=final["id"]
                ).exists()
                assert row is None or row.date_purged is not None
            else:
                assert row.stripe_data == sync.normalize(model, final), kind
        transaction.set_rollback(True)
    assert stripe.calls == []  # the payloads were trusted: no Stripe request
