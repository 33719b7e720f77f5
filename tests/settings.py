"""Django settings for djstripe's test suite.

``DATABASE_URL`` selects the database (``postgres://user@host:port/name``);
without it the tests run on an in-memory SQLite database.
"""

import os
from urllib.parse import unquote, urlparse

import django

SECRET_KEY = "djstripe-tests-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SITE_ID = 1


def _database_from_url(url: str) -> dict:
    parts = urlparse(url)
    if parts.scheme.startswith("postgres"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/"),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
        }
    if parts.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": parts.path or ":memory:",
        }
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parts.scheme!r}")


DATABASES = {"default": _database_from_url(os.environ.get("DATABASE_URL", "sqlite://"))}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "polymorphic",
    "djstripe",
    # Django Tasks' database backend, for the webhook task-mode tests.
    "django_tasks_db",
]
if django.VERSION < (6, 0):
    INSTALLED_APPS.append("django_tasks")  # the backport of django.tasks

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
        "DIRS": [],
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

STRIPE_LIVE_MODE = False
STRIPE_TEST_SECRET_KEY = "sk_test_djstripe_tests"
STRIPE_LIVE_SECRET_KEY = "sk_live_djstripe_tests"
DJSTRIPE_WEBHOOK_SECRET = "whsec_djstripe_tests"
DJSTRIPE_RATE_LIMIT = 0  # the tests talk to stubs and the fake, not to Stripe
