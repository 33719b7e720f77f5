"""dj-stripe 2.11's helper modules: enums, utils, settings, exceptions, fields."""

import datetime
from decimal import Decimal

import pytest
import stripe
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.test import override_settings

from djstripe import enums, exceptions, fields, utils
from djstripe.settings import djstripe_settings

# -- enums -------------------------------------------------------------------------


def test_enum_members_are_stripe_values():
    assert enums.SubscriptionStatus.active == "active"
    assert enums.SubscriptionStatus.past_due == "past_due"
    assert enums.ChargeStatus.succeeded == "succeeded"
    assert enums.InvoiceStatus.uncollectible == "uncollectible"
    assert enums.WebhookEndpointStatus.disabled == "disabled"
    assert enums.PaymentMethodType.us_bank_account == "us_bank_account"


def test_enum_members_whose_value_is_not_an_identifier():
    assert enums.CardCheckResult.pass_ == "pass"
    assert enums.CardBrand.AmericanExpress == "American Express"
    assert enums.CardBrand.DinersClub == "Diners Club"


def test_enum_choices_are_sorted_value_label_pairs():
    assert [(k, str(v)) for k, v in enums.CouponDuration.choices] == [
        ("forever", "Forever"),
        ("once", "Once"),
        ("repeating", "Multi-month"),
    ]
    values = [value for value, _ in enums.SubscriptionStatus.choices]
    assert values == sorted(values)
    assert {"incomplete", "trialing", "active", "canceled", "unpaid"} <= set(values)
    assert ("pass", "Pass") in [(k, str(v)) for k, v in enums.CardCheckResult.choices]


def test_enum_humanize_and_membership():
    assert enums.SubscriptionStatus.humanize("past_due") == "Past due"
    assert enums.RefundReason.humanize("duplicate") == "Duplicate charge"
    with pytest.raises(KeyError):
        enums.SubscriptionStatus.humanize("nope")
    assert "active" in enums.SubscriptionStatus
    assert "nope" not in enums.SubscriptionStatus
    assert list(enums.ChargeStatus) == ["succeeded", "pending", "failed"]


def test_enum_legacy_aliases():
    assert enums.PlanTiersMode is enums.PriceTiersMode
    assert enums.PlanUsageType.metered == "metered"


def test_enum_field_takes_an_enum_class_for_choices():
    field = fields.StripeEnumField(enum=enums.PayoutStatus)
    assert field.enum == tuple(v for v, _ in enums.PayoutStatus.choices)
    assert [c[0] for c in field.choices] == [v for v, _ in enums.PayoutStatus.choices]
    plain = fields.StripeEnumField(enum=("a", "b"))
    assert plain.enum == ("a", "b") and not plain.choices


# -- utils -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, currency, expected",
    [
        (Decimal("4.5"), "usd", "$4.50 USD"),
        (Decimal("1234.5"), "eur", "€1,234.50 EUR"),
        (10, "gbp", "£10.00 GBP"),
        (Decimal("500"), "jpy", "500.00 JPY"),
        (Decimal("0.25"), "cad", "$0.25 CAD"),
    ],
)
def test_get_friendly_currency_amount(amount, currency, expected):
    assert utils.get_friendly_currency_amount(amount, currency) == expected


def test_convert_tstamp_is_aware_utc_with_use_tz():
    when = utils.convert_tstamp(1_700_000_000)
    assert when == datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.UTC)
    assert utils.convert_tstamp(None) is None
    assert utils.get_timezone_utc() is datetime.UTC


@override_settings(USE_TZ=False)
def test_convert_tstamp_is_naive_without_use_tz():
    assert utils.convert_tstamp(1_700_000_000).tzinfo is None


def test_get_id_from_stripe_data():
    assert utils.get_id_from_stripe_data("cus_1") == "cus_1"
    assert (
        utils.get_id_from_stripe_data({"id": "cus_2", "object": "customer"}) == "cus_2"
    )
    assert utils.get_id_from_stripe_data(None) is None


@pytest.mark.django_db
def test_get_model_and_queryset():
    from djstripe.models import Customer

    assert utils.get_model("Customer") is Customer
    assert list(utils.get_queryset([], "Customer")) == []


def test_queryset_mock_serves_a_list_and_changes_nothing():
    from djstripe.models import Customer

    rows = [Customer(id="cus_a"), Customer(id="cus_b")]
    qs = utils.QuerySetMock.from_iterable(Customer, rows)
    assert [c.id for c in qs.all()] == ["cus_a", "cus_b"]
    assert qs.count() == 2
    assert qs.update(email="x") == 0
    assert qs.delete() == 0


