"""The mirror engine: rows, relations, batching and the staleness gate."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from djstripe import sync
from djstripe.models import (
    BalanceTransaction,
    Card,
    Charge,
    Customer,
    DeletedStripeObject,
    DjstripePaymentSource,
    Event,
    Price,
    Product,
)

from .conftest import stripe_fixture

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def at(seconds: int) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def customer(n: int = 1, **changes) -> dict:
    changes.setdefault("email", f"c{n}@example.com")
    changes.setdefault(
        "discount", None
    )  # the fixture's would be mirrored as a Discount
    return stripe_fixture("customer", id=f"cus_{n:05d}", **changes)


def test_rows_and_relations_from_expanded_objects():
    charge = stripe_fixture(
        "charge",
        customer="cus_00001",
        transfer_data=None,
        balance_transaction=stripe_fixture("balance_transaction", id="txn_1"),
    )
    result = sync.upsert([charge, customer(1)], observed_at=at(0))

    row = Charge.objects.get(id=charge["id"])
    assert row.amount == Decimal("1.00")  # 100 cents
    assert row.currency == "usd"
    assert row.balance_transaction.amount == 100
    assert row.customer.email == "c1@example.com"
    # The expanded transaction became its own row and is stored as an id.
    assert row.stripe_data["balance_transaction"] == "txn_1"
    assert BalanceTransaction.objects.get(id="txn_1").type == "charge"
    # The fixture's embedded source and discount are mirrored too.
    assert {
        "djstripe.BalanceTransaction",
        "djstripe.Charge",
        "djstripe.Customer",
    } <= set(result.written_ids)
    assert result.created == sum(len(ids) for ids in result.written_ids.values())
    assert result.written_ids["djstripe.Charge"] == [charge["id"]]


def test_relation_resolves_when_the_target_arrives_later():
    price = stripe_fixture("price", product="prod_later")
    sync.upsert([price], observed_at=at(0))
    row = Price.objects.get(id=price["id"])
    assert row.product_id == "prod_later"
    assert not Product.objects.exists()

    sync.upsert(
        [stripe_fixture("product", id="prod_later", name="Late")], observed_at=at(1)
    )
    assert Price.objects.get(id=price["id"]).product.name == "Late"
    assert list(Price.objects.filter(product__name="Late")) == [row]


def test_zero_decimal_currency_amounts():
    charge = stripe_fixture("charge", id="ch_jpy", amount=500, currency="jpy")
    sync.upsert([charge])
    assert Charge.objects.get(id="ch_jpy").amount == Decimal("500")


def test_a_page_of_100_costs_a_constant_handful_of_queries():
    def page(size: int, offset: int) -> list[dict]:
        return [customer(offset + n) for n in range(size)]

    with CaptureQueriesContext(connection) as small:
        sync.upsert(page(10, 0), observed_at=at(0))
    with CaptureQueriesContext(connection) as large:
        result = sync.upsert(page(100, 1000), observed_at=at(0))

    assert result.created == 100
    assert Customer.objects.count() == 110
    assert len(large) == len(small) <= 2


def test_unchanged_rows_are_not_rewritten():
    sync.upsert([customer(1)], observed_at=at(0))
    before = Customer.objects.get(id="cus_00001").djstripe_updated

    result = sync.upsert([customer(1)], observed_at=at(10))

    assert result.unchanged == 1 and result.written == 0
    row = Customer.objects.get(id="cus_00001")
    assert row.djstripe_updated == before
    assert row.djstripe_observed_at == at(10)  # seen again, so older data stays out


def test_newer_observation_overwrites():
    sync.upsert([customer(1, email="old@example.com")], observed_at=at(0))
    result = sync.upsert([customer(1, email="new@example.com")], observed_at=at(5))
    assert result.updated == 1
    assert Customer.objects.get(id="cus_00001").email == "new@example.com"


def test_older_observation_never_overwrites_newer():
    sync.upsert([customer(1, email="new@example.com")], observed_at=at(5))
    result = sync.upsert([customer(1, email="old@example.com")], observed_at=at(0))
    assert result.stale == 1 and result.written == 0
    assert Customer.objects.get(id="cus_00001").email == "new@example.com"


def test_older_than_a_confirming_read_is_stale_too():
    sync.upsert([customer(1, email="a@example.com")], observed_at=at(0))
    sync.upsert([customer(1, email="a@example.com")], observed_at=at(10))  # unchanged
    result = sync.upsert([customer(1, email="b@example.com")], observed_at=at(5))
    assert result.stale == 1
    assert Customer.objects.get(id="cus_00001").email == "a@example.com"


def test_exact_tie_rereads_the_object_from_stripe(monkeypatch):
    sync.upsert([customer(1, email="first@example.com")], observed_at=at(0))
    reads = []

    def retrieve(cls, stripe_id, api_key=None, stripe_account=None):
        reads.append(stripe_id)
        return customer(1, email="current@example.com")

    monkeypatch.setattr(Customer, "api_retrieve_data", classmethod(retrieve))
    result = sync.upsert([customer(1, email="second@example.com")], observed_at=at(0))

    assert reads == ["cus_00001"]
    assert result.refetched == 1
    assert Customer.objects.get(id="cus_00001").email == "current@example.com"


def test_exact_tie_without_refetch_keeps_the_stored_row():
    sync.upsert([customer(1, email="first@example.com")], observed_at=at(0))
    result = sync.upsert(
        [customer(1, email="second@example.com")], observed_at=at(0), refetch="never"
    )
    assert result.unresolved_ties == 1
    assert Customer.objects.get(id="cus_00001").email == "first@example.com"


def test_deleted_object_is_not_resurrected_by_a_late_update():
    product = stripe_fixture("product", id="prod_gone")
    sync.upsert([product], observed_at=at(0))
    result = sync.upsert(
        [{"id": "prod_gone", "object": "product", "deleted": True}], observed_at=at(10)
    )
    assert result.deleted == 1
    assert not Product.objects.filter(id="prod_gone").exists()

    late = sync.upsert(
        [stripe_fixture("product", id="prod_gone", name="Back?")], observed_at=at(5)
    )
    assert late.skipped_deleted == 1
    later = sync.upsert([stripe_fixture("product", id="prod_gone")], observed_at=at(20))
    assert later.skipped_deleted == 1
    assert not Product.objects.filter(id="prod_gone").exists()
    assert DeletedStripeObject.objects.filter(stripe_id="prod_gone").exists()


def test_deleted_customer_row_is_kept_and_marked_purged():
    sync.upsert([customer(1)], observed_at=at(0))
    sync.delete("customer", "cus_00001", observed_at=at(10))
    sync.upsert([customer(1, email="zombie@example.com")], observed_at=at(5))

    row = Customer.objects.get(id="cus_00001")
    assert row.date_purged == at(10)
    assert row.email == "c1@example.com"


def test_unmirrored_and_malformed_objects_are_ignored():
    result = sync.upsert(
        [{"object": "climate.order", "id": "climorder_1"}, {"object": "customer"}]
    )
    assert result.ignored == 2 and result.written == 0


def test_duplicate_ids_in_one_batch_write_once():
    result = sync.upsert(
        [customer(1, email="a@example.com"), customer(1, email="b@example.com")],
        observed_at=at(0),
    )
    assert result.created == 1
    assert Customer.objects.get(id="cus_00001").email == "b@example.com"


def _customer_event(n: int, seconds: int, **changes) -> dict:
    return stripe_fixture(
        "event",
        id=f"evt_{n}",
        type="customer.updated",
        created=int(at(seconds).timestamp()),
        data={"object": customer(1, **changes), "previous_attributes": {"email": "x"}},
    )


def test_an_event_mirrors_the_object_it_carries_in_two_queries():
    with CaptureQueriesContext(connection) as queries:
        result = sync.upsert(
            [_customer_event(1, 0, email="e@example.com")], observed_at=at(0)
        )
    # The event's insert, and the customer's gated insert: what events carry is
    # most likely a change, so it is written first and read only if turned down.
    assert len(queries) == 2
    assert result.created == 2
    assert Event.objects.get(id="evt_1").type == "customer.updated"
    assert Customer.objects.get(id="cus_00001").email == "e@example.com"


def test_events_are_immutable_and_inserted_once():
    sync.upsert([_customer_event(1, 0)], observed_at=at(0))
    again = sync.upsert(
        [_customer_event(1, 0, email="changed@example.com")], observed_at=at(1)
    )
    assert again.unchanged >= 1
    assert Event.objects.get(id="evt_1").data["object"]["email"] == "c1@example.com"
    assert Event.objects.count() == 1


def test_api_reads_are_stamped_with_stripes_clock(fake_stripe):
    from djstripe import stripe_api

    created = stripe_api.create("/v1/customers", {"email": "clock@example.com"})
    row = Customer.sync_from_stripe_data(created)
    assert row.djstripe_observed_at == datetime.datetime.fromtimestamp(
        fake_stripe.now, tz=datetime.UTC
    )
    # An event Stripe stamped one second later is newer, whatever our own clock says.
    fake_stripe.advance(1)
    updated = stripe_api.update("/v1/customers", row.id, {"email": "later@example.com"})
    sync.upsert([updated])
    assert Customer.objects.get(id=row.id).email == "later@example.com"


def test_a_mixed_batch_costs_one_read_and_one_write_per_model():
    charge = stripe_fixture(
        "charge",
        customer="cus_00001",
        source=None,  # a payment source is multi-table: two statements
        balance_transaction=stripe_fixture("balance_transaction", id="txn_1"),
    )
    batch = [charge, customer(1)]
    with CaptureQueriesContext(connection) as queries:
        result = sync.upsert(batch, observed_at=at(0))
    models = {label for label in result.written_ids}
    assert len(queries) == 1 + len(models)
    assert {"djstripe.Charge", "djstripe.Customer"} <= models


def test_a_page_of_events_mirrors_each_object_as_of_its_newest_event():
    # Events are listed newest first; each carries the customer as it was then.
    events = [_customer_event(n, n * 10, email=f"v{n}@example.com") for n in (3, 2, 1)]
    sync.upsert(events, observed_at=at(100))
    row = Customer.objects.get(id="cus_00001")
    assert row.email == "v3@example.com"
    assert row.djstripe_observed_at == at(30)
    # A webhook for a change after the newest listed event still applies.
    sync.upsert([_customer_event(4, 40, email="v4@example.com")], observed_at=at(40))
    assert Customer.objects.get(id="cus_00001").email == "v4@example.com"


def _update_event(n: int, seconds: int, before: dict, **changes) -> dict:
    event = _customer_event(n, seconds, **changes)
    event["data"]["previous_attributes"] = before
    return event


def test_a_tie_is_broken_by_the_events_previous_attributes(monkeypatch):
    def no_reads(*args, **kwargs):
        raise AssertionError("no Stripe read expected")

    monkeypatch.setattr(Customer, "api_retrieve_data", classmethod(no_reads))
    sync.upsert([_customer_event(1, 0, email="a@example.com")], observed_at=at(0))
    # Same second; the event says the customer was a@ just before it.
    event = _update_event(2, 0, {"email": "a@example.com"}, email="b@example.com")
    result = sync.upsert([event])
    assert result.refetched == 0 and result.updated == 1
    assert Customer.objects.get(id="cus_00001").email == "b@example.com"


def test_a_tie_whose_previous_state_does_not_match_asks_stripe(monkeypatch):
    reads = []

    def retrieve(cls, stripe_id, api_key=None, stripe_account=None):
        reads.append(stripe_id)
        return customer(1, email="truth@example.com")

    monkeypatch.setattr(Customer, "api_retrieve_data", classmethod(retrieve))
    sync.upsert([_customer_event(1, 0, email="b@example.com")], observed_at=at(0))
    # The event claims it changed a@ -> c@, but the mirror holds b@: unknown order.
    event = _update_event(2, 0, {"email": "a@example.com"}, email="c@example.com")
    sync.upsert([event])
    assert reads == ["cus_00001"]
    assert Customer.objects.get(id="cus_00001").email == "truth@example.com"


def test_what_the_gated_write_turns_down_is_sorted_out_by_a_read():
    # Newer stored state: the event's older copy is stale, not written.
    sync.upsert([customer(1, email="new@example.com")], observed_at=at(50))
    stale = sync.upsert([_customer_event(1, 10, email="old@example.com")])
    assert stale.stale == 1 and stale.updated == 0
    # Deleted in Stripe: a late event does not bring the row back.
    sync.upsert([stripe_fixture("product", id="prod_gone")], observed_at=at(0))
    sync.delete("product", "prod_gone", observed_at=at(20))
    late = stripe_fixture(
        "event",
        id="evt_late",
        type="product.updated",
        created=int(at(10).timestamp()),
        data={"object": stripe_fixture("product", id="prod_gone", name="Zombie")},
    )
    assert sync.upsert([late]).skipped_deleted == 1
    assert not Product.objects.filter(id="prod_gone").exists()
    # The same data again: unchanged, and its stamp moves forward.
    again = sync.upsert([_customer_event(2, 60, email="new@example.com")])
    assert again.unchanged == 1 and again.written == 1  # the event row only
    assert Customer.objects.get(id="cus_00001").djstripe_observed_at == at(60)


@pytest.mark.parametrize(
    "before,changes",
    [
        ({"email": "a@example.com"}, {"email": "b@example.com"}),
        ({"metadata": {"plan": None}}, {"metadata": {"plan": "gold"}}),
        (
            {"preferred_locales": [], "balance": 0},
            {"preferred_locales": ["fr"], "balance": -5},
        ),
        ({"delinquent": False}, {"delinquent": True}),
    ],
)
def test_a_placed_tie_costs_no_read(monkeypatch, before, changes):
    monkeypatch.setattr(
        Customer, "api_retrieve_data", classmethod(lambda *a, **k: 1 / 0)
    )
    fields = dict(
        email="a@example.com",
        metadata={},
        preferred_locales=[],
        balance=0,
        delinquent=False,
    )
    sync.upsert([customer(1, **fields)], observed_at=at(0))
    event = _update_event(2, 0, before, **{**fields, **changes})
    with CaptureQueriesContext(connection) as queries:
        result = sync.upsert([event])
    assert result.updated == 1 and result.refetched == 0
    assert len(queries) == 2  # the event's insert and the customer's gated write
    row = Customer.objects.get(id="cus_00001")
    assert all(row.stripe_data[key] == value for key, value in changes.items())


def test_an_event_mirrors_its_object_and_what_it_embeds_not_deeper_copies():
    price = stripe_fixture("price", id="price_deep", product="prod_x")
    item = stripe_fixture(
        "subscription_item", id="si_1", price=price, subscription="sub_1"
    )
    subscription = stripe_fixture(
        "subscription",
        id="sub_1",
        customer="cus_00001",
        items={"object": "list", "data": [item], "has_more": False, "url": "/v1/x"},
    )
    event = stripe_fixture(
        "event",
        id="evt_sub",
        type="customer.subscription.updated",
        created=int(at(0).timestamp()),
        data={"object": subscription},
    )
    result = sync.upsert([event])
    labels = set(result.written_ids)
    assert {
        "djstripe.Event",
        "djstripe.Subscription",
        "djstripe.SubscriptionItem",
    } <= labels
    # The item's price is a copy of an object that has events of its own.
    assert "djstripe.Price" not in labels
    # An API read of the same subscription mirrors everything it carries.
    sync.upsert([subscription], observed_at=at(10))
    assert Price.objects.filter(id="price_deep").exists()


def test_an_events_payment_source_is_written_in_two_statements_not_row_by_row():
    """A legacy payment source (a multi-table, polymorphic model) goes through
    the gated write like any model: its shared table's half, then its own
    columns, with no read and no content-type lookup per row."""
    card = stripe_fixture("card", id="card_1", customer="cus_1", last4="4242")
    charge = stripe_fixture(
        "charge", id="ch_1", source=card, customer="cus_1", transfer_data=None
    )

    def event(n: int, seconds: int, card: dict) -> dict:
        return stripe_fixture(
            "event",
            id=f"evt_{n}",
            type="charge.succeeded",
            created=int(at(seconds).timestamp()),
            data={"object": dict(charge, source=card)},
        )

    sync.upsert([event(0, 0, card)])  # the content type is looked up once
    Card.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        result = sync.upsert([event(1, 1, card)])
    # The card is embedded: an attempt to confirm it unchanged (it is new),
    # then the charge, the card's two tables, the event.
    assert len(queries) == 5, [q["sql"][:60] for q in queries]
    assert "djstripe.Card" in result.written_ids
    assert [type(s) for s in DjstripePaymentSource.objects.all()] == [Card]
    assert Card.objects.get(id="card_1").last4 == "4242"

    # A change rewrites both tables; an older copy is turned down.
    sync.upsert([event(2, 5, dict(card, last4="0005", metadata={"a": "b"}))])
    row = Card.objects.get(id="card_1")
    assert (row.last4, row.metadata, row.djstripe_observed_at) == (
        "0005",
        {"a": "b"},
        at(5),
    )
    stale = sync.upsert([event(3, 3, card)])
    assert stale.stale == 1
    assert Card.objects.get(id="card_1").last4 == "0005"
    # The same data seen later: it is confirmed, and neither of the card's
    # tables is written.
    changed = dict(card, last4="0005", metadata={"a": "b"})
    with CaptureQueriesContext(connection) as queries:
        sync.upsert([event(4, 9, changed)])
    writes = ('INSERT INTO "djstripe_card"', 'INSERT INTO "djstripe_djstripepayment')
    assert not any(q["sql"].startswith(writes) for q in queries)
    assert not any(q["sql"].startswith("UPDATE") for q in queries)
    assert sync.observed_stamps(Card, ["card_1"]) == {"card_1": at(9)}
