"""The published OpenAPI schema: every operation declares the problems it can answer.

FastAPI documents only the success code and its own 422 shape; Schemathesis (and any client
generator) needs the truth, so the schema is completed from each route's declarations:
a body may be malformed (400) or invalid (422), a path id may not exist (404), an access
declaration implies 401 and, with roles, 403. Routes add their business conflicts (409, 429).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext
from pydantic.json_schema import models_json_schema

from erp.deps import AccessRule, get_db, public
from erp.errors import PROBLEM_MEDIA_TYPE, Problem
from erp.routes import endpoint_routes

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
DESCRIPTIONS = {
    400: "Malformed request body",
    401: "Missing, invalid or expired bearer token",
    403: "The caller lacks the role this operation needs",
    404: "No such record",
    409: "The request conflicts with the record's state or a business rule",
    422: "The request has invalid fields",
    429: "Too many attempts; see Retry-After",
    503: "The database did not answer in time; nothing was changed. See Retry-After",
}


def operation_id(route: APIRoute) -> str:
    """camelCase of the endpoint function's name: stable across refactors of paths."""
    head, *rest = route.name.split("_")
    return head + "".join(part.title() for part in rest)


def access_of(dependant: Dependant) -> AccessRule | str | None:
    """The route's access declaration: an ``AccessRule``, ``"public"``, or None if undeclared."""
    for dep in dependant.dependencies:
        if isinstance(dep.call, AccessRule):
            return dep.call
        if dep.call is public:
            return "public"
        found = access_of(dep)
        if found is not None:
            return found
    return None


def _problem_response(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": DESCRIPTIONS.get(status, "Error")}
    if (
        existing
        and existing.get("description")
        and existing["description"] != "Successful Response"
    ):
        response["description"] = existing["description"]
    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}
    if status in (429, 503):
        response["headers"] = {
            "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1}}
        }
    return response


def _implied_statuses(route: RouteContext) -> set[int]:
    statuses: set[int] = set()
    if route.body_field is not None:
        statuses.add(400)
    if _has_params(route):
        statuses.add(422)
    if "{" in (route.path_format or ""):
        statuses.add(404)
    access = access_of(route.dependant)
    if isinstance(access, AccessRule) or _uses(route.dependant, get_db):
        statuses.add(503)  # erp.errors: the database did not answer in time
    if isinstance(access, AccessRule):
        statuses.add(401)
        if access.roles:
            statuses.add(403)
    return statuses


def _uses(dependant: Dependant, call: Any) -> bool:
    return any(dep.call is call or _uses(dep, call) for dep in dependant.dependencies)


def _has_params(route: RouteContext) -> bool:
    def walk(dep: Dependant) -> bool:
        if dep.query_params or dep.path_params or dep.header_params or dep.cookie_params:
            return True
        return any(walk(sub) for sub in dep.dependencies)

    return route.body_field is not None or walk(route.dependant)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _, defs = models_json_schema(
        [(Problem, "serialization")], ref_template="#/components/schemas/{model}"
    )
    components.update(defs.get("$defs", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for route in endpoint_routes(app.routes):
        if not route.include_in_schema:
            continue
        statuses = _implied_statuses(route)
        for method in sorted(route.methods or ()):
            operation = schema["paths"][route.path_format][method.lower()]
            responses: dict[str, Any] = operation["responses"]
            # 4xx declared by a route get the problem body; so does a declared 503 without a
            # body of its own (the readiness probe's 503 carries its Health document).
            declared = {
                int(c)
                for c in responses
                if c.isdigit()
                and (400 <= int(c) < 500 or (c == "503" and "content" not in responses[c]))
            }
            for status in sorted(statuses | declared):
                responses[str(status)] = _problem_response(status, responses.get(str(status)))
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
