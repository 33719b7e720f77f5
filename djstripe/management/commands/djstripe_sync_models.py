"""``manage.py djstripe_sync_models``: back-fill the mirror from Stripe.

See docs/syncing.md. The work is done by :mod:`djstripe.sync.backfill`,
:mod:`djstripe.sync.events` and :mod:`djstripe.sync.verify`; this command
parses options and prints. It ends with one summary line, and exits non-zero
when anything failed; tracebacks only with ``--traceback`` or ``-v 2``.
"""

from __future__ import annotations

import argparse
import datetime
import traceback
from typing import Any, TextIO, cast

import stripe
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from djstripe import stripe_api
from djstripe.settings import djstripe_settings
from djstripe.sync.backfill import (
    NoEventCursor,
    SyncAborted,
    SyncReport,
    backfill,
    catch_up,
    listable_models,
    resolve_models,
)
from djstripe.sync.checkpoints import scope_for
from djstripe.sync.progress import LogProgress, Progress, TerminalProgress
from djstripe.sync.report import short_reason
from djstripe.sync.verify import verify


def timestamp(value: str) -> int:
    """An ISO date or datetime (UTC unless it says otherwise) as Unix time."""
    try:
        when = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO date (2024-01-31) or datetime"
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return int(when.timestamp())


class Command(BaseCommand):
    help = (
        "Mirror every object of the given Stripe models (default: all) from the "
        "Stripe API: parallel, resumable, and without missing the changes made "
        "while it runs."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "models",
            nargs="*",
            metavar="Model",
            help="Models to sync, e.g. Customer or djstripe.Customer (default: all).",
        )
        parser.add_argument(
            "--api-keys",
            nargs="+",
            metavar="KEY",
            help="Secret keys to sync with (default: the key of STRIPE_LIVE_MODE).",
        )
        parser.add_argument(
            "--since", type=timestamp, help="Only objects created at or after (ISO)."
        )
        parser.add_argument(
            "--until", type=timestamp, help="Only objects created before (ISO)."
        )
        parser.add_argument(
            "--workers",
            type=int,
            help="Types and ranges fetched at once (default: 4; 1 on SQLite).",
        )
        parser.add_argument(
            "--restart", action="store_true", help="Ignore checkpoints: start over."
        )
        parser.add_argument(
            "--fail-on-error",
            action="store_true",
            help="Stop at the first type that fails (any failure exits non-zero).",
        )
        accounts = parser.add_mutually_exclusive_group()
        accounts.add_argument(
            "--stripe-account",
            metavar="acct_...",
            help="Sync this connected account (its objects owned by it).",
        )
        accounts.add_argument(
            "--all-connected-accounts",
            action="store_true",
            help="After the platform, sync every connected account the key reaches.",
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="Periodic log lines instead of live progress lines.",
        )
        parser.add_argument(
            "--catch-up",
            action="store_true",
            help="Only replay the events created since the last sync.",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Compare the mirror with Stripe and report differences; write nothing.",
        )

    def handle(self, *args: str, **options: Any) -> None:
        model_names = options["models"]
        keys = options["api_keys"] or [djstripe_settings.STRIPE_SECRET_KEY]
        if not all(keys):
            raise CommandError(
                "No Stripe secret key: set STRIPE_TEST_SECRET_KEY / "
                "STRIPE_LIVE_SECRET_KEY or pass --api-keys."
            )
        try:
            models = resolve_models(model_names) if model_names else listable_models()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        failed: list[str] = []
        for key in keys:
            if len(keys) > 1:
                self.stdout.write(f"== {scope_for(key)}")
            try:
                if options["catch_up"]:
                    self._catch_up(key, options["stripe_account"])
                elif options["verify"]:
                    self._verify(key, models if model_names else None, options)
                else:
                    failed += self._backfill_accounts(key, models, options)
            except SyncAborted as exc:
                self._show_tracebacks([exc.__cause__], options)
                raise CommandError(str(exc)) from exc
        if failed:
            raise CommandError("; ".join(failed))

    def _backfill_accounts(
        self, key: str, models: list[Any], options: dict[str, Any]
    ) -> list[str]:
        """Back-fill the key's account (or ``--stripe-account``), then with
        ``--all-connected-accounts`` each connected account; return the
        summary line of each run that failed."""
        account = options["stripe_account"]
        reports = [(account, self._backfill(key, account, models, options))]
        if options["all_connected_accounts"]:
            connected = [m for m in models if m.__name__ != "Account"]
            for account in _connected_accounts(key):
                self.stdout.write(f"== {account}")
                report = self._backfill(key, account, connected, options)
                reports.append((account, report))
        return [
            f"{account}: {report.summary()}" if account else report.summary()
            for account, report in reports
            if report.errors
        ]

    def _backfill(
        self,
        key: str,
        stripe_account: str | None,
        models: list[Any],
        options: dict[str, Any],
    ) -> SyncReport:
        workers = options["workers"]
        if workers is None:
            workers = 1 if connection.vendor == "sqlite" else 4
        report = backfill(
            models,
            api_key=key,
            stripe_account=stripe_account,
            since=options["since"],
            until=options["until"],
            workers=max(1, workers),
            restart=options["restart"],
            fail_fast=options["fail_on_error"],
            progress=self._progress(options["no_progress"]),
        )
        self.stdout.write(report.table())
        for warning in report.warnings:
            self.stderr.write(warning)
        for stats in report.types.values():
            for message in stats.messages:
                self.stderr.write(f"{stats.name}: {message}")
            self._show_tracebacks(stats.exceptions, options)
        if not report.errors:
            self.stdout.write(report.summary())
        return report

    def _show_tracebacks(self, exceptions: list[Any], options: dict[str, Any]) -> None:
        if not (options.get("traceback") or options.get("verbosity", 1) >= 2):
            return
        for exc in exceptions:
            if exc is not None:
                self.stderr.write("".join(traceback.format_exception(exc)))

    def _progress(self, no_progress: bool) -> Progress:
        if not no_progress and self.stdout.isatty():
            return TerminalProgress(cast(TextIO, self.stdout))
        return LogProgress(self.stdout.write)

    def _catch_up(self, key: str, stripe_account: str | None) -> None:
        try:
            result = catch_up(api_key=key, stripe_account=stripe_account)
        except NoEventCursor as exc:
            raise CommandError(str(exc)) from exc
        for warning in result.warnings:
            self.stderr.write(warning)
        cursor = result.cursor.id if result.cursor else "-"
        self.stdout.write(
            f"Replayed {result.events} events in {result.requests} requests; "
            f"up to {cursor or '-'}."
        )

    def _verify(
        self, key: str, models: list[Any] | None, options: dict[str, Any]
    ) -> None:
        report = verify(
            models, api_key=key, since=options["since"], until=options["until"]
        )
        self.stdout.write(report.table())
        if not report.clean and options["fail_on_error"]:
            raise CommandError("The mirror differs from Stripe.")


def _connected_accounts(key: str) -> list[str]:
    """The ids of the accounts connected to the key's platform."""
    try:
        return [
            account["id"]
            for page in stripe_api.iter_pages("/v1/accounts", api_key=key)
            for account in page
        ]
    except stripe.StripeError as exc:
        raise CommandError(
            f"Cannot list the connected accounts: {short_reason(exc)}"
        ) from exc
