"""Replay Stripe events: failed webhooks, chosen ids, or everything since a date;
or, with ``--follow``, work as a worker that processes stored webhook
requests in batches as they arrive (see :mod:`djstripe.webhooks.drain`).

Processing is idempotent: an event already applied is mirrored again behind
the staleness gate (a no-op when nothing is newer) and its handlers do not run
again unless ``--force`` is given. Only webhook requests that passed
verification are ever read; each failure is reported and the exit is non-zero.
"""

from __future__ import annotations

import datetime
import signal
import threading
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ... import stripe_api
from ...exceptions import NotVerifiedError, ProcessingError
from ...models import Event, WebhookEventTrigger
from ...settings import djstripe_settings
from ...webhooks.drain import DrainReport, drain
from ...webhooks.processing import apply_event


def parse_since(value: str) -> int:
    """A Unix timestamp, an ISO date or datetime, or ``<n>d`` / ``<n>h`` ago."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    if value[:-1].isdigit() and value[-1:] in ("d", "h"):
        unit = "days" if value[-1] == "d" else "hours"
        return int(
            (timezone.now() - datetime.timedelta(**{unit: int(value[:-1])})).timestamp()
        )
    moment = parse_datetime(value)
    if moment is None and (day := parse_date(value)) is not None:
        moment = datetime.datetime.combine(day, datetime.time())
    if moment is None:
        raise CommandError(f"--since: cannot read {value!r} as a date or timestamp.")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp())


class Command(BaseCommand):
    help = (
        "Process Stripe events again: --failed webhook deliveries, --ids, or every "
        "event --since a date (read from Stripe's Events API). Filter with --type."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--failed",
            action="store_true",
            help="Valid webhook deliveries that were not processed (failed or lost).",
        )
        parser.add_argument("--ids", nargs="+", default=[], metavar="EVT_ID")
        parser.add_argument(
            "--type",
            action="append",
            default=[],
            dest="types",
            metavar="PATTERN",
            help="Only events whose type matches (wildcards: 'invoice.*'); repeatable.",
        )
        parser.add_argument(
            "--since",
            help="Read events created since then from Stripe: timestamp, ISO date, 7d, 12h.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run handlers again for events that were already processed.",
        )
        parser.add_argument("--api-key", default=None)
        worker = parser.add_argument_group(
            "worker", "Process stored webhook requests as they arrive, in batches."
        )
        worker.add_argument(
            "--follow",
            action="store_true",
            help="Keep processing waiting webhook requests until SIGINT/SIGTERM.",
        )
        worker.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Requests per batch (default: DJSTRIPE_WEBHOOK_BATCH_SIZE, at least 100).",
        )
        worker.add_argument(
            "--once",
            action="store_true",
            help="With --follow: exit as soon as nothing is waiting.",
        )
        worker.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="With --follow: seconds to wait when nothing is waiting (default 1).",
        )

    def handle(
        self,
        *args: Any,
        failed: bool,
        ids: list[str],
        types: list[str],
        since: str | None,
        force: bool,
        api_key: str | None,
        **options: Any,
    ) -> None:
        if options.get("follow"):
            if failed or ids or since:
                raise CommandError(
                    "--follow processes new requests only: drop --failed, --ids, --since."
                )
            return self._follow(
                options["batch_size"], options["once"], options["interval"]
            )
        if not (failed or ids or since):
            raise CommandError(
                "Say what to process: --failed, --ids or --since (or --follow)."
            )
        self.types = types
        self.counts = {
            "processed": 0,
            "already processed": 0,
            "refused": 0,
            "failed": 0,
        }
        jobs: list[tuple[str, dict[str, Any] | WebhookEventTrigger]] = []
        if failed:
            jobs += [(t.event_type, t) for t in self._failed_triggers()]
        if ids:
            jobs += [(e["type"], e) for e in self._events_by_id(ids, api_key)]
        if since:
            jobs += [
                (e["type"], e) for e in self._events_since(parse_since(since), api_key)
            ]
        jobs = [job for job in jobs if self._wanted(job[0])]

        total = len(jobs)
        self.stdout.write(f"{total} event(s) to process.")
        for number, (_, job) in enumerate(jobs, 1):
            self._run(number, total, job, force, api_key)
        summary = ", ".join(f"{n} {label}" for label, n in self.counts.items())
        self.stdout.write(f"Done: {summary}.")
        failures = self.counts["failed"] + self.counts["refused"]
        if failures:
            raise CommandError(f"{failures} event(s) failed; see above.")

    # -- Following -------------------------------------------------------------

    def _follow(self, batch_size: int | None, once: bool, interval: float) -> None:
        """Drain batches until stopped (or, with ``once``, until none waits)."""
        size = batch_size or max(djstripe_settings.WEBHOOK_BATCH_SIZE, 100)
        if size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        stop = threading.Event()
        # Finish the batch at hand, then exit (handlers live in the main thread).
        previous = {}
        if threading.current_thread() is threading.main_thread():
            previous = {
                sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)
            }
        totals = DrainReport()
        try:
            while not stop.is_set():
                report = drain(size)
                totals.claimed += report.claimed
                totals.processed += report.processed
                totals.failed += report.failed
                for trigger_id in report.failed:
                    self.stderr.write(
                        f"Webhook request {trigger_id} failed (recorded)."
                    )
                if report.claimed:
                    self.stdout.write(
                        f"{report.processed} processed ({report.batched} together), "
                        f"{len(report.failed)} failed"
                    )
                elif once:
                    break
                else:
                    stop.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(
            f"Stopped: {totals.processed} processed, {len(totals.failed)} failed."
        )
        if totals.failed:
            raise CommandError(
                f"{len(totals.failed)} request(s) failed; replay them with --failed."
            )

    # -- Selecting -------------------------------------------------------------

    def _wanted(self, event_type: str) -> bool:
        return not self.types or any(
            fnmatchcase(event_type or "", p) for p in self.types
        )

    def _failed_triggers(self) -> Iterable[WebhookEventTrigger]:
        triggers = WebhookEventTrigger.objects.filter(valid=True, processed=False)
        # One delivery per event: the latest, and none for events applied since.
        done = set(
            WebhookEventTrigger.objects.filter(processed=True).values_list(
                "event_id", flat=True
            )
        )
        latest: dict[str, WebhookEventTrigger] = {}
        for trigger in triggers.order_by("created", "id"):
            if trigger.event_id not in done:
                latest[trigger.event_id or f"trigger-{trigger.pk}"] = trigger
        return list(latest.values())

    def _events_by_id(
        self, ids: list[str], api_key: str | None
    ) -> Iterator[dict[str, Any]]:
        stored = {e.id: e.stripe_data for e in Event.objects.filter(id__in=ids)}
        for event_id in ids:
            if event_id in stored:
                yield stored[event_id]
                continue
            trigger = (
                WebhookEventTrigger.objects.filter(event_id=event_id, valid=True)
                .order_by("-created")
                .first()
            )
            if trigger is not None and isinstance(trigger.json_body, dict):
                yield trigger.json_body
            else:
                yield stripe_api.retrieve("/v1/events", event_id, api_key=api_key)

    def _events_since(self, since: int, api_key: str | None) -> list[dict[str, Any]]:
        self.stdout.write(f"Reading events since {since} from Stripe...")
        events: list[dict[str, Any]] = []
        for page in stripe_api.iter_pages(
            "/v1/events", {"created[gte]": since}, api_key=api_key
        ):
            events.extend(page)
            self.stdout.write(f"  {len(events)} event(s) read")
        # Stripe lists newest first; apply in the order things happened.
        return sorted(events, key=lambda e: (e["created"], e["id"]))

    # -- Processing --------------------------------------------------------------

    def _run(
        self,
        number: int,
        total: int,
        job: dict[str, Any] | WebhookEventTrigger,
        force: bool,
        api_key: str | None,
    ) -> None:
        if isinstance(job, WebhookEventTrigger):
            label = f"{job.event_id or 'trigger ' + str(job.pk)} {job.event_type}"
        else:
            label = f"{job['id']} {job['type']}"
        try:
            if isinstance(job, WebhookEventTrigger):
                result = job.process(force=force)
            else:
                result = apply_event(job, api_key, force=force)
        except NotVerifiedError as exc:  # reported, and the others go on
            ok, error, outcome = False, str(exc), "refused"
        except ProcessingError as exc:
            ok, error, outcome = False, str(exc), "failed"
        else:
            ok, error = True, ""
            outcome = "processed" if result.new or force else "already processed"
        self.counts[outcome] += 1
        line = f"[{number}/{total}] {label}: {outcome}"
        if ok:
            self.stdout.write(line)
        else:
            self.stderr.write(f"{line}: {error}")
