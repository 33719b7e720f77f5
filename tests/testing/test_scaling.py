"""The fake stays fast with big accounts: work is proportional to the answer.

These tests assert how much the fake looks at, never how long it takes.
"""

import random

import pytest

from djstripe.testing import FakeStripe

from .conftest import call


def _customers(fake, n):
    for i in range(n):
        fake.insert("customer", {"email": f"c{i}@example.com"}, event=False)
        if i % 7 == 0:
            fake.advance(1)


def _count_matches(monkeypatch, fake):
    seen = []
    original = fake._matches

    def counting(resource, obj, params, parent):
        seen.append(obj["id"])
        return original(resource, obj, params, parent)

    monkeypatch.setattr(fake, "_matches", counting)
    return seen


def _expected_order(fake, object_name):
    return [
        o["id"]
        for o in sorted(
            fake.all(object_name),
            key=lambda o: (o["created"], fake._order[o["id"]]),
            reverse=True,
        )
    ]


def test_paging_a_big_list_reads_one_page_per_request(monkeypatch):
    fake = FakeStripe()
    _customers(fake, 3000)
    client = fake.client()
    seen = _count_matches(monkeypatch, fake)

    ids, pages, after = [], 0, None
    while True:
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        before = len(seen)
        page = client.v1.customers.list(params=params)
        # the page itself, the one object that tells has_more, and the cursor
        assert len(seen) - before <= 102
        ids += [c.id for c in page.data]
        pages += 1
        if not page.has_more:
            break
        after = page.data[-1].id
    assert pages == 30
    assert ids == _expected_order(fake, "customer")


def test_pages_stay_right_when_objects_are_added_out_of_order_or_deleted():
    fake = FakeStripe()
    rng = random.Random(4)
    for i in range(300):
        created = fake.now - rng.randrange(0, 1000) if i % 5 == 0 else None
        fields = {"email": f"c{i}@example.com"}
        if created is None:
            fake.insert("customer", fields, event=False)
            fake.advance(rng.choice([0, 1]))
        else:
            fake.add("customer", created=created, **fields)
    client = fake.client()
    for victim in rng.sample(fake.all("customer"), 20):
        client.v1.customers.delete(victim["id"])
    expected = _expected_order(fake, "customer")

    forward, after = [], None
    while True:
        params = {"limit": 7, **({"starting_after": after} if after else {})}
        page = client.v1.customers.list(params=params)
        forward += [c.id for c in page.data]
        if not page.has_more:
            break
        after = page.data[-1].id
    assert forward == expected

    backward, before = [], expected[-1]
    while True:
        page = client.v1.customers.list(params={"limit": 9, "ending_before": before})
        backward = [c.id for c in page.data] + backward
        if not page.has_more:
            break
        before = page.data[0].id
    assert backward == expected[:-1]

    gone = [o for o in fake._by_type["customer"].values() if o.get("_deleted")][0]
    status, body, _ = call(fake, "GET", f"/v1/customers?starting_after={gone['id']}")
    assert status == 404 and body["error"]["param"] == "starting_after"


@pytest.fixture
def shop():
    fake = FakeStripe()
    client = fake.client()
    product = client.v1.products.create(params={"name": "Plan"})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "currency": "usd",
            "unit_amount": 500,
            "recurring": {"interval": "month"},
        }
    )
    subs = []
    for i in range(60):
        customer = client.v1.customers.create(
            params={"email": f"c{i}@example.com", "payment_method": "pm_card_visa"}
        )
        subs.append(
            client.v1.subscriptions.create(
                params={"customer": customer.id, "items": [{"price": price.id}]}
            )
        )
    return fake, client, subs


def _count_candidates(monkeypatch, fake):
    looked_at = []
    original = fake._candidates

    def counting(object_name, where):
        found = list(original(object_name, where))
        looked_at.append((object_name, len(found)))
        return found

    monkeypatch.setattr(fake, "_candidates", counting)
    return looked_at


def test_sub_lists_read_only_their_own_children(monkeypatch, shop):
    fake, client, subs = shop
    looked_at = _count_candidates(monkeypatch, fake)
    page = client.v1.subscriptions.list(
        params={"limit": 50, "expand": ["data.latest_invoice"]}
    )
    assert len(page.data) == 50
    assert all(len(s["items"].data) == 1 for s in page.data)
    assert all(len(s.latest_invoice.lines.data) == 1 for s in page.data)
    children = [
        n for name, n in looked_at if name in ("subscription_item", "line_item")
    ]
    assert children and max(children) == 1  # not the 60 of the whole account


def test_filtered_lists_and_lookups_follow_changes(shop):
    fake, client, subs = shop
    sub = subs[0]
    customer = sub.customer
    assert [
        s.id for s in client.v1.subscriptions.list(params={"customer": customer})
    ] == [sub.id]
    (pm,) = fake.all("payment_method", customer=customer)
    client.v1.payment_methods.detach(pm["id"])
    assert fake.all("payment_method", customer=customer) == []
    assert fake.all("payment_method", customer=None) == [pm]
    client.v1.payment_methods.attach(pm["id"], params={"customer": subs[1].customer})
    assert pm in fake.all("payment_method", customer=subs[1].customer)

    item = client.v1.subscription_items.create(
        params={"subscription": sub.id, "price": sub["items"].data[0].price.id}
    )
    listed = client.v1.subscription_items.list(params={"subscription": sub.id})
    assert [i.id for i in listed.data] == [item.id, sub["items"].data[0].id]
    client.v1.subscription_items.delete(item.id)
    listed = client.v1.subscription_items.list(params={"subscription": sub.id})
    assert [i.id for i in listed.data] == [sub["items"].data[0].id]
    client.v1.subscriptions.cancel(sub.id)
    assert client.v1.subscriptions.list(params={"customer": customer}).data == []
