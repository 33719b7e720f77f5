"""``manage.py djstripe_sync_models`` and its progress output."""

from __future__ import annotations

import io

import pytest
import stripe
from django.core.management import CommandError, call_command

from djstripe import stripe_api
from djstripe.models import Charge, Customer, Product, SyncCheckpoint
from djstripe.sync.progress import LogProgress, TerminalProgress

from .test_sync_backfill import StatusTap

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("djstripe_sync_models", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_syncs_the_named_models_and_prints_the_table(fake_stripe):
    for i in range(3):
        fake_stripe.insert("customer", {"email": f"c{i}@example.com"})
    fake_stripe.add("product", name="P")

    out, err = run("Customer", "--no-progress")

    assert Customer.objects.count() == 3
    assert not Product.objects.exists()
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("type "))
    table = lines[header:]
    assert (
        table[0].split()
        == "type fetched written unchanged errors seconds status".split()
    )
    assert table[2].split()[:5] == ["Customer", "3", "3", "0", "0"]
    assert table[2].split()[-1] == "done"
    assert "events replayed" in table[3]
    # Plain (non-TTY) progress: a line when the type ends.
    assert lines[0].startswith("Customer") and "done in" in lines[0]
    assert err == ""


def test_default_is_every_listable_model(fake_stripe):
    fake_stripe.insert("customer", {"email": "a@example.com"})
    fake_stripe.add("product", name="P")
    out, _ = run("--no-progress")
    assert Customer.objects.count() == 1 and Product.objects.count() == 1
    assert "Charge" in out and "Event " not in out


def test_since_until_and_keys(fake_stripe):
    fake_stripe.insert("customer", {"email": "old@example.com"})
    fake_stripe.advance(86400 * 2)
    fake_stripe.insert("customer", {"email": "new@example.com"})
    run(
        "djstripe.Customer",
        "--since",
        "2026-01-02",
        "--api-keys",
        "sk_test_a",
        "sk_test_b",
    )
    assert list(Customer.objects.values_list("email", flat=True)) == ["new@example.com"]
    assert SyncCheckpoint.objects.filter(object_type="customer").count() == 2
    created = [
        p["created"] for m, path, p in fake_stripe.requests if path == "/v1/customers"
    ]
    assert created == [{"gte": 1767312000}, {"gte": 1767312000}]


def test_bad_arguments(fake_stripe):
    with pytest.raises(CommandError, match="Unknown model"):
        run("Nope")
    with pytest.raises(CommandError, match="not an ISO date"):
        run("--since", "yesterday")


