"""The metrics themselves, business counters counted on commit, and multiprocess mode.

Kept free of the app's modules so that the services (journal, stock ledger, login) can import
their counters without import cycles; ``erp.telemetry.metrics`` adds the request middleware,
the pool gauges and ``/metrics``.

Several workers share their figures through files in ``PROMETHEUS_MULTIPROC_DIR``
(prometheus_client's multiprocess mode, chosen when prometheus_client is first imported, so the
variable must be set before a worker starts: ``python -m erp serve`` does that, see
``metrics_directory``). Gauges say how they aggregate over workers (``multiprocess_mode``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics, multiprocess
from prometheus_client import values as prometheus_values
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# ``*_created`` series double the output and say nothing a restart does not say already.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Requests. Labels: route (template, "<unmatched>" for no route), method, status (class).
# 0.5 s is a bucket because the load gate is P95 < 500 ms.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HTTP_REQUESTS = Counter(
    "valeo_http_requests_total",
    "HTTP requests answered, by route template, method and status class",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "valeo_http_request_duration_seconds",
    "Time from the request reaching the app to its response being sent, in seconds",
    ["route", "method", "status"],
    buckets=DURATION_BUCKETS,
)
HTTP_EXCEPTIONS = Counter(
    "valeo_http_exceptions_total",
    "Requests that ended in an unhandled exception (answered 500 or cut off)",
    ["route", "method"],
)
HTTP_IN_PROGRESS = Gauge(
    "valeo_http_requests_in_progress",
    "HTTP requests being served now",
    multiprocess_mode="livesum",
)

# The database connection pool (fed by pool events, see erp.telemetry.metrics).
DB_CONNECTIONS_OPEN = Gauge(
    "valeo_db_pool_connections_open",
    "Database connections the pool holds open (idle or in use)",
    multiprocess_mode="livesum",
)
DB_CONNECTIONS_IN_USE = Gauge(
    "valeo_db_pool_connections_in_use",
    "Database connections checked out of the pool now",
    multiprocess_mode="livesum",
)

# Business counters: only what was committed (see ``count_on_commit``).
JOURNAL_POSTINGS = Counter(
    "valeo_journal_postings_total", "Journal entries posted (reversals included), committed"
)
STOCK_MOVEMENTS = Counter(
    "valeo_stock_movements_total", "Stock ledger movements, committed, by kind", ["kind"]
)
LOGIN_FAILURES = Counter(
    "valeo_login_failures_total",
    "Refused logins: invalid_credentials (a recorded failed attempt) or throttled (locked out)",
    ["reason"],
)

BUILD_INFO = Gauge(
    "valeo_build_info",
    "The running build: always 1, the facts are the labels",
    ["version", "commit", "python"],
    multiprocess_mode="livemax",
)


# ---------------------------------------------------------------------------------------------
# Counting on commit


_PENDING = "valeo.metrics.pending"


def count_on_commit(session: Session, counter: Counter, amount: float = 1.0) -> None:
    """Increment ``counter`` when the session's transaction commits; never if it rolls back.

    Savepoints count: an increment queued inside ``begin_nested()`` moves to the enclosing
    transaction when the savepoint is released and is dropped when it is rolled back.
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        raise RuntimeError("count_on_commit needs a transaction in progress")
    pending: dict[SessionTransaction, list[tuple[Counter, float]]] = session.info.setdefault(
        _PENDING, {}
    )
    pending.setdefault(transaction, []).append((counter, amount))


def _effective(transaction: SessionTransaction) -> SessionTransaction:
    """The savepoint or root transaction ``transaction`` belongs to (skips subtransactions)."""
    while transaction.parent is not None and not transaction.nested:
        transaction = transaction.parent
    return transaction


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    # Fired for the root commit and for every released savepoint, before either is closed.
    committed = session.get_nested_transaction() or session.get_transaction()
    queued = pending.pop(committed, None) if committed is not None else None
    if committed is None or not queued:
        return
    if committed.nested and committed.parent is not None:
        pending.setdefault(_effective(committed.parent), []).extend(queued)
        return
    for counter, amount in queued:
        counter.inc(amount)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # Housekeeping: a commit has counted or moved its increments already, so anything still
    # queued under an ended transaction was rolled back (and would never be counted anyway).
    pending = session.info.get(_PENDING)
    if pending:
        pending.pop(transaction, None)


# ---------------------------------------------------------------------------------------------
# Multiprocess mode


def is_multiprocess() -> bool:
    """Whether this process writes its metrics to files (decided at prometheus_client's import)."""
    return bool(getattr(prometheus_values.ValueClass, "_multiprocess", False))


def release_process_metrics() -> None:
    """At a worker's shutdown: drop its live gauges (in progress, pool) from the shared files."""
    if is_multiprocess() and os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def clear_stale_files(directory: Path) -> list[Path]:
    """Remove the metric files of earlier runs; this process's own (made at import) stay."""
    own = f"_{os.getpid()}.db"
    removed = []
    for path in directory.glob("*.db"):
        if not path.name.endswith(own):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextmanager
def metrics_directory(workers: int) -> Iterator[Path | None]:
    """The directory the workers share their metrics through, for the server's life.

    An operator's ``PROMETHEUS_MULTIPROC_DIR`` is used after removing the last run's files
    (their counters would be added to this run's). Without one and with several workers, a
    fresh temporary directory is set in the environment the workers inherit, and removed
    afterwards. One worker without the variable: plain in-process metrics (None).
    """
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        clear_stale_files(directory)
        yield directory
        return
    if workers <= 1:
        yield None
        return
    directory = Path(tempfile.mkdtemp(prefix="valeo-metrics-"))
    os.environ[MULTIPROC_ENV] = str(directory)
    try:
        yield directory
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)
