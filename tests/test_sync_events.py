"""Event replay and ``--catch-up``."""

from __future__ import annotations

import datetime

import pytest

from djstripe import stripe_api
from djstripe.models import Customer, Event, SyncCheckpoint
from djstripe.sync.backfill import NoEventCursor, backfill, catch_up
from djstripe.sync.checkpoints import EventCursor, event_cursor, scope_for
from djstripe.sync.events import (
    EventMarker,
    newest_event,
    replay_events_after,
)

pytestmark = pytest.mark.django_db

KEY = "sk_test_djstripe_tests"


def test_newest_event_and_the_empty_stream(fake_stripe):
    assert newest_event(api_key=KEY) == EventMarker("", 0)
    fake_stripe.insert("customer", {"email": "a@example.com"})
    newest = fake_stripe.events[-1]
    assert newest_event(api_key=KEY) == EventMarker(newest["id"], newest["created"])


def test_replay_walks_forward_from_the_marker_in_pages(fake_stripe):
    fake_stripe.insert("customer", {"email": "before@example.com"})
    marker = newest_event(api_key=KEY)
    created = [
        fake_stripe.insert("customer", {"email": f"c{i}@example.com"})
        for i in range(150)
    ]
    saved = []

    with stripe_api.counter.counting() as requests:
        result = replay_events_after(marker, api_key=KEY, save_cursor=saved.append)

    assert result.events == 150
    assert requests.total == result.requests == 2
    assert Customer.objects.count() == 150
    assert not Customer.objects.filter(email="before@example.com").exists()
    assert {c.id for c in Customer.objects.all()} == {c["id"] for c in created}
    # Each page's newest event is a safe cursor: the pages run forward in time.
    events = fake_stripe.events
    assert saved == [
        EventMarker(events[100]["id"], events[100]["created"]),
        EventMarker(events[-1]["id"], events[-1]["created"]),
    ]
    assert result.cursor == saved[-1]


def test_replayed_objects_are_stamped_with_the_event_time(fake_stripe):
    marker = newest_event(api_key=KEY)
    customer = fake_stripe.insert("customer", {"email": "old@example.com"})
    fake_stripe.advance(10)
    fake_stripe.client().v1.customers.update(
        customer["id"], params={"email": "new@example.com"}
    )
    replay_events_after(marker, api_key=KEY)
    row = Customer.objects.get(id=customer["id"])
    assert row.email == "new@example.com"
    assert row.djstripe_observed_at.timestamp() == fake_stripe.now
    assert Event.objects.count() == 2


def test_replay_by_time_when_the_marker_event_is_gone(fake_stripe):
    fake_stripe.insert("customer", {"email": "a@example.com"})
    fake_stripe.advance(5)
    late = fake_stripe.insert("customer", {"email": "b@example.com"})
    gone = EventMarker("evt_expired", fake_stripe.now - 1)
    saved = []

    result = replay_events_after(gone, api_key=KEY, save_cursor=saved.append)

    assert result.events == 1
    assert Customer.objects.get().id == late["id"]
    newest = fake_stripe.events[-1]
    assert saved == [EventMarker(newest["id"], newest["created"])]  # at the end only


def test_catch_up_needs_a_cursor(fake_stripe):
    with pytest.raises(NoEventCursor):
        catch_up(api_key=KEY)


def test_catch_up_continues_from_the_backfills_cursor(fake_stripe):
    fake_stripe.insert("customer", {"email": "a@example.com"})
    backfill([Customer])
    first_cursor = event_cursor(scope_for(KEY))
    assert first_cursor.id == fake_stripe.events[-1]["id"]

    fake_stripe.advance(60)
    later = fake_stripe.insert("customer", {"email": "later@example.com"})
    with stripe_api.counter.counting() as requests:
        result = catch_up(api_key=KEY)

    assert requests.by_endpoint == {"GET /v1/events": 1}
    assert result.events == 1 and not result.warnings
    assert Customer.objects.filter(id=later["id"]).exists()
    assert event_cursor(scope_for(KEY)).id == fake_stripe.events[-1]["id"]

    # Nothing new: one request, no write.
    result = catch_up(api_key=KEY)
    assert result.events == 0


def test_catch_up_warns_when_the_cursor_is_older_than_25_days(fake_stripe):
    # Measured on Stripe's clock (the fake's), not the machine's.
    old = fake_stripe.now - int(datetime.timedelta(days=26).total_seconds())
    EventCursor.load(scope_for(KEY)).save(EventMarker("evt_old", old))
    result = catch_up(api_key=KEY)
    assert "26 days old" in result.warnings[0]

    EventCursor.load(scope_for(KEY)).save(
        EventMarker("evt_new", fake_stripe.now - 86400)
    )
    assert catch_up(api_key=KEY).warnings == []


def test_cursor_row_is_written_only_when_it_moves(
    fake_stripe, django_assert_num_queries
):
    cursor = EventCursor(scope_for(KEY))
    cursor.save(EventMarker("evt_1", 10))
    with django_assert_num_queries(0):
        cursor.save(EventMarker("evt_1", 10))
    cursor.save(EventMarker("evt_2", 11))
    assert SyncCheckpoint.objects.get(object_type="event").cursor == "evt_2"
