"""Telemetry: request context and JSON logs, Prometheus metrics, Sentry error tracking."""

from erp.telemetry.context import RequestContextMiddleware
from erp.telemetry.metrics_middleware import RequestMetricsMiddleware

# Every middleware the telemetry adds to the app (load.bench measures the ERP without them).
TELEMETRY_MIDDLEWARE: tuple[object, ...] = (RequestContextMiddleware, RequestMetricsMiddleware)