@pytest.mark.django_db
def test_get_supported_currency_choices(fake_stripe, settings):
    from unittest import mock

    from djstripe import stripe_api

    key = settings.STRIPE_TEST_SECRET_KEY
    country = stripe_api.request("get", "/v1/account", api_key=key)["country"]
    spec = {
        "id": country,
        "object": "country_spec",
        "supported_payment_currencies": ["usd", "eur"],
    }
    with mock.patch("stripe.CountrySpec.retrieve", return_value=spec) as retrieve:
        choices = utils.get_supported_currency_choices(key)
    assert choices == [("usd", "USD"), ("eur", "EUR")]
    assert retrieve.call_args.args == (country,)
    assert retrieve.call_args.kwargs["api_key"] == key


# -- settings ----------------------------------------------------------------------


def test_public_key_follows_the_mode(settings):
    settings.STRIPE_TEST_PUBLIC_KEY = "pk_test_a"
    settings.STRIPE_LIVE_PUBLIC_KEY = "pk_live_b"
    assert djstripe_settings.STRIPE_PUBLIC_KEY == "pk_test_a"
    settings.STRIPE_LIVE_MODE = True
    assert djstripe_settings.STRIPE_PUBLIC_KEY == "pk_live_b"
    settings.STRIPE_PUBLIC_KEY = "pk_test_explicit"
    assert djstripe_settings.STRIPE_PUBLIC_KEY == "pk_test_explicit"


def test_api_key_names(settings):
    assert djstripe_settings.TEST_API_KEY == settings.STRIPE_TEST_SECRET_KEY
    assert djstripe_settings.LIVE_API_KEY == settings.STRIPE_LIVE_SECRET_KEY
    assert (
        djstripe_settings.get_default_api_key(True) == settings.STRIPE_LIVE_SECRET_KEY
    )
    assert (
        djstripe_settings.get_default_api_key(False) == settings.STRIPE_TEST_SECRET_KEY
    )


def test_default_api_version_and_setter(monkeypatch):
    monkeypatch.setattr(stripe, "api_version", stripe.api_version)
    assert djstripe_settings.DEFAULT_STRIPE_API_VERSION == "2024-04-10"
    djstripe_settings.set_stripe_api_version("2020-08-27")
    assert stripe.api_version == "2020-08-27"
    with pytest.raises(ValueError, match="Bad stripe API version"):
        djstripe_settings.set_stripe_api_version("yesterday")


def test_subscriber_customer_key_default_and_override(settings):
    assert djstripe_settings.SUBSCRIBER_CUSTOMER_KEY == "djstripe_subscriber"
    settings.DJSTRIPE_SUBSCRIBER_CUSTOMER_KEY = "user_id"
    assert djstripe_settings.SUBSCRIBER_CUSTOMER_KEY == "user_id"


def _callback(request):
    return "subscriber-of-" + request


def test_get_callback_function(settings):
    assert djstripe_settings.get_callback_function("DJSTRIPE_NOPE") is None
    assert djstripe_settings.get_callback_function("DJSTRIPE_NOPE", len) is len
    settings.DJSTRIPE_SUBSCRIBER_MODEL_REQUEST_CALLBACK = (
        "tests.test_compat_modules._callback"
    )
    assert djstripe_settings.subscriber_request_callback("r") == "subscriber-of-r"
    settings.DJSTRIPE_WEBHOOK_EVENT_CALLBACK = _callback
    assert djstripe_settings.WEBHOOK_EVENT_CALLBACK is _callback
    settings.DJSTRIPE_WEBHOOK_EVENT_CALLBACK = 42
    with pytest.raises(ImproperlyConfigured, match="must be callable"):
        djstripe_settings.WEBHOOK_EVENT_CALLBACK  # noqa: B018


def test_subscriber_request_callback_defaults_to_the_user():
    class Request:
        user = object()

    assert djstripe_settings.subscriber_request_callback(Request) is Request.user


def test_get_subscriber_model(settings):
    from django.contrib.auth import get_user_model

    assert djstripe_settings.get_subscriber_model() is get_user_model()
    settings.DJSTRIPE_SUBSCRIBER_MODEL = "nope"
    with pytest.raises(ImproperlyConfigured, match="app_label.model_name"):
        djstripe_settings.get_subscriber_model()
    settings.DJSTRIPE_SUBSCRIBER_MODEL = "nope.Missing"
    with pytest.raises(ImproperlyConfigured, match="not been installed"):
        djstripe_settings.get_subscriber_model()
    settings.DJSTRIPE_SUBSCRIBER_MODEL = "auth.Group"  # no email
    with pytest.raises(ImproperlyConfigured, match="email"):
        djstripe_settings.get_subscriber_model()


