"""The table of Stripe resources the fake serves.

Each row says where a resource lives, what it is called, how its ids look and
which list filters and operations it supports.  The generic REST machinery in
``fake.py`` reads this table; behaviour specific to a type lives in hooks
(``payments.py``, ``billing.py``, ``checkout.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Resource:
    path: str
    """URL path below ``/v1/``; ``{parent}`` marks a nested collection."""
    object: str
    """The ``object`` name (also the fixtures3.json key)."""
    prefix: str
    """Id prefix, e.g. ``cus`` (ids look like ``cus_<suffix>``)."""
    ops: str = "CRUL"
    """Supported operations: Create, Retrieve, Update, Delete, List."""
    filters: tuple[str, ...] = ()
    """List filters that compare a field to the query parameter."""
    event_prefix: str | None = ""
    """Event type prefix ("" means the object name; None: no CRUD events)."""
    parent_field: str | None = None
    """For nested collections, the field holding the parent's id."""
    create_params: frozenset[str] = frozenset()
    """Create-only parameters that are not fields of the object."""
    defaults: dict = field(default_factory=dict)
    """Field values to use instead of the template's."""
    id_length: int = 24

    @property
    def events_prefix(self) -> str | None:
        return self.object if self.event_prefix == "" else self.event_prefix

    def url(self, parent_id: str | None = None) -> str:
        return "/v1/" + self.path.replace("{parent}", parent_id or "")


