"""Prometheus metrics: ``GET /metrics``, the request middleware and the database pool gauges.

Requests are labelled by route template (``/api/v1/customers/{customer_id}``), method and
status class (``erp.telemetry.metrics_middleware``). The metric definitions, the business
counters and multiprocess mode live in ``erp.telemetry.metrics_core``.
"""

from __future__ import annotations

import platform
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry

from erp.build import VERSION, build_commit
from erp.db import Database
from erp.deps import public
from erp.telemetry.metrics_core import (
    BUILD_INFO,
    DB_CONNECTIONS_IN_USE,
    DB_CONNECTIONS_OPEN,
    is_multiprocess,
)
from erp.telemetry.metrics_middleware import RequestMetricsMiddleware

# ---------------------------------------------------------------------------------------------
# The database pool

_OPEN, _CHECKED_OUT = "valeo.metrics.open", "valeo.metrics.checked_out"


def _flags(record: ConnectionPoolEntry) -> dict[Any, Any]:
    # record_info lives as long as the pool's record (info is cleared on reconnects).
    return record.record_info if record.record_info is not None else {}


def _on_connect(_dbapi: Any, record: ConnectionPoolEntry) -> None:
    _flags(record)[_OPEN] = True
    DB_CONNECTIONS_OPEN.inc()


def _on_close(_dbapi: Any, record: ConnectionPoolEntry) -> None:
    if _flags(record).pop(_OPEN, False):
        DB_CONNECTIONS_OPEN.dec()


def _on_checkout(_dbapi: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    _flags(record)[_CHECKED_OUT] = True
    DB_CONNECTIONS_IN_USE.inc()


def _on_checkin(_dbapi: Any, record: ConnectionPoolEntry) -> None:
    if _flags(record).pop(_CHECKED_OUT, False):
        DB_CONNECTIONS_IN_USE.dec()


def _on_detach(dbapi: Any, record: ConnectionPoolEntry) -> None:
    # A detached connection leaves the pool for good (it is never checked in).
    _on_checkin(dbapi, record)
    _on_close(dbapi, record)


def watch_pool(database: Database) -> None:
    """Feed the pool gauges from the engine's pool events (they survive ``dispose``)."""
    engine = database.engine
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "close", _on_close)
    event.listen(engine, "checkout", _on_checkout)
    event.listen(engine, "checkin", _on_checkin)
    event.listen(engine, "detach", _on_detach)


# ---------------------------------------------------------------------------------------------
# GET /metrics

router = APIRouter(tags=["telemetry"], dependencies=[Depends(public)])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": "Prometheus text exposition format"}},
)
def metrics() -> Response:
    """Prometheus metrics of all workers: requests, database pool, business counters, build."""
    if is_multiprocess():
        registry = CollectorRegistry()
        # Reads every worker's files (live and dead: counters of a finished worker stay).
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def install_metrics(app: FastAPI, database: Database) -> None:
    """Add ``/metrics``, the request metrics middleware and the database pool gauges."""
    settings = app.state.services.settings
    BUILD_INFO.labels(
        version=VERSION, commit=build_commit(settings.commit), python=platform.python_version()
    ).set(1)
    watch_pool(database)
    app.include_router(router)
    app.add_middleware(RequestMetricsMiddleware)
