"""What a back-fill did: per type and per parent-scoped list, and in total.

:class:`SyncReport` is what :func:`djstripe.sync.backfill.backfill` returns;
the command prints its :meth:`~SyncReport.table` and ends with its
:meth:`~SyncReport.summary`, one line that says whether anything failed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import stripe

from ..exceptions import DjstripeError
from .events import ReplayResult


class SyncAborted(DjstripeError):
    """Stripe cannot be used at all (unreachable, or the key refused): the
    whole back-fill stopped. The message is one line naming the API base,
    the key's mode and the cause; ``report`` holds what was done before."""

    def __init__(self, message: str, report: SyncReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class TypeStats:
    """What the back-fill of one type, or of one parent-scoped list, did
    (all its ranges or parents together)."""

    name: str
    fetched: int = 0
    written: int = 0
    unchanged: int = 0
    errors: int = 0
    pages: int = 0
    requests: int = 0
    resumed: bool = False
    skipped: str = ""
    messages: list[str] = field(default_factory=list)
    #: The exceptions behind ``messages``, for ``--traceback``.
    exceptions: list[BaseException] = field(default_factory=list, repr=False)
    started: float | None = None
    finished: float | None = None
    ranges_left: int = 0
    #: Objects expected, from the mirror's count of earlier runs (for the ETA).
    expected: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def status(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        if self.errors:
            return "error"
        if self.ranges_left:
            return "stopped"
        return "resumed" if self.resumed else "done"

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def begin(self) -> None:
        with self._lock:
            if self.started is None:
                self.started = time.monotonic()

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            self.errors += 1
            self.messages.append(f"{type(exc).__name__}: {exc}")
            self.exceptions.append(exc)

    def skip(self, reason: str) -> None:
        with self._lock:
            self.skipped = reason
            self.ranges_left = 0

    @property
    def reason(self) -> str:
        """Why it failed, in a few words (``401 invalid API key``)."""
        if not self.exceptions:
            return "stopped"
        return short_reason(self.exceptions[-1])


def short_reason(exc: BaseException) -> str:
    """``500 An unknown error occurred``: a status and the first words."""
    status = getattr(exc, "http_status", None)
    if isinstance(exc, stripe.StripeError):
        text = (exc.user_message or "").strip() or type(exc).__name__
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = text.splitlines()[0] if text else type(exc).__name__
    if len(text) > 60:
        text = text[:57].rstrip() + "..."
    return f"{status} {text}" if status else text


@dataclass
class SyncReport:
    """The outcome of a back-fill: per type, per parent-scoped list, of the
    event replay, and the Stripe requests it cost."""

    types: dict[str, TypeStats] = field(default_factory=dict)
    replay: ReplayResult | None = None
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0

    @property
    def errors(self) -> int:
        return sum(stats.errors for stats in self.types.values())

    @property
    def failed(self) -> list[TypeStats]:
        return [stats for stats in self.types.values() if stats.errors]

    def table(self) -> str:
        """The end-of-run table: fetched, written, unchanged, errors, seconds."""
        header = (
            f"{'type':<34} {'fetched':>9} {'written':>9} {'unchanged':>9} "
            f"{'errors':>6} {'seconds':>8}  status"
        )
        lines = [header, "-" * len(header)]
        for stats in self.types.values():
            lines.append(
                f"{stats.name:<34} {stats.fetched:>9,} {stats.written:>9,} "
                f"{stats.unchanged:>9,} {stats.errors:>6} {stats.seconds:>8.1f}  "
                f"{stats.status}"
            )
        if self.replay is not None:
            lines.append(
                f"{'(events replayed)':<34} {self.replay.events:>9,} "
                f"{'':>9} {'':>9} {'':>6} {'':>8}  "
                f"up to {self.replay.cursor.id if self.replay.cursor else '-'}"
            )
        return "\n".join(lines)

    def summary(self) -> str:
        """One line: what failed (``2 of 33 types failed: Customer (401
        invalid API key), ...``), or what was done; and the requests."""
        total = len(self.types)
        cost = (
            f"{self.requests:,} requests, {self.retries:,} retries, "
            f"{self.rate_limited:,} rate-limited (429)"
        )
        failed = self.failed
        if failed:
            names = ", ".join(f"{s.name} ({s.reason})" for s in failed)
            return f"{len(failed)} of {total} types failed: {names}; {cost}."
        fetched = sum(s.fetched for s in self.types.values())
        return f"{total} types synced, {fetched:,} objects; {cost}."

    def merge(self, other: SyncReport, prefix: str = "") -> None:
        """Add ``other``'s rows (named ``prefix + name``) and counts."""
        for name, stats in other.types.items():
            stats.name = f"{prefix}{name}"
            self.types[stats.name] = stats
        self.warnings += other.warnings
        self.requests += other.requests
        self.retries += other.retries
        self.rate_limited += other.rate_limited
