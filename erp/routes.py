"""The app's route table, flattened (FastAPI keeps included routers nested)."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.routing import APIRoute, APIRouter, RouteContext, iter_route_contexts
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

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


class RouteIndex:
    """The router's own dispatch, over only the routes a path can match.

    FastAPI's router tries its ~180 routes in order until one matches, ~0.1–0.3 ms of CPU
    per request here even with ``FlatRoute``'s prefix test. This looks up the routes whose
    literal segments agree with the path's first three segments (built once per such key,
    in table order) and lets FastAPI's own ``APIRouter.app`` dispatch over just those. When
    none of them matches fully, the whole router answers as it always did (405, a trailing
    slash redirect, 404), so the outcome is FastAPI's in every case.
    """

    KEY_SEGMENTS = 3

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self._built_for = -1

    def _narrowed(self, key: tuple[str, ...]) -> APIRouter:
        if self._built_for != len(self.router.routes):  # routes added since: start over
            self._by_key: dict[tuple[str, ...], APIRouter] = {}
            self._built_for = len(self.router.routes)
        narrowed = self._by_key.get(key)
        if narrowed is None:
            narrowed = copy.copy(self.router)  # same settings, fewer routes
            narrowed.routes = [r for r in self.router.routes if _may_match(r, key)]
            if len(self._by_key) < 4096:  # keys carry ids from paths: keep the memo bounded
                self._by_key[key] = narrowed
        return narrowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router.app(scope, receive, send)
            return
        key = tuple(
            get_route_path(scope).split("/", self.KEY_SEGMENTS + 1)[1 : self.KEY_SEGMENTS + 1]
        )
        narrowed = self._narrowed(key)
        scope.setdefault("router", self.router)  # url_for looks in the whole table
        if any(route.matches(scope)[0] is Match.FULL for route in narrowed.routes):
            await APIRouter.app(narrowed, scope, receive, send)
        else:
            await self.router.app(scope, receive, send)


def _may_match(route: BaseRoute, key: tuple[str, ...]) -> bool:
    """False only when a literal segment of the route's path differs from the path's."""
    path = getattr(route, "path", None)
    if not isinstance(route, FlatRoute) or path is None or ":path}" in path:
        return True  # mounts and catch-all parameters: always tried
    for position, segment in enumerate(path.split("/")[1 : RouteIndex.KEY_SEGMENTS + 1]):
        if "{" in segment:
            continue
        if position >= len(key) or key[position] != segment:
            return False
    return True


def index_routes(app: FastAPI) -> None:
    """Dispatch the app's requests through a ``RouteIndex`` (call once the table is built)."""
    router = app.router
    if router.middleware_stack != router.app:  # router-level middleware: leave it alone
        return
    router.middleware_stack = RouteIndex(router)
