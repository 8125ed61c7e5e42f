"""The app's route table, flattened (FastAPI keeps included routers nested)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

_NOT_COPIED = frozenset({"self", "path", "endpoint", "dependency_overrides_provider"})


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


# Every argument an APIRoute is built from; each is kept on the route under the same name.
_ROUTE_ARGUMENTS = tuple(
    name for name in inspect.signature(APIRoute.__init__).parameters if name not in _NOT_COPIED
)


def flatten(app: FastAPI) -> None:
    """Replace the app's included routers by their routes, each under its full path.

    FastAPI (0.137 and later) keeps ``include_router`` lazy: every request walks the nested
    routers and re-checks each one's version, ~0.3 ms of CPU per request here — as much as
    the whole of a small endpoint. Called once the route table is complete; the OpenAPI
    document and the URLs stay exactly as they were (tests compare both).
    """
    flat: list[BaseRoute] = []
    for context in iter_route_contexts(app.router.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            flat.append(route)
            continue
        arguments = {name: getattr(route, name) for name in _ROUTE_ARGUMENTS}
        if isinstance(route.generate_unique_id_function, DefaultPlaceholder):
            arguments["generate_unique_id_function"] = app.router.generate_unique_id_function
        arguments["dependency_overrides_provider"] = app
        assert context.path is not None  # every API route has one
        flat.append(FlatRoute(context.path, route.endpoint, **arguments))
    app.router.routes[:] = flat


class FlatRoute(APIRoute):
    """An API route that turns a path away by its literal prefix before anything else.

    The router tries the routes in order until one matches: a page near the end of the table
    paid ~180 regular expressions and FastAPI's per-route checks, 0.25–0.45 ms of CPU per
    request here. A path that does not start with the route's text up to its first
    parameter cannot match its (escaped, anchored) pattern, so the answer is the same.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.literal_prefix = self.path.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self.literal_prefix):
            return Match.NONE, {}
        return super().matches(scope)
