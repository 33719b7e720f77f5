"""Counting what a block of code costs: queries, Stripe requests, time, memory."""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass, field

from django.db import connection

from djstripe import stripe_api

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class Cost:
    queries: int = 0
    #: BEGIN / COMMIT / SAVEPOINT statements, counted apart: SQLite issues an
    #: explicit BEGIN where PostgreSQL's driver does not.
    transaction_statements: int = 0
    requests: int = 0
    seconds: float = 0.0
    peak_mib: float = 0.0
    requests_by_endpoint: dict[str, int] = field(default_factory=dict)


class measure:
    """``with measure() as cost: ...`` fills ``cost`` when the block ends.

    Queries (data statements; transaction control is counted apart) are
    counted with a connection wrapper, not stored (Django's
    ``CaptureQueriesContext`` keeps every statement, which would itself cost
    memory in a 100k-object run). ``memory=True`` traces allocations: the
    peak is what the block needed beyond what was allocated before it.
    """

    def __init__(self, *, memory: bool = False):
        self.cost = Cost()
        self.memory = memory

    def _count(self, execute, sql, params, many, context):
        if sql.lstrip()[:9].upper().startswith(_TRANSACTION_CONTROL):
            self.cost.transaction_statements += 1
        else:
            self.cost.queries += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> Cost:
        self._wrapper = connection.execute_wrapper(self._count)
        self._wrapper.__enter__()
        self._requests = stripe_api.counter.counting()
        self._block = self._requests.__enter__()
        if self.memory:
            tracemalloc.start()
            self._base = tracemalloc.get_traced_memory()[0]
        self._start = time.perf_counter()
        return self.cost

    def __exit__(self, *exc) -> None:
        self.cost.seconds = time.perf_counter() - self._start
        if self.memory:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            self.cost.peak_mib = (peak - self._base) / 2**20
        self._requests.__exit__(*exc)
        self._wrapper.__exit__(*exc)
        self.cost.requests = self._block.total
        self.cost.requests_by_endpoint = dict(self._block.by_endpoint)
