"""Django settings for the benchmarks: the test settings, with a file database.

``DATABASE_URL`` picks PostgreSQL; without it, a SQLite file in a temporary
directory (an in-memory database would flatter SQLite).
"""

import os
import tempfile

from tests.settings import *  # noqa: F403
from tests.settings import _database_from_url

_url = os.environ.get("DATABASE_URL") or (
    "sqlite://"
    + os.path.join(tempfile.mkdtemp(prefix="djstripe-bench-"), "bench.sqlite3")
)
DATABASES = {"default": _database_from_url(_url)}
DEBUG = False
LOGGING_CONFIG = None
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# The load benchmark (bench/load.py) configures the served site through the
# environment: processing mode, batch size, Stripe's (fake) address, and
# psycopg's server-side binding.
DJSTRIPE_WEBHOOK_PROCESSING = os.environ.get("BENCH_PROCESSING", "inline")
DJSTRIPE_WEBHOOK_BATCH_SIZE = int(os.environ.get("BENCH_BATCH_SIZE", "1"))
if os.environ.get("BENCH_SECRET"):
    DJSTRIPE_WEBHOOK_SECRET = os.environ["BENCH_SECRET"]
if os.environ.get("BENCH_API_BASE"):
    DJSTRIPE_API_BASE = os.environ["BENCH_API_BASE"]
if os.environ.get("BENCH_TASKS"):
    TASKS = {"default": {"BACKEND": os.environ["BENCH_TASKS"]}}
if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
if os.environ.get("BENCH_SERVER_SIDE_BINDING"):
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
