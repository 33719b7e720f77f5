"""scripts/compat_table: the dj-stripe compatibility table is computed from
the code and the tests, never typed."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def table():
    spec = importlib.util.spec_from_file_location(
        "compat_table", ROOT / "scripts" / "compat" / "table.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_each_kind_is_looked_up_in_the_code(table, tmp_path):
    data = tmp_path / "names.txt"
    data.write_text(
        "\n".join(
            [
                "# a comment",
                "module djstripe.enums",
                "enum djstripe.enums.SubscriptionStatus",
                "enum djstripe.enums.NoSuchEnum -- never existed",
                "class djstripe.nowhere.Thing",
                "setting DJSTRIPE_WEBHOOK_SECRET",
                "setting DJSTRIPE_NEVER_READ",
                "settings-attr get_subscriber_model",
                "command djstripe_init_customers",
                "command djstripe_nope",
                "url djstripe:webhook",
                "method djstripe.models.Customer.subscribe",
                "method djstripe.models.Customer.email",
                "manager djstripe.models.Customer.objects.filter",
            ]
        )
    )
    entries = table.read_entries(data)
    for entry in entries:
        table.check_code(entry)
    found = {e.name: e.present for e in entries}
    assert found == {
        "djstripe.enums": True,
        "djstripe.enums.SubscriptionStatus": True,
        "djstripe.enums.NoSuchEnum": False,
        "djstripe.nowhere.Thing": False,
        "DJSTRIPE_WEBHOOK_SECRET": True,
        "DJSTRIPE_NEVER_READ": False,
        "get_subscriber_model": True,
        "djstripe_init_customers": True,
        "djstripe_nope": False,
        "djstripe:webhook": True,
        "djstripe.models.Customer.subscribe": True,
        "djstripe.models.Customer.email": False,  # a field, not a method
        "djstripe.models.Customer.objects.filter": True,
    }
    statuses = {e.name: e.status for e in entries}
    assert statuses["djstripe.enums.NoSuchEnum"] == "absent"
    assert statuses["djstripe.nowhere.Thing"] == "absent (no reason given)"


def test_a_name_is_tested_when_one_test_mentions_it(table):
    tokens = table.test_tokens()
    entry = table.Entry("function", "djstripe.utils.get_friendly_currency_amount")
    table.check_tests(entry, tokens)
    assert entry.test.startswith("tests/test_compat_modules.py::")
    member = table.Entry("method", "djstripe.models.Event.invoke_webhook_handlers")
    table.check_tests(member, tokens)
    assert member.test.startswith("tests/test_compat_events.py::")
    unmentioned = "no_test_" + "mentions_this"  # split, so this test does not
    nobody = table.Entry("function", f"djstripe.utils.{unmentioned}")
    table.check_tests(nobody, tokens)
    assert nobody.test == ""


def test_the_data_file_parses_and_renders_every_name(table):
    entries = table.read_entries()
    assert len(entries) > 400
    text = table.render(entries)
    for entry in entries:
        assert f"`{entry.name}`" in text
