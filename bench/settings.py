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