def test_get_idempotency_key_callback(settings):
    settings.DJSTRIPE_IDEMPOTENCY_KEY_CALLBACK = lambda t, a, live: f"{t}:{a}:{live}"
    assert djstripe_settings.get_idempotency_key("customer", "create", False) == (
        "customer:create:False"
    )


def test_webhook_settings_names(settings):
    assert djstripe_settings.WEBHOOK_SECRET == settings.DJSTRIPE_WEBHOOK_SECRET
    assert djstripe_settings.WEBHOOK_VALIDATION == "verify_signature"
    assert djstripe_settings.DJSTRIPE_WEBHOOK_URL == r"^webhook/$"
    assert "jpy" in djstripe_settings.ZERO_DECIMAL_CURRENCIES


# -- exceptions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "MultipleSubscriptionException",
        "StripeObjectManipulationException",
        "InvalidStripeAPIKey",
        "ImpossibleAPIRequest",
    ],
)
def test_exceptions_derive_from_djstripe_error(name):
    cls = getattr(exceptions, name)
    assert issubclass(cls, exceptions.DjstripeError)
    assert not issubclass(cls, stripe.StripeError)


def test_invalid_api_key_is_a_value_error():
    with pytest.raises(ValueError):
        raise exceptions.InvalidStripeAPIKey("sk_nope")


# -- fields ------------------------------------------------------------------------


def test_field_classes_are_django_fields():
    for name in (
        "StripeForeignKey",
        "StripeIdField",
        "StripeDateTimeField",
        "StripePercentField",
        "StripeQuantumCurrencyAmountField",
        "StripeDecimalCurrencyAmountField",
        "StripeCurrencyCodeField",
        "StripeEnumField",
        "JSONField",
        "PaymentMethodForeignKey",
    ):
        assert issubclass(getattr(fields, name), models.Field), name


def test_percent_field_validates_one_to_hundred():
    from django.core.exceptions import ValidationError

    field = fields.StripePercentField()
    assert (field.max_digits, field.decimal_places) == (5, 2)
    field.run_validators(Decimal("12.5"))
    with pytest.raises(ValidationError):
        field.run_validators(Decimal("101"))


def test_quantum_amount_keeps_minor_units_and_decimal_converts():
    quantum = fields.StripeQuantumCurrencyAmountField()
    quantum.set_attributes_from_name("amount")
    assert quantum.stripe_value({"amount": 450, "currency": "usd"}) == 450
    decimal = fields.StripeDecimalCurrencyAmountField()
    decimal.set_attributes_from_name("amount")
    assert decimal.stripe_value({"amount": 450, "currency": "usd"}) == Decimal("4.50")
    assert decimal.stripe_value({"amount": 450, "currency": "jpy"}) == Decimal("450")
    stamp = fields.StripeDateTimeField()
    stamp.set_attributes_from_name("created")
    assert stamp.stripe_value({"created": 0}) == datetime.datetime(
        1970, 1, 1, tzinfo=datetime.UTC
    )


ENUM_NAMES = [
    "APIKeyType", "ApiErrorCode", "AccountType", "BalanceTransactionReportingCategory",
    "BalanceTransactionStatus", "BalanceTransactionType", "BankAccountHolderType",
    "BankAccountStatus", "BillingScheme", "BusinessType", "CaptureMethod",
    "CardCheckResult", "CardBrand", "CardFundingType", "CardTokenizationMethod",
    "ChargeStatus", "ConfirmationMethod", "CouponDuration", "CustomerTaxExempt",
    "DisputeReason", "DisputeStatus", "FilePurpose", "FileType",
    "InvoiceBillingReason", "InvoiceCollectionMethod", "InvoiceStatus", "IntentUsage",
    "IntentStatus", "MandateStatus", "MandateType", "OrderStatus",
    "PaymentIntentStatus", "SetupIntentStatus", "PaymentMethodType",
    "PayoutFailureCode", "PayoutMethod", "PayoutSourceType", "PayoutStatus",
    "PayoutType", "PaymentIntentCancellationReason", "PlanAggregateUsage",
    "PlanInterval", "PriceTiersMode", "PriceType", "PriceUsageType", "PlanTiersMode",
    "PlanUsageType", "ProductType", "SetupIntentCancellationReason",
    "ScheduledQueryRunStatus", "SourceFlow", "SourceStatus", "SourceType",
    "LegacySourceType", "RefundFailureReason", "RefundReason", "RefundStatus",
    "SessionBillingAddressCollection", "SessionMode", "SourceUsage",
    "SourceCodeVerificationStatus", "SourceRedirectFailureReason",
    "SourceRedirectStatus", "SubmitTypeStatus", "SubscriptionScheduleEndBehavior",
    "SubscriptionScheduleStatus", "SubscriptionStatus", "SubscriptionProrationBehavior",
    "ShippingRateType", "ShippingRateTaxBehavior", "TaxIdType", "UsageAction",
    "WebhookEndpointStatus", "DjstripePaymentMethodType",
]  # fmt: skip


