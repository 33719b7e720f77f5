import pytest

from djstripe.testing.errors import FakeStripeError
from djstripe.testing.forms import decode


def test_nested_keys_arrays_and_expand():
    body = (
        "items[0][price]=price_a&items[0][quantity]=2&items[1][price]=price_b"
        "&metadata[order]=42&expand[]=customer&expand[]=latest_invoice"
        "&invoice_settings[default_payment_method]=pm_1"
    )
    params = decode(body, {"items": [{"price": "str", "quantity": "int"}]})
    assert params["items"] == [
        {"price": "price_a", "quantity": 2},
        {"price": "price_b"},
    ]
    assert params["metadata"] == {"order": "42"}  # metadata stays strings
    assert params["expand"] == ["customer", "latest_invoice"]
    assert params["invoice_settings"] == {"default_payment_method": "pm_1"}


def test_coercion_by_type_and_by_guess():
    params = decode(
        "amount=1000&active=false&livemode=true&limit=5&description=007&expand[0]=x",
        {"amount": "int", "active": "bool", "description": "str"},
    )
    assert params == {
        "amount": 1000,
        "active": False,
        "livemode": True,
        "limit": 5,
        "description": "007",
        "expand": ["x"],
    }


def test_empty_string_unsets_and_created_accepts_int_or_range():
    assert decode("description=", {"description": "str"}) == {"description": None}
    assert decode("created=5", None) == {"created": 5}
    assert decode("created[gte]=5&created[lt]=9", None) == {"created": {"gte": 5, "lt": 9}}


def test_enum_alternative_to_integer_is_kept():
    assert decode("trial_end=now", {"trial_end": "int"}) == {"trial_end": "now"}


def test_bad_integer_is_a_400_naming_the_param():
    with pytest.raises(FakeStripeError) as exc:
        decode("amount=12x", {"amount": "int"})
    assert exc.value.status == 400
    assert exc.value.param == "amount"
