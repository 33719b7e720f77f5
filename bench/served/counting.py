"""Django's WSGI application, and management commands, counting the SQL
statements each process sends (written to ``BENCH_STATS_DIR/<pid>``).

Standalone: the same module serves djstripe (``bench.served.counting``) and,
from dj-stripe's virtualenv, dj-stripe 2.11 (``counting``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_statement_count = 0
_application = None


def _count(execute, sql, params, many, context):
    global _statement_count
    _statement_count += 1
    return execute(sql, params, many, context)


def install_counter() -> None:
    """Count the statements of every database connection this process opens
    (transaction control included: a statement is a round trip)."""
    from django.db.backends.signals import connection_created

    def install(sender, connection, **kwargs):
        if _count not in connection.execute_wrappers:
            connection.execute_wrappers.append(_count)

    connection_created.connect(install, weak=False)


def save_count() -> None:
    stats = os.environ.get("BENCH_STATS_DIR")
    if stats:
        Path(stats, str(os.getpid())).write_text(str(_statement_count))


def application(environ, start_response):
    """Django's WSGI application, counting statements per process."""
    global _application
    if _application is None:
        from django.core.wsgi import get_wsgi_application

        install_counter()
        _application = get_wsgi_application()
    try:
        return _application(environ, start_response)
    finally:
        save_count()


def run_command(argv: list[str]) -> None:
    """A management command with the statement counter (the drain workers).

    Once Django is set up, ``BENCH_STATS_DIR/ready-<pid>`` says when, with
    the CPU seconds and statements spent so far: the drain is timed from there.
    """
    import django

    django.setup()
    install_counter()
    stats = os.environ.get("BENCH_STATS_DIR")
    if stats:
        Path(stats, f"ready-{os.getpid()}").write_text(
            f"{time.time()} {time.process_time()} {_statement_count}"
        )
    from django.core.management import call_command

    try:
        call_command(*argv)
    finally:
        save_count()
