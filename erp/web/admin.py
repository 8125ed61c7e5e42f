"""Admin pages: list users, grant and revoke roles, disable and enable accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from erp.auth import service as auth_service
from erp.auth.models import Role, User
from erp.deps import DbSession
from erp.errors import DomainError
from erp.schemas import MAX_ID, ObjectId
from erp.web.forms import PostedForm, form_list
from erp.web.security import CsrfChecked, WebAllow
from erp.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
AdminPage = Annotated[User, Depends(WebAllow(Role.admin))]
PAGE_SIZE = 50


def _users_page(
    request: Request,
    db: DbSession,
    admin: User,
    *,
    q: str | None = None,
    offset: int = 0,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    users, total = auth_service.list_users(db, limit=PAGE_SIZE, offset=offset, query=q)
    context = {
        "users": users,
        "total": total,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "q": q or "",
        "roles": list(Role),
        "notice": notice,
        "form_error": error,
    }
    return render(request, "admin_users.html", context, user=admin, status_code=status_code)


@router.get("/users")
def users_page(
    request: Request,
    db: DbSession,
    admin: AdminPage,
    q: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    updated: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    notice = None
    if updated is not None:
        user = db.get(User, updated)
        notice = f"Saved changes to {user.email}." if user else None
    return _users_page(request, db, admin, q=q, offset=offset, notice=notice)


@router.post("/users/{user_id}/roles", dependencies=[CsrfChecked])
def set_roles(
    user_id: ObjectId, request: Request, db: DbSession, admin: AdminPage, form: PostedForm
) -> Response:
    requested = form_list(form, "roles")
    unknown = sorted(set(requested) - {role.value for role in Role})
    if unknown:
        return _users_page(
            request, db, admin, error=f"Unknown role: {', '.join(unknown)}", status_code=422
        )
    try:
        with db.begin_nested():  # a refused change leaves nothing behind
            auth_service.set_roles(
                db, user_id=user_id, roles=frozenset(Role(r) for r in requested), actor=admin
            )
    except DomainError as exc:
        return _users_page(request, db, admin, error=exc.detail, status_code=exc.status)
    return RedirectResponse(f"/admin/users?updated={user_id}", status_code=303)


@router.post("/users/{user_id}/active", dependencies=[CsrfChecked])
def set_active(
    user_id: ObjectId, request: Request, db: DbSession, admin: AdminPage, form: PostedForm
) -> Response:
    active = form.get("active") == "true"
    try:
        with db.begin_nested():
            auth_service.set_active(db, user_id=user_id, active=active, actor=admin)
    except DomainError as exc:
        return _users_page(request, db, admin, error=exc.detail, status_code=exc.status)
    return RedirectResponse(f"/admin/users?updated={user_id}", status_code=303)
