"""The app's route table, flattened (FastAPI keeps included routers nested)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import BaseRoute


def endpoint_routes(routes: Sequence[BaseRoute]) -> Iterator[RouteContext]:
    """Every API and page route with its full path, methods and dependencies."""
    for context in iter_route_contexts(routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def allowed_methods(routes: Sequence[BaseRoute], path: str) -> list[str]:
    """Every method any route on ``path`` answers (Starlette names only the first route's)."""
    methods: set[str] = set()
    for context in iter_route_contexts(routes):
        regex = getattr(context, "path_regex", None)
        if regex is not None and context.methods and regex.match(path):
            methods |= set(context.methods)
    return sorted(methods)
