"""The demo (README command one) runs end to end and its mirror is exact.

Runs ``example/demo.py --no-serve`` in a subprocess, as ``.ci/run`` does:
fake Stripe, seeding, the demo site, webhooks over HTTP, the back-fill and
the comparison of every mirrored row with the fake.  Select it with
``pytest -m demo``; deselect with ``-m "not demo"``.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.demo
def test_demo_mirrors_the_fake_account_exactly(tmp_path):
    env = {**os.environ, "DJSTRIPE_DEMO_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)  # a fresh SQLite file, never the suite's database
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "example" / "demo.py"),
            "--no-serve",
            "--port",
            "0",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    compared = re.search(r"(\d+) objects compared, (\d+) mismatches", output)
    assert compared, output
    assert int(compared.group(1)) > 500 and compared.group(2) == "0", output
    webhooks = re.search(r"(\d+) triggers stored, \d+ valid, (\d+) processed", output)
    assert webhooks and int(webhooks.group(1)) > 0, output
    assert webhooks.group(1) == webhooks.group(2), output
    assert (tmp_path / "demo.sqlite3").exists()
