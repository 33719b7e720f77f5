"""System checks explain missing or malformed settings."""

from django.core import checks
from django.test import override_settings


def _ids(**settings) -> set[str]:
    with override_settings(**settings):
        return {message.id for message in checks.run_checks(tags=["djstripe"])}


def test_configured_keys_pass():
    assert _ids() == set()


def test_missing_key_of_the_current_mode_is_a_warning():
    assert _ids(STRIPE_TEST_SECRET_KEY="") == {"djstripe.W001"}
    assert _ids(STRIPE_LIVE_MODE=True, STRIPE_LIVE_SECRET_KEY="") == {"djstripe.W001"}


def test_publishable_or_malformed_keys_are_errors():
    with override_settings(STRIPE_TEST_SECRET_KEY="pk_test_123"):
        [message] = checks.run_checks(tags=["djstripe"])
    assert message.id == "djstripe.E001"
    assert "publishable" in message.msg
    assert _ids(STRIPE_TEST_SECRET_KEY="hello") == {"djstripe.E001"}


def test_key_of_the_other_mode_is_an_error():
    assert _ids(STRIPE_LIVE_SECRET_KEY="sk_test_abc") == {"djstripe.E001"}
    assert _ids(STRIPE_TEST_SECRET_KEY="rk_live_abc") == {"djstripe.E001"}


def test_webhook_settings_are_checked():
    assert _ids(DJSTRIPE_WEBHOOK_SECRET="secret") == {"djstripe.E002"}
    assert _ids(DJSTRIPE_WEBHOOK_SECRET=["whsec_a", "whsec_b"]) == set()
    assert _ids(DJSTRIPE_WEBHOOK_PROCESSING="celery") == {"djstripe.E003"}
    assert _ids(DJSTRIPE_WEBHOOK_REFETCH={"customer": "sometimes"}) == {"djstripe.E004"}


def test_http_timeout_is_checked():
    assert _ids(DJSTRIPE_HTTP_TIMEOUT=5) == set()
    assert _ids(DJSTRIPE_HTTP_TIMEOUT=(3, 20)) == set()
    assert _ids(DJSTRIPE_HTTP_TIMEOUT=0) == {"djstripe.E007"}
    assert _ids(DJSTRIPE_HTTP_TIMEOUT="soon") == {"djstripe.E007"}
    assert _ids(DJSTRIPE_HTTP_TIMEOUT=(1, 2, 3)) == {"djstripe.E007"}
