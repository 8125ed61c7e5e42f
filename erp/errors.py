"""RFC 9457 problem details: the one error format of the API.

Services raise ``DomainError`` subclasses, one per business rule; the handlers here turn
those, HTTP errors and validation errors into ``application/problem+json`` bodies. Web
pages get HTML instead (see ``erp.web.errors``).
"""

from __future__ import annotations

import logging
import math
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from erp.logs import request_id_var
from erp.routes import allowed_methods

log = logging.getLogger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://valeo.dev/problems/"
BEARER_CHALLENGE = 'Bearer realm="valeo"'


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the error is: body, query, path, then names")
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = "about:blank"
    title: str
    status: int = Field(ge=400, le=599)
    detail: str | None = None
    errors: list[FieldError] | None = None


class DomainError(Exception):
    """A business rule was violated. Subclasses name the rule."""

    status: ClassVar[int] = 409
    title: ClassVar[str] = "Conflict"
    slug: ClassVar[str] = "conflict"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def headers(self) -> dict[str, str]:
        return {}


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class Unauthorized(DomainError):
    status, title, slug = 401, "Authentication required", "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": BEARER_CHALLENGE}


class Forbidden(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"


class DatabaseUnavailable(DomainError):
    """The database did not answer in time: down, restarting, or a lock held too long."""

    status, title, slug = 503, "Database unavailable", "database-unavailable"
    RETRY_AFTER_SECONDS = 5

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.RETRY_AFTER_SECONDS)}


class TooManyRequests(DomainError):
    status, title, slug = 429, "Too many requests", "too-many-requests"

    def __init__(self, detail: str, retry_after_seconds: float) -> None:
        super().__init__(detail)
        self.retry_after = max(1, math.ceil(retry_after_seconds))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def domain_problem(exc: DomainError) -> Problem:
    return Problem(
        type=PROBLEM_BASE + exc.slug, title=exc.title, status=exc.status, detail=exc.detail
    )


def http_problem(status: int, detail: str | None) -> Problem:
    from http import HTTPStatus

    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return Problem(title=title, status=status, detail=detail if detail != title else None)


def validation_problem(exc: RequestValidationError) -> Problem:
    # The offending input is deliberately left out: it may be a password.
    errors = [
        FieldError(
            loc=[str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
            msg=str(e.get("msg", "")),
            type=str(e.get("type", "")),
        )
        for e in exc.errors()
    ]
    return Problem(
        type=PROBLEM_BASE + "validation-error",
        title="Unprocessable content",
        status=422,
        detail="The request has invalid fields; see errors.",
        errors=errors,
    )


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install_problem_handlers(app: FastAPI, html_renderer: Any | None = None) -> None:
    """Register the handlers; ``html_renderer(request, problem, headers)`` serves non-API paths."""

    def respond(request: Request, problem: Problem, headers: dict[str, str] | None) -> Response:
        if html_renderer is not None and not is_api_request(request):
            return html_renderer(request, problem, headers)  # type: ignore[no-any-return]
        return problem_response(problem, headers)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return respond(request, domain_problem(exc), exc.headers())

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(app.router.routes, request.url.path))
        if exc.status_code == 401:
            headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
        return respond(request, http_problem(exc.status_code, exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return respond(request, validation_problem(exc), None)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database(request: Request, exc: Exception) -> Response:
        # Connection refused or lost, statement or lock timeout, pool exhausted: the request
        # failed fast and rolled back; nothing half-written. The driver's message is left
        # out (it may quote SQL); its class says which it was.
        cause = type(getattr(exc, "orig", None) or exc).__name__
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, cause)
        problem = DatabaseUnavailable(
            "The database did not answer in time; nothing was changed. Try again shortly."
        )
        return respond(request, domain_problem(problem), problem.headers())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # Starlette answers this one outside the app's middleware: name the request here.
        request_id = request_id_var.get()
        headers = {"X-Request-ID": request_id} if request_id else None
        return respond(request, http_problem(500, "An unexpected error occurred."), headers)
