"""The application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from erp import __version__, heap
from erp.auth.passwords import PasswordHasher
from erp.auth.router import router as auth_router
from erp.cache import build_cache
from erp.config import Settings
from erp.crm.pipeline_router import router as pipeline_router
from erp.crm.router import router as crm_router
from erp.db import Database
from erp.deps import WRITE_GATE, Services
from erp.errors import install_problem_handlers
from erp.faults import FaultMiddleware, parse_faults
from erp.fibu.report_router import router as fibu_report_router
from erp.fibu.router import router as fibu_router
from erp.fibu.tax_router import router as fibu_tax_router
from erp.health import router as health_router
from erp.logs import configure_logging
from erp.openapi import install_openapi, operation_id
from erp.purchasing.router import router as purchasing_router
from erp.routes import flatten, index_routes
from erp.sales.router import router as sales_router
from erp.stock.router import router as stock_router
from erp.telemetry.context import RequestContextMiddleware
from erp.telemetry.metrics import install_metrics
from erp.telemetry.metrics_core import release_process_metrics
from erp.telemetry.sentry import close_sentry, init_sentry
from erp.web import admin as web_admin
from erp.web import crm as web_crm
from erp.web import fibu as web_fibu
from erp.web import fibu_periods as web_fibu_periods
from erp.web import fibu_reports as web_fibu_reports
from erp.web import pages as web_pages
from erp.web import purchasing as web_purchasing
from erp.web import purchasing_invoices as web_purchasing_invoices
from erp.web import sales as web_sales
from erp.web import sales_invoices as web_sales_invoices
from erp.web import stock as web_stock
from erp.web.errors import render_problem_page

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    router.include_router(auth_router)
    router.include_router(crm_router)
    router.include_router(pipeline_router)
    router.include_router(fibu_router)
    router.include_router(fibu_report_router)
    router.include_router(fibu_tax_router)
    router.include_router(stock_router)
    router.include_router(purchasing_router)
    router.include_router(sales_router)
    return router


def build_services(settings: Settings) -> Services:
    """What the app holds for its life: settings, database, password hasher, figure cache."""
    return Services(
        settings=settings,
        database=Database(settings.effective_database_url),
        hasher=PasswordHasher(
            memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost
        ),
        cache=build_cache(settings.redis_url, settings.cache_mb),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ERP: API under /api/v1, web pages at /, health under /health."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)
    init_sentry(settings)  # before the app is built: the SDK hooks into Starlette's classes

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.services.database.is_sqlite:
            setattr(app.state, WRITE_GATE, asyncio.Lock())  # erp.deps.get_db
        yield
        # Requests in flight have finished (or the graceful timeout ran out): no transaction
        # is open any more when the pool closes its connections.
        app.state.services.database.dispose()
        log.info("database pool disposed", extra={"event": "shutdown"})
        release_process_metrics()  # this worker's live gauges leave the shared metrics
        close_sentry()  # send what is queued before the worker exits

    app = FastAPI(
        title="Valeo ERP",
        version=__version__,
        description="CRM, FIBU (SKR03) and Warenwirtschaft. Errors are RFC 9457 problem details.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
    )
    app.state.services = build_services(settings)
    install_problem_handlers(app, html_renderer=render_problem_page)
    app.include_router(api_router())
    app.include_router(health_router)
    app.include_router(web_pages.router)
    app.include_router(web_admin.router)
    app.include_router(web_crm.router)
    app.include_router(web_fibu.router)
    app.include_router(web_fibu_periods.router)
    app.include_router(web_fibu_reports.router)
    app.include_router(web_stock.router)
    app.include_router(web_purchasing.router)
    app.include_router(web_purchasing_invoices.router)
    app.include_router(web_sales.router)
    app.include_router(web_sales_invoices.router)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )
    install_metrics(app, app.state.services.database)
    flatten(app)
    install_openapi(app)
    index_routes(app)
    if settings.faults:  # Settings allow this only in the test environment
        app.add_middleware(FaultMiddleware, faults=parse_faults(settings.faults))
    # Outermost: the request id, the access log line and the duration cover everything inside.
    app.add_middleware(RequestContextMiddleware)
    return app


def create_server_app() -> FastAPI:
    """The app as ``python -m erp serve`` runs it, in each worker: ``create_app`` in a
    process that lives for hours, so its start-up heap is settled (erp.heap)."""
    app = create_app()
    heap.settle()
    return app
