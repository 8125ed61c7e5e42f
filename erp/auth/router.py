"""Identity API: /api/v1/auth (register, login, logout, me) and /api/v1/users (admin)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials

from erp.auth import service
from erp.auth.models import Role, SessionKind
from erp.auth.schemas import LoginRequest, RegisterRequest, RolesUpdate, TokenResponse, UserRead
from erp.config import Environment
from erp.deps import (
    AdminUser,
    DbSession,
    ServicesDep,
    SignedIn,
    bearer_scheme,
    public,
    write_turn_in_thread,
)
from erp.schemas import ObjectId, Page, PageParams, page_params

router = APIRouter(tags=["identity"])


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(public)],
    responses={409: {"description": "An account with this e-mail exists"}},
)
def register_user(body: RegisterRequest, db: DbSession, services: ServicesDep) -> UserRead:
    """Create an account. It holds no role until an admin grants one.

    In development only, the very first account becomes admin.
    """
    first_dev_user = (
        services.settings.environment is Environment.development and service.count_users(db) == 0
    )
    user = service.register_user(
        db,
        hasher=services.hasher,
        email=body.email,
        full_name=body.full_name,
        password=body.password,
        roles=frozenset({Role.admin}) if first_dev_user else frozenset(),
    )
    return UserRead.model_validate(user)


@router.post(
    "/auth/login",
    dependencies=[Depends(public)],
    responses={
        401: {"description": "Wrong e-mail or password, or the account is disabled"},
        429: {"description": "Too many failed logins for this account"},
        503: {"description": "The database did not answer in time; see Retry-After"},
    },
)
def login(body: LoginRequest, request: Request, services: ServicesDep) -> TokenResponse:
    """Exchange e-mail and password for a bearer token."""
    settings = services.settings
    issued = service.login(
        services.database,
        hasher=services.hasher,
        throttle=service.ThrottlePolicy(
            max_failures=settings.login_max_failures,
            lockout=timedelta(minutes=settings.login_lockout_minutes),
        ),
        email=body.email,
        password=body.password,
        kind=SessionKind.api,
        lifetime=timedelta(hours=settings.session_hours),
        write_turn=lambda: write_turn_in_thread(request),
    )
    return TokenResponse(access_token=issued.token, expires_at=issued.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    _user: SignedIn,
    db: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> None:
    """Revoke the bearer token used for this request."""
    assert credentials is not None  # SignedIn has verified it
    service.revoke_session(db, token=credentials.credentials)


@router.get("/auth/me")
def read_me(user: SignedIn) -> UserRead:
    """The signed-in user with their roles."""
    return UserRead.model_validate(user)


@router.get("/users")
def list_users(
    _admin: AdminUser,
    db: DbSession,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=100, description="Part of e-mail or name")] = None,
) -> Page[UserRead]:
    """All accounts, ordered by e-mail."""
    users, total = service.list_users(db, limit=page.limit, offset=page.offset, query=q)
    return Page[UserRead](
        items=[UserRead.model_validate(u) for u in users],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/users/{user_id}")
def get_user(user_id: ObjectId, _admin: AdminUser, db: DbSession) -> UserRead:
    """One account."""
    return UserRead.model_validate(service.get_user(db, user_id=user_id))


@router.put(
    "/users/{user_id}/roles",
    responses={409: {"description": "The last active admin would lose the admin role"}},
)
def set_user_roles(
    user_id: ObjectId, body: RolesUpdate, admin: AdminUser, db: DbSession
) -> UserRead:
    """Replace the user's roles with exactly the given set."""
    user = service.set_roles(db, user_id=user_id, roles=frozenset(body.roles), actor=admin)
    return UserRead.model_validate(user)


@router.post(
    "/users/{user_id}/deactivate",
    responses={409: {"description": "Own account, or the last active admin"}},
)
def deactivate_user(user_id: ObjectId, admin: AdminUser, db: DbSession) -> UserRead:
    """Disable an account and revoke its sessions."""
    return UserRead.model_validate(
        service.set_active(db, user_id=user_id, active=False, actor=admin)
    )


@router.post("/users/{user_id}/activate")
def activate_user(user_id: ObjectId, admin: AdminUser, db: DbSession) -> UserRead:
    """Enable a disabled account."""
    return UserRead.model_validate(
        service.set_active(db, user_id=user_id, active=True, actor=admin)
    )
