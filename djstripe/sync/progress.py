"""Progress of a back-fill, for a person at a terminal or for a log.

:class:`TerminalProgress` keeps one line per type up to date in place
(objects, pages, rate, ETA); :class:`LogProgress` writes a line per type every
``interval`` seconds and when the type ends. Both are thread-safe: the types
of a back-fill advance from worker threads. No dependency beyond the standard
library.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO


@dataclass
class _Line:
    name: str
    expected: int | None = None
    objects: int = 0
    pages: int = 0
    started: float = 0.0
    last_logged: float = 0.0
    status: str = ""


def format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Progress:
    """Receives progress and shows nothing (the base of the others)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._lines: dict[str, _Line] = {}
        self._lock = threading.Lock()

    def start(self, name: str, expected: int | None = None) -> None:
        """``name`` begins; ``expected`` objects, if known (for the ETA)."""
        with self._lock:
            if name not in self._lines:
                now = self.clock()
                self._lines[name] = _Line(name, expected, started=now, last_logged=now)
            self._changed(self._lines[name], force=True)

    def advance(self, name: str, objects: int, pages: int = 1) -> None:
        with self._lock:
            line = self._lines.setdefault(name, _Line(name, started=self.clock()))
            line.objects += objects
            line.pages += pages
            self._changed(line, force=False)

    def finish(self, name: str, status: str = "done") -> None:
        with self._lock:
            line = self._lines.setdefault(name, _Line(name, started=self.clock()))
            line.status = status
            self._changed(line, force=True)

    def close(self) -> None:
        """The run is over."""

    def _changed(self, line: _Line, *, force: bool) -> None:
        pass

    def describe(self, line: _Line) -> str:
        elapsed = max(self.clock() - line.started, 1e-9)
        rate = line.objects / elapsed
        text = (
            f"{line.name:<24} {line.objects:>9,} objects {line.pages:>6,} pages "
            f"{rate:>8,.0f}/s"
        )
        if line.status:
            return f"{text}  {line.status} in {format_seconds(elapsed)}"
        if line.expected and rate > 0 and line.objects < line.expected:
            eta = (line.expected - line.objects) / rate
            return f"{text}  ETA {format_seconds(eta)}"
        return text


class LogProgress(Progress):
    """A line per type every ``interval`` seconds, and when it ends."""

    def __init__(
        self,
        write: Callable[[str], None],
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(clock)
        self.write = write
        self.interval = interval

    def _changed(self, line: _Line, *, force: bool) -> None:
        now = self.clock()
        if line.status or (not force and now - line.last_logged >= self.interval):
            line.last_logged = now
            self.write(self.describe(line))


class TerminalProgress(Progress):
    """One line per type, redrawn in place (ANSI cursor movement)."""

    def __init__(
        self,
        stream: TextIO,
        refresh: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(clock)
        self.stream = stream
        self.refresh = refresh
        self._drawn = 0
        self._last_draw = 0.0

    def _changed(self, line: _Line, *, force: bool) -> None:
        now = self.clock()
        if force or now - self._last_draw >= self.refresh:
            self._last_draw = now
            self._draw()

    def _draw(self) -> None:
        out = [f"\x1b[{self._drawn}F"] if self._drawn else []
        for line in self._lines.values():
            out.append(f"\x1b[2K{self.describe(line)}\n")
        self._drawn = len(self._lines)
        self.stream.write("".join(out))
        self.stream.flush()

    def close(self) -> None:
        with self._lock:
            self._draw()
