"""Sentry error tracking: the Python SDK for the server, the browser SDK for the pages.

Off unless ``VALEO_SENTRY_DSN`` is set. Every event passes ``scrub_event`` before it leaves
the process: values under names that look like credentials (password, token, secret,
cookie, session, CSRF, authorization, API key …) become ``[Filtered]``, anywhere in the
event, and so do bearer/basic credentials and ``name=value`` pairs with such names inside
strings (query strings, URLs, log messages). Frame local variables are not collected at all:
a login handler's locals hold the password, and a ``repr`` cannot be scrubbed reliably.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from erp.build import release
from erp.config import Settings
from erp.logs import request_id_var

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

FILTERED = "[Filtered]"
# A name is sensitive when, lower-cased with "-" as "_", it contains one of these.
SENSITIVE_NAME_PARTS = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "auth",  # authorization, proxy-authorization, x-sentry-auth, auth_code …
    "cookie",
    "session",
    "csrf",
    "xsrf",
    "api_key",
    "apikey",
    "private_key",
    "credential",
    "dsn",
)
# Parts of an event that hold no user data: package names, the SDK's own info, source lines
# (scrubbing code would only garble it; what is in the repository is no secret of a user's).
_SKIPPED_KEYS = frozenset(
    {"modules", "sdk", "debug_meta", "pre_context", "context_line", "post_context"}
)
# Loggers whose error lines repeat an unhandled error the Starlette integration reports
# itself (mechanism "starlette", handled: false). As events they would be duplicates, and
# as the first to arrive they would win the SDK's deduplication.
DUPLICATE_LOGGERS = ("erp.errors", "erp.request")
# "Bearer <token>" (any case), "Basic <base64>"; and name=value, name: value, "name": "value".
_CREDENTIAL = re.compile(r"\b((?i:bearer)|Basic)(\s+)[A-Za-z0-9._~+/=-]{6,}")
_NAME = "|".join(re.escape(part) for part in SENSITIVE_NAME_PARTS)
_PAIR = re.compile(rf"(?i)([\w.\[\]-]*(?:{_NAME})[\w.\[\]-]*[\"']?\s*[=:]\s*[\"']?)([^&;,\s\"']+)")

_T = TypeVar("_T")


def is_sensitive(name: str) -> bool:
    key = name.lower().replace("-", "_")
    return any(part in key for part in SENSITIVE_NAME_PARTS)


def scrub_text(text: str) -> str:
    """Credentials inside a string: ``Bearer abc`` and ``password=abc`` lose their values."""
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}{FILTERED}", text)
    return _PAIR.sub(lambda m: f"{m.group(1)}{FILTERED}", text)


def scrub_value(value: _T) -> _T:
    """A copy of ``value`` with every sensitive mapping entry and string credential filtered."""
    if isinstance(value, str):
        return scrub_text(value)  # type: ignore[return-value]
    if isinstance(value, Mapping):
        return {  # type: ignore[return-value]
            key: _scrub_entry(key, item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_value(item) for item in value]  # type: ignore[return-value]
    return value


def _scrub_entry(key: object, value: object) -> object:
    if not isinstance(key, str) or key in _SKIPPED_KEYS:
        return value
    if is_sensitive(key) and value not in (None, ""):
        return FILTERED
    return scrub_value(value)


def scrub_event(event: Event, _hint: Hint) -> Event:
    """``before_send`` (and ``before_send_transaction``): the event, scrubbed."""
    scrubbed: dict[str, Any] = scrub_value(dict(event))
    for frame_holder in _frames(scrubbed):
        frame_holder.pop("vars", None)  # in case local variables were turned on elsewhere
    return scrubbed  # type: ignore[return-value]


def before_send(event: Event, hint: Hint) -> Event:
    """Tag the request id (the same as in the log lines and ``X-Request-ID``), then scrub."""
    request_id = request_id_var.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return scrub_event(event, hint)


def _frames(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    for group in ("exception", "threads"):
        container = event.get(group)
        values = container.get("values", []) if isinstance(container, Mapping) else []
        for value in values if isinstance(values, list) else []:
            stacktrace = value.get("stacktrace") if isinstance(value, Mapping) else None
            if isinstance(stacktrace, Mapping) and isinstance(stacktrace.get("frames"), list):
                frames.extend(f for f in stacktrace["frames"] if isinstance(f, dict))
    return frames


def init_sentry(settings: Settings) -> None:
    """Start the Sentry SDK when a DSN is configured; else nothing."""
    if not settings.sentry_dsn:
        return
    # Imported only when configured: the SDK and its integrations cost each worker ~0.2 s of
    # start-up, which a worker restarted after a crash makes its users wait for.
    import sentry_sdk
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.logging import ignore_logger
    from sentry_sdk.integrations.starlette import StarletteIntegration

    for name in DUPLICATE_LOGGERS:
        ignore_logger(name)
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=sentry_environment(settings),
        release=sentry_release(settings),
        sample_rate=settings.sentry_sample_rate,
        traces_sample_rate=settings.sentry_traces_sample_rate,
        # What the integrations collect (supersedes the deprecated send_default_pii): no
        # user identity, no cookies, no frame locals, no SQL parameters; headers, bodies
        # and query strings with every sensitive-looking name filtered by the SDK.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "denylist", "terms": ["forwarded", "-ip"]}},
            "http_bodies": ["incoming_request"],
            "url_query_params": {"mode": "denylist"},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="medium",
        before_send=before_send,
        before_send_transaction=before_send,
        integrations=[
            StarletteIntegration(transaction_style="url"),
            FastApiIntegration(transaction_style="url"),
        ],
    )


def sentry_environment(settings: Settings) -> str:
    return settings.sentry_environment or settings.environment.value


def sentry_release(settings: Settings) -> str:
    return settings.sentry_release or release(settings.commit)


def browser_config(settings: Settings) -> dict[str, str] | None:
    """What the pages' browser SDK needs, or None when error tracking is off."""
    dsn = settings.sentry_browser_dsn or settings.sentry_dsn
    if not dsn:
        return None
    return {
        "dsn": dsn,
        "environment": sentry_environment(settings),
        "release": sentry_release(settings),
        "sample_rate": f"{settings.sentry_sample_rate:g}",
    }


def close_sentry(timeout: float = 2.0) -> None:
    """Send what is queued (up to ``timeout`` s) and stop the SDK; later events go nowhere."""
    if "sentry_sdk" not in sys.modules:
        return  # never started in this process
    import sentry_sdk

    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=timeout)
    sentry_sdk.get_global_scope().set_client(None)
