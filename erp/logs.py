"""Logging set-up: JSON lines (or text for people), each carrying the request it serves.

Request bodies, headers, cookies and query strings are never logged; fields whose names
suggest a secret are redacted should a caller ever pass one as ``extra``.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = ("levelname", "name", "message")
SECRET_FIELD = re.compile(r"password|token|secret|cookie|authorization|csrf", re.IGNORECASE)
REDACTED = "[redacted]"

# The request being served by this task or thread; read by the log filter for every record.
# Starlette runs sync endpoints in worker threads with a copy of the context, so lines
# written there carry it too.
request_id_var: ContextVar[str | None] = ContextVar("valeo_request_id", default=None)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class ValeoJsonFormatter(JsonFormatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, extras."""

    def __init__(self) -> None:
        super().__init__(
            JSON_FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        log_data.pop("color_message", None)  # uvicorn's copy of the message with ANSI colours
        for key in list(log_data):
            if SECRET_FIELD.search(key):
                log_data[key] = REDACTED


def log_handler(stream: TextIO | None = None, log_format: str = "json") -> logging.Handler:
    """A handler in the app's format, with the request id on every record."""
    handler = logging.StreamHandler(stream)
    formatter = ValeoJsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(level: str, log_format: str = "json") -> None:
    """Route every logger, uvicorn's included, through one handler on the root logger."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_valeo", False)]:
        root.removeHandler(handler)
    handler = log_handler(None, log_format)
    handler._valeo = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's loggers get our handler through the root; its access log is replaced by
    # the request line of erp.telemetry.context (which knows the route and the user).
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # Alembic announces its context on every readiness check (erp.health reads the revision).
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
