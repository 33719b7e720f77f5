"""dj-stripe 2.11's site in the load benchmark: the switching test's site
(``tests/switch/legacy_site``), served as djstripe's is: ``DEBUG`` off (no
query log), persistent database connections, no logging set-up. Run only by
dj-stripe's virtualenv; ``STRIPE_API_HOST`` points at the fake Stripe."""

from legacy_site.settings import *  # noqa: F403
from legacy_site.settings import DATABASES

DEBUG = False
# dj-stripe warns that STRIPE_API_HOST is not for production: here it is the
# fake; the admin's sidebar is not used.
SILENCED_SYSTEM_CHECKS = ["djstripe.W002", "admin.W411"]
DATABASES["default"]["CONN_MAX_AGE"] = 600
LOGGING_CONFIG = None
