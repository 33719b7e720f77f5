"""The demo site in a subprocess: a free loopback port, readiness, cleanup."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

LOOPBACK = "127.0.0.1"
EXAMPLE_DIR = Path(__file__).resolve().parent.parent


def choose_port(wanted: int) -> int:
    """``wanted`` if it is free on 127.0.0.1, else any free port (0: any)."""
    if wanted:
        with socket.socket() as probe:
            try:
                probe.bind((LOOPBACK, wanted))
                return wanted
            except OSError:
                pass
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


class Site:
    """``manage.py runserver`` on 127.0.0.1, its output in a log file."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path):
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(EXAMPLE_DIR / "manage.py"),
                "runserver",
                f"{LOOPBACK}:{port}",
                "--noreload",
                "--skip-checks",
            ],
            cwd=EXAMPLE_DIR,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Poll the admin login page until it answers (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the demo site exited with {self.process.returncode}:\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(f"{self.url}/admin/login/", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError(f"the demo site did not answer within {timeout:.0f} s")

    def log_tail(self, lines: int = 20) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        """Terminate, then kill if it has not gone within a few seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()
