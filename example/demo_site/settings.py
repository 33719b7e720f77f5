"""Settings of the demo site.

SQLite by default (``.demo/demo.sqlite3`` at the top of the repository, or
``DJSTRIPE_DEMO_DB``); PostgreSQL when ``DATABASE_URL`` is set.  The demo
script (``example/demo.py``) points ``DJSTRIPE_API_BASE`` at its fake Stripe
and passes the same environment to the site it starts.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent
SECRET_KEY = "djstripe-demo-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "demo_site.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if not url:
        default = REPO_DIR / ".demo" / "demo.sqlite3"
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("DJSTRIPE_DEMO_DB", str(default)),
            # Two processes share the file (the demo and the site): wait for
            # the lock rather than fail, and take it at BEGIN so that a reader
            # never has to upgrade to a writer mid-transaction.
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        }
    parts = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


DATABASES = {"default": _database()}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "polymorphic",
    "djstripe",
    "billing",  # the project's own code, written as for dj-stripe
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"

# -- djstripe ------------------------------------------------------------------

STRIPE_LIVE_MODE = False
STRIPE_TEST_SECRET_KEY = os.environ.get(
    "STRIPE_TEST_SECRET_KEY", "sk_test_djstripe_demo"
)
STRIPE_TEST_PUBLIC_KEY = os.environ.get(
    "STRIPE_TEST_PUBLIC_KEY", "pk_test_djstripe_demo"
)
DJSTRIPE_API_BASE = os.environ.get("DJSTRIPE_API_BASE")  # the fake Stripe's URL
DJSTRIPE_WEBHOOK_SECRET = os.environ.get("DJSTRIPE_WEBHOOK_SECRET", "")
# The fake Stripe has no rate limit to respect; against real Stripe leave this
# unset and djstripe paces itself at Stripe's limit for the key's mode.
DJSTRIPE_RATE_LIMIT = float(os.environ.get("DJSTRIPE_RATE_LIMIT", "0"))
# Stripe sends no events for balance transactions: a charge's event carries
# only the transaction's id.  Re-reading the charge when one of its events
# arrives (one request, with ``balance_transaction`` expanded) mirrors it too.
DJSTRIPE_WEBHOOK_REFETCH = {"charge": "always", "*": "on_tie"}
