"""Property tests: pagination and form decoding hold for any input."""

from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from djstripe.testing import FakeStripe
from djstripe.testing.forms import decode


@settings(max_examples=30, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=3), min_size=0, max_size=25),
    limit=st.integers(min_value=1, max_value=7),
)
def test_paging_forward_and_back_visits_every_object_once(gaps, limit):
    fake = FakeStripe()
    ids = []
    for gap in gaps:
        fake.advance(gap)
        ids.append(fake.create("customer", {})["id"])
    newest_first = ids[::-1]

    seen, params = [], {"limit": limit}
    while True:
        page = fake.list("customer", params)
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            break
        params = {"limit": limit, "starting_after": seen[-1]}
    assert seen == newest_first

    if seen:
        back, params = [], {"limit": limit, "ending_before": seen[-1]}
        while True:
            page = fake.list("customer", params)
            back = [c["id"] for c in page["data"]] + back
            if not page["has_more"]:
                break
            params = {"limit": limit, "ending_before": back[0]}
        assert back == newest_first[:-1]


keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=6)
scalars = st.text(alphabet="abcxyz 09-@.", min_size=1, max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.dictionaries(keys, inner, min_size=1, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    metadata=st.dictionaries(keys, scalars, max_size=4),
    nested=st.dictionaries(keys, values, max_size=3),
)
def test_decode_inverts_stripe_pythons_encoding(metadata, nested):
    params = {"metadata": metadata, **{f"x_{k}": v for k, v in nested.items()}}
    params = {k: v for k, v in params.items() if v != {}}
    encoded = urlencode(list(_api_encode(params))).replace("%5B", "[").replace("%5D", "]")
    assert decode(encoded, {"metadata": "map", **{k: "str" for k in params}}) == params
