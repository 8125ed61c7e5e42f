"""Request dependencies: services, the transaction, the caller and who may call what.

Every route declares its access with exactly one of ``public`` or an ``AccessRule``
(``Allow`` for the API, ``erp.web.security.WebAllow`` for pages); the role-matrix tests and
the OpenAPI builder read these from the route table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import Role, SessionKind, User
from erp.auth.passwords import PasswordHasher
from erp.cache import FigureCache
from erp.config import Settings
from erp.db import Database
from erp.errors import Forbidden, Unauthorized

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Services:
    """What the app holds for its whole life; built once in ``create_app``."""

    settings: Settings
    database: Database
    hasher: PasswordHasher
    cache: FigureCache


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def services_dependency(request: Request) -> Services:
    # async: FastAPI runs a plain-``def`` dependency in its thread pool, a hop that costs
    # more than this lookup. The same goes for the other pure dependencies (access checks).
    return get_services(request)


ServicesDep = Annotated[Services, Depends(services_dependency)]


def get_db(request: Request, services: ServicesDep) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with services.database.transaction(write=request.method not in SAFE_METHODS) as session:
        yield session


DbSession = Annotated[Session, Depends(get_db, scope="function")]

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="Token from POST /api/v1/auth/login",
)


def api_user(
    request: Request,
    db: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User:
    if credentials is None:
        raise Unauthorized("this operation needs a bearer token")
    user = auth_service.resolve_session(db, token=credentials.credentials, kind=SessionKind.api)
    if user is None:
        raise Unauthorized("the bearer token is invalid, expired or revoked")
    request.state.user_id = user.id
    return user


class AccessRule:
    """Base of access declarations: who may use a route (no roles: any signed-in user)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def admits(self, roles: frozenset[Role]) -> bool:
        return not self.roles or bool(roles & self.roles)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(sorted(self.roles)) or 'any signed-in user'})"


class Allow(AccessRule):
    """API access: a bearer token of a user holding one of ``roles``; else 401 / 403."""

    async def __call__(self, user: Annotated[User, Depends(api_user)]) -> User:
        if not self.admits(user.roles):
            needed = ", ".join(sorted(self.roles))
            raise Forbidden(f"this operation needs one of the roles: {needed}")
        return user


async def public() -> None:
    """Access declaration: anyone may call this, signed in or not."""


SignedIn = Annotated[User, Depends(Allow())]
AdminUser = Annotated[User, Depends(Allow(Role.admin))]
