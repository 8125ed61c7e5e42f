"""Request dependencies: services, the transaction, the caller and who may call what.

Every route declares its access with exactly one of ``public`` or an ``AccessRule``
(``Allow`` for the API, ``erp.web.security.WebAllow`` for pages); the role-matrix tests and
the OpenAPI builder read these from the route table.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated

import anyio.from_thread
import anyio.to_thread
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
WRITE_GATE = "write_gate"  # app.state attribute: an asyncio.Lock while the app runs on SQLite


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


async def get_db(request: Request, services: ServicesDep) -> AsyncIterator[Session]:
    """One transaction per request, committed before the response is sent.

    Async on purpose: opening the session does no I/O (SQLAlchemy connects at the first
    statement, in the thread of whichever dependency or endpoint runs it), so only the end of
    the transaction needs a worker thread — one thread hop per request fewer (~0.1 ms of CPU
    here), and the end runs shielded: a commit begun is finished even if the client leaves.

    Writes take turns here where the database allows one writer at a time. SQLite does
    (erp.db): left to it, a waiting write sat in ``BEGIN IMMEDIATE`` polling with sleeps of up
    to 100 ms while the lock stood free — 109 ms on average per write under the declared load
    — and held a worker thread all the while. Queued in the event loop (FIFO), it holds no
    thread and starts the moment the write before it ends. The app's lifespan sets the gate;
    other writers (another worker process, the CLI) still meet SQLite's busy timeout.
    """
    write = request.method not in SAFE_METHODS
    gate: asyncio.Lock | None = getattr(request.app.state, WRITE_GATE, None) if write else None
    async with gate or contextlib.nullcontext():
        session = services.database.session(write=write)
        session.begin()
        try:
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_end, session, False)
            raise
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_end, session, True)


@contextlib.contextmanager
def write_turn_in_thread(request: Request) -> Iterator[None]:
    """The same queue of writes for a write that runs in a worker thread outside ``get_db``
    (the login's second transaction): left out, it polled for SQLite's lock while the queued
    writes handed it on to each other, and waited behind all of them (login P95 740 ms)."""
    gate: asyncio.Lock | None = getattr(request.app.state, WRITE_GATE, None)
    if gate is None:
        yield
        return
    anyio.from_thread.run(gate.acquire)
    try:
        yield
    finally:
        anyio.from_thread.run_sync(gate.release)


def _end(session: Session, commit: bool) -> None:
    with session:  # closed either way: its connection goes back to the pool
        if commit:
            session.commit()
        else:
            session.rollback()


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