def _p(*names: str) -> frozenset[str]:
    return frozenset(names)


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "customers",
        "customer",
        "cus",
        "CRUDL",
        ("email",),
        create_params=_p(
            "payment_method",
            "source",
            "coupon",
            "promotion_code",
            "tax_id_data",
            "tax",
            "cash_balance",
            "test_clock",
        ),
        defaults={"tax_exempt": "none"},
        id_length=14,
    ),
    Resource(
        "products",
        "product",
        "prod",
        "CRUDL",
        ("active", "type", "shippable", "url"),
        create_params=_p("default_price_data", "id", "features"),
        id_length=14,
    ),
    Resource(
        "prices",
        "price",
        "price",
        "CRUL",
        ("active", "currency", "product", "type"),
        create_params=_p(
            "product_data", "transfer_lookup_key", "currency_options", "tiers"
        ),
        defaults={"billing_scheme": "per_unit", "tax_behavior": "unspecified"},
    ),
    Resource("coupons", "coupon", "", "CRUDL", create_params=_p("id", "applies_to")),
    Resource(
        "promotion_codes",
        "promotion_code",
        "promo",
        "CRUL",
        ("active", "code", "coupon", "customer"),
        create_params=_p("coupon", "promotion"),
    ),
    Resource("tax_rates", "tax_rate", "txr", "CRUL", ("active", "inclusive")),
    Resource("shipping_rates", "shipping_rate", "shr", "CRUL", ("active", "currency")),
    Resource(
        "payment_methods",
        "payment_method",
        "pm",
        "CRUL",
        ("customer", "type"),
        create_params=_p("card", "payment_method"),
    ),
    Resource(
        "payment_intents",
        "payment_intent",
        "pi",
        "CRUL",
        ("customer",),
        create_params=_p(
            "confirm",
            "off_session",
            "error_on_requires_action",
            "mandate",
            "mandate_data",
            "return_url",
            "use_stripe_sdk",
            "payment_method_data",
            "radar_options",
            "confirmation_token",
        ),
    ),
    Resource(
        "setup_intents",
        "setup_intent",
        "seti",
        "CRUL",
        ("customer", "payment_method"),
        create_params=_p(
            "confirm",
            "return_url",
            "payment_method_data",
            "mandate_data",
            "use_stripe_sdk",
        ),
        defaults={"usage": "off_session"},
    ),
    Resource(
        "charges",
        "charge",
        "ch",
        "CRUL",
        ("customer", "payment_intent", "transfer_group"),
        create_params=_p("source", "capture", "destination"),
    ),
    Resource(
        "refunds",
        "refund",
        "re",
        "CRUL",
        ("charge", "payment_intent"),
        create_params=_p(
            "refund_application_fee", "reverse_transfer", "instructions_email", "origin"
        ),
    ),
    Resource(
        "balance_transactions",
        "balance_transaction",
        "txn",
        "RL",
        ("type", "source", "payout", "currency"),
        event_prefix=None,
    ),
    Resource(
        "disputes",
        "dispute",
        "dp",
        "RUL",
        ("charge", "payment_intent"),
        event_prefix="charge.dispute",
    ),
    Resource(
        "payouts",
        "payout",
        "po",
        "CRUL",
        ("status", "destination"),
        create_params=_p("source_type"),
    ),
    Resource(
        "files",
        "file",
        "file",
        "CRL",
        ("purpose",),
        create_params=_p("file", "file_link_data"),
    ),
    Resource("file_links", "file_link", "link", "CRUL", ("file", "expired")),
    Resource(
        "invoices",
        "invoice",
        "in",
        "CRUDL",
        ("customer", "status", "subscription", "collection_method"),
        create_params=_p(
            "subscription",
            "pending_invoice_items_behavior",
            "from_invoice",
            "transfer_data",
        ),
    ),
    Resource(
        "invoiceitems",
        "invoiceitem",
        "ii",
        "CRUDL",
        ("customer", "invoice", "pending"),
        create_params=_p(
            "price",
            "price_data",
            "unit_amount",
            "unit_amount_decimal",
            "subscription",
            "pricing",
        ),
    ),
    Resource(
        "subscriptions",
        "subscription",
        "sub",
        "CRUDL",
        ("customer", "status", "price", "collection_method"),
        event_prefix="customer.subscription",
        create_params=_p(
            "items",
            "trial_period_days",
            "trial_from_plan",
            "coupon",
            "promotion_code",
            "payment_behavior",
            "proration_behavior",
            "add_invoice_items",
            "backdate_start_date",
            "off_session",
            "billing_cycle_anchor_config",
            "cancel_at",
        ),
    ),
    Resource(
        "subscription_items",
        "subscription_item",
        "si",
        "CRUDL",
        ("subscription",),
        create_params=_p(
            "price",
            "price_data",
            "proration_behavior",
            "payment_behavior",
            "proration_date",
        ),
        event_prefix=None,
        id_length=14,
    ),
    Resource(
        "subscription_schedules",
        "subscription_schedule",
        "sub_sched",
        "CRUL",
        ("customer",),
        create_params=_p("from_subscription", "start_date", "phases", "end_behavior"),
    ),
    Resource(
        "checkout/sessions",
        "checkout.session",
        "cs_test",
        "CRL",
        ("customer", "payment_intent", "subscription", "status", "payment_link"),
        create_params=_p(
            "line_items",
            "subscription_data",
            "payment_intent_data",
            "setup_intent_data",
            "customer_update",
            "discounts",
            "expires_at",
            "invoice_creation",
            "payment_method_data",
        ),
        event_prefix=None,
        id_length=58,
    ),
    Resource(
        "webhook_endpoints",
        "webhook_endpoint",
        "we",
        "CRUDL",
        create_params=_p("connect"),
        event_prefix=None,
    ),
    Resource("events", "event", "evt", "RL", ("type",), event_prefix=None),
    Resource(
        "accounts",
        "account",
        "acct",
        "CRUDL",
        create_params=_p(
            "tos_acceptance", "external_account", "controller", "documents"
        ),
        id_length=16,
    ),
    Resource(
        "transfers",
        "transfer",
        "tr",
        "CRUL",
        ("destination", "transfer_group"),
        create_params=_p("source_transaction", "source_type"),
    ),
    Resource(
        "entitlements/features",
        "entitlements.feature",
        "feat",
        "CRUL",
        ("lookup_key", "archived"),
    ),
    Resource(
        "products/{parent}/features",
        "product_feature",
        "prodft",
        "CRDL",
        parent_field="_product",
        create_params=_p("entitlement_feature"),
        event_prefix=None,
    ),
    Resource(
        "entitlements/active_entitlements",
        "entitlements.active_entitlement",
        "ent_test",
        "RL",
        event_prefix=None,
    ),
    Resource("mandates", "mandate", "mandate", "R", event_prefix=None),
    Resource(
        "tax_ids", "tax_id", "txi", "CRDL", create_params=_p("owner"), event_prefix=None
    ),
    Resource(
        "customers/{parent}/tax_ids",
        "tax_id",
        "txi",
        "CRDL",
        parent_field="customer",
        event_prefix="customer.tax_id",
    ),
    Resource(
        "invoice_payments",
        "invoice_payment",
        "inpay",
        "RL",
        ("invoice",),
        event_prefix=None,
    ),
    Resource("application_fees", "application_fee", "fee", "RL", ("charge",)),
    Resource(
        "application_fees/{parent}/refunds",
        "fee_refund",
        "fr",
        "CRUL",
        parent_field="fee",
        event_prefix=None,
    ),
    Resource(
        "transfers/{parent}/reversals",
        "transfer_reversal",
        "trr",
        "CRUL",
        parent_field="transfer",
        create_params=_p("refund_application_fee"),
        event_prefix=None,
    ),
    Resource(
        "customers/{parent}/balance_transactions",
        "customer_balance_transaction",
        "cbtxn",
        "CRUL",
        parent_field="customer",
        event_prefix=None,
    ),
    Resource("reviews", "review", "prv", "RL", event_prefix=None),
    Resource(
        "radar/early_fraud_warnings",
        "radar.early_fraud_warning",
        "issfr",
        "RL",
        ("charge", "payment_intent"),
    ),
    Resource("tax_codes", "tax_code", "txcd", "RL", event_prefix=None, id_length=8),
)

BY_OBJECT: dict[str, Resource] = {}
for _resource in RESOURCES:
    BY_OBJECT.setdefault(_resource.object, _resource)

EXTRA_PREFIXES = {
    "invoice_item_line": "il",
    "line_item": "il",
    "discount": "di",
    "item": "li",
    "card": "card",
    "request": "req",
    "webhook_secret": "whsec",
}
