"""The request metrics middleware: every HTTP request counted and timed.

Labels: the route template (``/api/v1/customers/{customer_id}``), method and status class,
so the number of series stays bounded: a path no route matches is the one label value
``<unmatched>``, static files are ``/static/{path}``, an unknown method is ``OTHER``. Free of
the app's modules (``erp.telemetry`` lists it without an import cycle).
"""

from __future__ import annotations

from time import perf_counter

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erp.telemetry.context import route_template
from erp.telemetry.metrics_core import (
    HTTP_DURATION,
    HTTP_EXCEPTIONS,
    HTTP_IN_PROGRESS,
    HTTP_REQUESTS,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}

# (route, method, status class) -> the counter and histogram children: ``.labels()`` takes a
# lock and builds a key on every call, a dict lookup does not.
_children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
_exception_children: dict[tuple[str, str], Counter] = {}


def _route_and_method(scope: Scope, root_path: str) -> tuple[str, str]:
    # The same route label as the request log line: the template, "/static/{path}" for the
    # mount, "<unmatched>" for any path no route matches.
    method: str = scope["method"]
    return route_template(scope, root_path), (method if method in METHODS else "OTHER")


def _record(scope: Scope, root_path: str, status: int, seconds: float) -> None:
    route, method = _route_and_method(scope, root_path)
    key = (route, method, STATUS_CLASSES.get(status // 100, "5xx"))
    children = _children.get(key)
    if children is None:
        children = _children[key] = (HTTP_REQUESTS.labels(*key), HTTP_DURATION.labels(*key))
    children[0].inc()
    children[1].observe(seconds)


def _record_exception(scope: Scope, root_path: str) -> None:
    key = _route_and_method(scope, root_path)
    child = _exception_children.get(key)
    if child is None:
        child = _exception_children[key] = HTTP_EXCEPTIONS.labels(*key)
    child.inc()


class RequestMetricsMiddleware:
    """Pure ASGI: counts and times every HTTP request by route template, method and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        root_path = scope.get("root_path", "")  # before routing: a mount extends it
        HTTP_IN_PROGRESS.inc()
        start = perf_counter()
        try:
            await self.app(scope, receive, send_and_note_status)
        except BaseException:
            # Escaping exceptions become a 500 (or a cut connection) further out.
            _record(scope, root_path, 500, perf_counter() - start)
            _record_exception(scope, root_path)
            raise
        else:
            # No response at all is a server error too (the server answers 500).
            _record(scope, root_path, status or 500, perf_counter() - start)
        finally:
            HTTP_IN_PROGRESS.dec()
