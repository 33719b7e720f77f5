"""djstripe's side of the switching test: the test suite's settings, on the
database a dj-stripe 2.11 site filled (``DATABASE_URL``), with the Stripe API
at ``DJSTRIPE_API_BASE`` (a loopback listener that counts connections) and
``APPEND_SLASH`` from the environment."""

import os

from tests.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.switch.shop"]  # noqa: F405
DJSTRIPE_API_BASE = os.environ["DJSTRIPE_API_BASE"]
APPEND_SLASH = os.environ.get("APPEND_SLASH", "1") == "1"
ALLOWED_HOSTS = ["testserver"]
