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
    defaults: dict = field(default_factory=dict)
    """Field values to use instead of the template's."""
    id_length: int = 24

    @property
    def events_prefix(self) -> str | None:
        return self.object if self.event_prefix == "" else self.event_prefix

    def url(self, parent_id: str | None = None) -> str:
        return "/v1/" + self.path.replace("{parent}", parent_id or "")


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "customers",
        "customer",
        "cus",
        "CRUDL",
        ("email",),
        defaults={"tax_exempt": "none"},
        id_length=14,
    ),
    Resource(
        "products",
        "product",
        "prod",
        "CRUDL",
        ("active", "type", "shippable", "url"),
        id_length=14,
    ),
    Resource(
        "prices",
        "price",
        "price",
        "CRUL",
        ("active", "currency", "product", "type"),
        defaults={"billing_scheme": "per_unit", "tax_behavior": "unspecified"},
    ),
    Resource(
        "coupons",
        "coupon",
        "",
        "CRUDL",
    ),
    Resource(
        "promotion_codes",
        "promotion_code",
        "promo",
        "CRUL",
        ("active", "code", "coupon", "customer"),
    ),
    Resource("tax_rates", "tax_rate", "txr", "CRUL", ("active", "inclusive")),
    Resource("shipping_rates", "shipping_rate", "shr", "CRUL", ("active", "currency")),
    Resource(
        "payment_methods",
        "payment_method",
        "pm",
        "CRUL",
        ("customer", "type"),
    ),
    Resource(
        "payment_intents",
        "payment_intent",
        "pi",
        "CRUL",
        ("customer",),
    ),
    Resource(
        "setup_intents",
        "setup_intent",
        "seti",
        "CRUL",
        ("customer", "payment_method"),
        defaults={"usage": "off_session"},
    ),
    Resource(
        "charges",
        "charge",
        "ch",
        "CRUL",
        ("customer", "payment_intent", "transfer_group"),
    ),
    Resource(
        "refunds",
        "refund",
        "re",
        "CRUL",
        ("charge", "payment_intent"),
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
    ),
    Resource(
        "files",
        "file",
        "file",
        "CRL",
        ("purpose",),
    ),
    Resource("file_links", "file_link", "link", "CRUL", ("file", "expired")),
    Resource(
        "invoices",
        "invoice",
        "in",
        "CRUDL",
        ("customer", "status", "subscription", "collection_method"),
    ),
    Resource(
        "invoiceitems",
        "invoiceitem",
        "ii",
        "CRUDL",
        ("customer", "invoice", "pending"),
    ),
    Resource(
        "subscriptions",
        "subscription",
        "sub",
        "CRUDL",
        ("customer", "status", "price", "collection_method"),
        event_prefix="customer.subscription",
    ),
    Resource(
        "subscription_items",
        "subscription_item",
        "si",
        "CRUDL",
        ("subscription",),
        event_prefix=None,
        id_length=14,
    ),
    Resource(
        "subscription_schedules",
        "subscription_schedule",
        "sub_sched",
        "CRUL",
        ("customer",),
    ),
    Resource(
        "checkout/sessions",
        "checkout.session",
        "cs_test",
        "CRUL",
        ("customer", "payment_intent", "subscription", "status", "payment_link"),
        event_prefix=None,
        id_length=58,
    ),
    Resource(
        "webhook_endpoints",
        "webhook_endpoint",
        "we",
        "CRUDL",
        event_prefix=None,
    ),
    Resource("events", "event", "evt", "RL", ("type",), event_prefix=None),
    Resource(
        "accounts",
        "account",
        "acct",
        "CRUDL",
        id_length=16,
    ),
    Resource(
        "transfers",
        "transfer",
        "tr",
        "CRUL",
        ("destination", "transfer_group"),
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
    Resource("tax_ids", "tax_id", "txi", "CRDL", event_prefix=None),
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
    # Older, still-documented paths to the same objects.
    Resource(
        "charges/{parent}/refunds",
        "refund",
        "re",
        "RUL",
        parent_field="charge",
    ),
    Resource(
        "customers/{parent}/subscriptions",
        "subscription",
        "sub",
        "RUDL",
        parent_field="customer",
        event_prefix="customer.subscription",
    ),
    Resource("balance/history", "balance_transaction", "txn", "RL", event_prefix=None),
    Resource("sources", "source", "src", "CRU", event_prefix="source"),
    Resource("country_specs", "country_spec", "", "RL", event_prefix=None),
    Resource(
        "sigma/scheduled_query_runs",
        "scheduled_query_run",
        "sqr",
        "RL",
        event_prefix="sigma.scheduled_query_run",
    ),
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
