"""One gate, two paths: whatever order observations of an object arrive in,
writing first (events; an embedded copy confirmed first) and reading first
(pages) leave the same row.

Both paths, and the SQL of the gated write itself, derive from the one rule
in :mod:`djstripe.sync.gate`; these properties hold them to it, on the
database the suite runs on (SQLite, or PostgreSQL with ``DATABASE_URL``).
"""

import datetime
from unittest import mock

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djstripe import sync
from djstripe.models import DeletedStripeObject, Product
from djstripe.sync import engine, gate

from .conftest import stripe_fixture

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
IDS = ("prod_a", "prod_b")
NAMES = ("A", "B", "C")
#: Stripe's answer when a tie makes the engine ask (stamped after every step).
TRUTH = "Truth"
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def at(second: int) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=second)


def product(stripe_id: str, name: str) -> dict:
    return stripe_fixture("product", id=stripe_id, name=name)


observation = st.fixed_dictionaries(
    {
        "id": st.sampled_from(IDS),
        "second": st.integers(0, 3),
        "name": st.sampled_from(NAMES),
        "previous": st.none() | st.sampled_from(NAMES),
    }
)
#: A step is one call of the engine: events (each its own second), a page
#: read at one second, or a deletion.
step = st.one_of(
    st.tuples(st.just("events"), st.lists(observation, min_size=1, max_size=2)),
    st.tuples(st.just("embedded"), st.lists(observation, min_size=1, max_size=2)),
    st.tuples(st.just("page"), st.lists(observation, min_size=1, max_size=2)),
    st.tuples(st.just("delete"), st.lists(observation, min_size=1, max_size=1)),
)
steps = st.lists(step, min_size=1, max_size=6)


def _event(n: str, obs: dict) -> dict:
    data = {"object": product(obs["id"], obs["name"])}
    if obs["previous"] is not None:
        data["previous_attributes"] = {"name": obs["previous"]}
    return stripe_fixture(
        "event",
        id=f"evt_{n}",
        type="product.updated",
        created=int(at(obs["second"]).timestamp()),
        data=data,
    )


def _embedding_event(n: str, obs: dict) -> dict:
    """An event whose object (a price) embeds the product, expanded."""
    price = stripe_fixture(
        "price", id=f"price_{obs['id']}", product=product(obs["id"], obs["name"])
    )
    return stripe_fixture(
        "event",
        id=f"evt_{n}",
        type="price.updated",
        created=int(at(obs["second"]).timestamp()),
        data={"object": price},
    )


def _apply(sequence: list) -> sync.UpsertResult:
    result = sync.UpsertResult()
    for index, (kind, observations) in enumerate(sequence):
        if kind in ("events", "embedded"):
            build = _event if kind == "events" else _embedding_event
            events = [build(f"{index}_{i}", o) for i, o in enumerate(observations)]
            result.merge(sync.upsert(events))
        elif kind == "page":
            objects = [product(o["id"], o["name"]) for o in observations]
            second = observations[0]["second"]
            result.merge(sync.upsert(objects, observed_at=at(second)))
        else:
            [obs] = observations
            gone = {"id": obs["id"], "object": "product", "deleted": True}
            result.merge(sync.upsert([gone], observed_at=at(obs["second"])))
    return result


def _mirror_after(sequence: list, *, writes_first: bool) -> tuple:
    """Run ``sequence`` through one path; return the rows, tombstones and
    counts it left, and roll it all back."""

    def truth(cls, stripe_id, api_key=None, stripe_account=None):
        return product(stripe_id, TRUTH)

    path = engine._writes_first if writes_first else (lambda model, bucket: False)
    confirm = engine._confirm_unchanged if writes_first else (lambda *args: None)
    with (
        mock.patch.object(engine, "_writes_first", path),
        mock.patch.object(engine, "_confirm_unchanged", confirm),
        mock.patch.object(Product, "api_retrieve_data", classmethod(truth)),
        sync.use_clock(lambda: at(10)),
        transaction.atomic(),
    ):
        result = _apply(sequence)
        # The gate's stamp: a confirmation stands for a moved stamp.
        stamps = sync.observed_stamps(Product, IDS)
        rows = {
            row["id"]: (row["stripe_data"]["name"], stamps[row["id"]])
            for row in Product.objects.values("id", "stripe_data")
        }
        deleted = set(DeletedStripeObject.objects.values_list("stripe_id", flat=True))
        transaction.set_rollback(True)
    counts = {
        name: getattr(result, name)
        for name in "created updated unchanged stale skipped_deleted refetched".split()
    }
    return rows, deleted, counts


STAMP = engine.STAMP


@SETTINGS
@given(steps)
def test_write_first_and_read_first_leave_the_same_rows(sequence):
    assert _mirror_after(sequence, writes_first=True) == _mirror_after(
        sequence, writes_first=False
    )


# -- The rule against its SQL ---------------------------------------------------


stored_state = st.fixed_dictionaries(
    {
        "second": st.none() | st.integers(0, 2),
        "name": st.sampled_from(NAMES),
        "deleted": st.booleans(),
    }
)
new_state = st.fixed_dictionaries(
    {
        "second": st.integers(0, 2),
        "name": st.sampled_from(NAMES),
        "previous": st.none() | st.sampled_from(NAMES),
        "tie_wins": st.booleans(),
    }
)


@SETTINGS
@given(stored_state, new_state)
def test_the_gated_write_decides_as_the_python_rule(stored, new):
    """The gated statement writes exactly when the Python rendering of the
    rule says the observation is created or replaces (confirms) the row."""
    data = sync.normalize(Product, product("prod_a", stored["name"]))
    observed = gate.Observed(
        at(new["second"]),
        sync.normalize(Product, product("prod_a", new["name"])),
        {"name": new["previous"]} if new["previous"] else None,
        new["tie_wins"],
    )
    stamp = at(stored["second"]) if stored["second"] is not None else None
    expected = gate.verdict(
        gate.Stored(stamp, data, deleted=stored["deleted"]), observed
    )
    with transaction.atomic():
        engine._execute_gated_insert(
            Product, [engine.row_values(Product, data, at(0), None)]
        )
        Product.objects.update(**{STAMP: stamp})
        if stored["deleted"]:
            DeletedStripeObject.objects.create(
                stripe_id="prod_a", object_type="product", deleted_at=at(0)
            )
        row = engine.row_values(Product, observed.data, observed.stamp, None)
        written = engine._execute_gated_insert(
            Product, [row], previous=observed.previous, tie_wins=observed.tie_wins
        )
        transaction.set_rollback(True)
    assert bool(written) == (
        expected in (gate.Verdict.CREATED, gate.Verdict.UPDATED, gate.Verdict.CONFIRMED)
        or (expected is gate.Verdict.UNCHANGED and stamp == observed.stamp)
    ), (expected, connection.vendor)