@pytest.mark.parametrize("name", ENUM_NAMES)
def test_every_enum_has_string_members_and_sorted_labelled_choices(name):
    enum = getattr(enums, name)
    assert issubclass(enum, enums.Enum)
    values = [value for value, _label in enum.choices]
    assert values and values == sorted(values) and len(values) == len(enum)
    members = {
        key: value
        for key, value in vars(enum).items()
        if not key.startswith("_") and isinstance(value, str)
    }
    assert sorted(members.values()) == values
    for value, label in enum.choices:
        assert value in enum and str(enum.humanize(value)) == str(label) != ""


@pytest.mark.parametrize(
    "setting, attribute, value",
    [
        ("DJSTRIPE_PRORATION_POLICY", "PRORATION_POLICY", "always_invoice"),
        ("DJSTRIPE_SUBSCRIPTION_REDIRECT", "SUBSCRIPTION_REDIRECT", "/pricing/"),
        (
            "DJSTRIPE_SUBSCRIPTION_REQUIRED_EXCEPTION_URLS",
            "SUBSCRIPTION_REQUIRED_EXCEPTION_URLS",
            ("home",),
        ),
        ("DJSTRIPE_USE_NATIVE_JSONFIELD", "USE_NATIVE_JSONFIELD", True),
        ("DJSTRIPE_WEBHOOK_TOLERANCE", "WEBHOOK_TOLERANCE", 60),
        ("DJSTRIPE_WEBHOOK_VALIDATION", "WEBHOOK_VALIDATION", "verify_signature"),
        ("DJSTRIPE_WEBHOOK_URL", "DJSTRIPE_WEBHOOK_URL", r"^hooks/$"),
        ("STRIPE_API_VERSION", "STRIPE_API_VERSION", "2020-08-27"),
        ("DJSTRIPE_SUBSCRIBER_MODEL", "get_subscriber_model_string", "auth.User"),
    ],
)
def test_settings_read_dj_stripes_names(settings, setting, attribute, value):
    setattr(settings, setting, value)
    read = getattr(djstripe_settings, attribute)
    assert (read() if callable(read) else read) == value


def test_stripe_secret_key_follows_the_mode(settings):
    assert djstripe_settings.STRIPE_SECRET_KEY == settings.STRIPE_TEST_SECRET_KEY
    settings.STRIPE_LIVE_MODE = True
    assert djstripe_settings.STRIPE_SECRET_KEY == settings.STRIPE_LIVE_SECRET_KEY


def test_checks_refuse_dj_stripe_settings_djstripe_does_not_follow(settings):
    from djstripe.checks import check_dj_stripe_settings

    assert check_dj_stripe_settings() == []
    settings.DJSTRIPE_WEBHOOK_VALIDATION = "retrieve_event"
    settings.DJSTRIPE_FOREIGN_KEY_TO_FIELD = "djstripe_id"
    settings.DJSTRIPE_WEBHOOK_EVENT_CALLBACK = print
    assert [m.id for m in check_dj_stripe_settings()] == [
        "djstripe.E101",
        "djstripe.W102",
        "djstripe.W101",
    ]


def test_check_reports_a_subscriber_model_without_its_callback(settings):
    from djstripe.checks import check_dj_stripe_settings

    settings.DJSTRIPE_SUBSCRIBER_MODEL = "auth.User"
    assert check_dj_stripe_settings() == []
    settings.AUTH_USER_MODEL = "auth.Group"  # auth.User is now a custom model
    settings.DJSTRIPE_SUBSCRIBER_MODEL = "auth.User"
    [message] = check_dj_stripe_settings()
    assert message.id == "djstripe.E102"
    assert "DJSTRIPE_SUBSCRIBER_MODEL_REQUEST_CALLBACK" in message.msg


def test_currency_sigils_are_dj_stripes():
    assert utils.CURRENCY_SIGILS == {"CAD": "$", "EUR": "€", "GBP": "£", "USD": "$"}


def test_field_deconstruct_mixin_keeps_display_attributes_out_of_migrations():
    class Field(fields.FieldDeconstructMixin, models.CharField):
        pass

    field = Field(
        max_length=5, help_text="shown", verbose_name="v", choices=[("a", "A")]
    )
    _name, _path, _args, kwargs = field.deconstruct()
    assert kwargs == {"max_length": 5}
