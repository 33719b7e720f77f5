"""Settings of a dj-stripe 2.11 site, run only by the dj-stripe virtualenv.

The end-to-end switching test (``tests/switch``) fills a database through
dj-stripe's own code with these settings, then hands the same database to
djstripe. ``DATABASE_URL`` names the database; ``STRIPE_API_HOST`` (dj-stripe's
setting) points stripe-python at the fake Stripe served on 127.0.0.1.
"""

import os
from urllib.parse import unquote, urlparse

SECRET_KEY = "legacy-site-not-secret"
DEBUG = True  # dj-stripe refuses STRIPE_API_HOST when DEBUG is off
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "legacy_site.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]


def _database(url: str) -> dict:
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
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": parts.path}


DATABASES = {"default": _database(os.environ["DATABASE_URL"])}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.messages",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "djstripe",
    "shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
APPEND_SLASH = os.environ.get("APPEND_SLASH", "1") == "1"

STRIPE_LIVE_MODE = False
STRIPE_TEST_SECRET_KEY = os.environ.get(
    "STRIPE_TEST_SECRET_KEY", "sk_test_legacySecretKey0123456789"
)
STRIPE_API_HOST = os.environ.get("STRIPE_API_HOST", "http://127.0.0.1:9")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"


def _loopback_only() -> None:
    """Refuse to resolve any host but loopback: dj-stripe reaches some Stripe
    endpoints (v2 accounts) through its own default address, not
    ``STRIPE_API_HOST``, and nothing here may leave the machine."""
    import socket

    resolve = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise OSError(f"legacy_site: refusing to reach {host!r} (loopback only)")
        return resolve(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


_loopback_only()