def test_fail_on_error_exits_non_zero(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    with stripe_api.use_http_client(StatusTap(fake_stripe, {"/v1/customers": 500})):
        with pytest.raises(CommandError, match="^1 of 2 types failed: Customer"):
            run("Charge", "Customer", "--fail-on-error", "--no-progress")
    # Charge never started (it comes after Customer), and will on the next run.
    charge = SyncCheckpoint.objects.get(object_type="charge")
    assert (charge.pages, charge.done) == (0, False)


def test_errors_without_fail_on_error_are_reported(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    fake_stripe.insert("customer", {"email": "a@example.com"})
    with stripe_api.use_http_client(StatusTap(fake_stripe, {"/v1/charges": 500})):
        with pytest.raises(CommandError) as failed:
            run("Charge", "Customer", "--no-progress")
    # Every other type ran; the run still fails, with one summary line.
    assert Customer.objects.count() == 1
    assert str(failed.value) == (
        "1 of 2 types failed: Charge (500 status 500); "
        "4 requests, 0 retries, 0 rate-limited (429)."
    )


def test_failures_print_tracebacks_only_when_asked(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    tap = StatusTap(fake_stripe, {"/v1/charges": 500})
    for extra, shown in (([], False), (["--traceback"], True), (["-v", "2"], True)):
        out, err = io.StringIO(), io.StringIO()
        with stripe_api.use_http_client(tap), pytest.raises(CommandError):
            call_command(
                "djstripe_sync_models",
                "Charge",
                "--no-progress",
                *extra,
                stdout=out,
                stderr=err,
            )
        assert "Charge: APIError: status 500" in err.getvalue()
        assert ("Traceback (most recent call last)" in err.getvalue()) is shown


def test_a_closed_port_stops_the_run_with_one_clear_line(settings):
    settings.DJSTRIPE_API_BASE = "http://127.0.0.1:9"  # discard: nothing listens
    settings.DJSTRIPE_RETRY_MAX_DELAY = 0.01
    settings.DJSTRIPE_HTTP_TIMEOUT = 2
    with stripe_api.use_http_client(stripe.new_default_http_client(timeout=2)):
        with pytest.raises(CommandError) as failed:
            run("--no-progress")
    assert str(failed.value) == (
        "Cannot reach Stripe at http://127.0.0.1:9 with a test-mode key: "
        "Connection refused."
    )


def test_a_refused_key_stops_every_type_at_once(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    statuses = {"/v1/customers": 401, "/v1/charges": 401, "/v1/products": 401}
    tap = StatusTap(fake_stripe, statuses)
    with stripe_api.use_http_client(tap):
        with pytest.raises(CommandError, match="the key was refused") as failed:
            run("Customer", "Charge", "Product", "--no-progress")
    assert str(failed.value) == (
        "Stripe at the fake with a test-mode key: the key was refused "
        "(401 invalid API key)."
    ).replace("the fake", stripe_api.api_base())
    # The first 401 stopped the run: the types after it never asked Stripe.
    assert len(tap.answered) == 1


def test_unreadable_events_only_warn(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    fake_stripe.insert("customer", {"email": "a@example.com"})
    with stripe_api.use_http_client(StatusTap(fake_stripe, {"/v1/events": 403})):
        out, err = run("Customer", "--no-progress")
    assert "Cannot read events (403)" in err
    assert Customer.objects.count() == 1
    assert "events replayed" not in out


def test_catch_up_and_verify(fake_stripe):
    with pytest.raises(CommandError, match="No event cursor"):
        run("--catch-up")
    fake_stripe.insert("customer", {"email": "a@example.com"})
    run("Customer", "--no-progress")
    fake_stripe.advance(10)
    fake_stripe.insert("customer", {"email": "b@example.com"})

    out, _ = run("--verify", "Customer")
    assert "Customer missing:" in out
    with pytest.raises(CommandError, match="differs"):
        run("--verify", "Customer", "--fail-on-error")

    out, _ = run("--catch-up")
    assert out.startswith("Replayed 1 events in 1 requests")
    assert Customer.objects.count() == 2
    out, _ = run("--verify", "Customer")
    assert "missing" not in out.split("\n", 2)[2]


def test_log_progress_writes_periodic_lines():
    now = [0.0]
    lines: list[str] = []
    progress = LogProgress(lines.append, interval=10, clock=lambda: now[0])
    progress.start("Customer", expected=1000)
    progress.advance("Customer", 100)
    now[0] = 11
    progress.advance("Customer", 100)
    now[0] = 12
    progress.advance("Customer", 100)
    progress.finish("Customer")
    assert len(lines) == 2
    assert "200 objects" in lines[0] and "ETA" in lines[0]
    assert "300 objects" in lines[1] and "done in 12s" in lines[1]


def test_terminal_progress_redraws_one_line_per_type():
    now = [0.0]
    stream = io.StringIO()
    progress = TerminalProgress(stream, clock=lambda: now[0])
    progress.start("Customer", expected=200)
    progress.start("Charge")
    now[0] = 1
    progress.advance("Customer", 100)
    progress.close()
    frames = stream.getvalue()
    assert frames.count("\x1b[2F") == 2  # redrawn in place after the first frame
    last = frames.rsplit("\x1b[2F", 1)[1]
    assert "Customer" in last and "100 objects" in last and "ETA 1s" in last
    assert "Charge" in last


def test_charge_is_ordered_after_customer(fake_stripe):
    out, _ = run("Charge", "Customer", "--no-progress")
    table = out[out.index("type ") :]
    assert table.index("Customer") < table.index("Charge")
    assert Charge.objects.count() == 0


def test_connected_accounts_are_mirrored_with_their_owner(fake_stripe):
    platform = fake_stripe.client()
    accounts = [
        platform.v1.accounts.create(params={"type": "express"}) for _ in range(2)
    ]
    platform.v1.customers.create(params={"email": "platform@example.com"})
    for account in accounts:
        connected = fake_stripe.client(stripe_account=account.id)
        connected.v1.customers.create(params={"email": f"{account.id}@example.com"})

    out, _ = run("Customer", "--stripe-account", accounts[0].id, "--no-progress")
    [only] = Customer.objects.all()
    assert (only.email, only.djstripe_owner_account_id) == (
        f"{accounts[0].id}@example.com",
        accounts[0].id,
    )

    out, _ = run("Customer", "Account", "--all-connected-accounts", "--no-progress")
    owners = dict(Customer.objects.values_list("email", "djstripe_owner_account_id"))
    assert owners == {
        "platform@example.com": None,
        **{f"{a.id}@example.com": a.id for a in accounts},
    }
    assert f"== {accounts[1].id}" in out
    # Each account has checkpoints of its own.
    scopes = set(SyncCheckpoint.objects.values_list("scope", flat=True))
    assert len(scopes) == 3


def test_one_account_option_at_a_time(fake_stripe):
    with pytest.raises(CommandError):
        run("--stripe-account", "acct_1", "--all-connected-accounts")


def test_a_key_that_cannot_list_connected_accounts_says_so(fake_stripe, settings):
    settings.DJSTRIPE_MAX_RETRIES = 0
    with stripe_api.use_http_client(StatusTap(fake_stripe, {"/v1/accounts": 403})):
        with pytest.raises(CommandError) as failed:
            run("Customer", "--all-connected-accounts", "--no-progress")
    assert str(failed.value) == ("Cannot list the connected accounts: 403 status 403")
