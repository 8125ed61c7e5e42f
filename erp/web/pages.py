"""Sign-in, registration, sign-out and the dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from erp.auth import service as auth_service
from erp.auth.models import Role, SessionKind, User
from erp.auth.schemas import LoginRequest, RegisterRequest
from erp.config import Environment
from erp.deps import DbSession, ServicesDep, public, write_turn_in_thread
from erp.errors import DomainError
from erp.sales import invoicing as sales_invoicing
from erp.sales import service as sales_service
from erp.timeutil import business_date
from erp.web.crm import dashboard_widgets
from erp.web.forms import PostedForm, errors_by_field, form_values
from erp.web.security import (
    CsrfChecked,
    OptionalWebUser,
    WebAllow,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)
from erp.web.templating import render

router = APIRouter(include_in_schema=False)
SignedInPage = Annotated[User, Depends(WebAllow())]


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would make the login page a phishing tool."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def sales_figures(db: DbSession, user: User) -> dict[str, Any]:
    """Order-to-cash on the dashboard: open orders for sales, overdue invoices for accounting."""
    figures: dict[str, Any] = {}
    if user.roles & {Role.admin, Role.sales}:
        figures["open_sales_orders"] = sales_service.count_open_orders(db)
    if user.roles & {Role.admin, Role.accounting}:
        figures["overdue_invoices"] = sales_invoicing.overdue_summary(db, business_date())
    return figures


@router.get("/", dependencies=[Depends(WebAllow())])
def dashboard(request: Request, user: SignedInPage, db: DbSession) -> Response:
    context = {
        "has_role": bool(user.roles),
        **dashboard_widgets(db, user),
        **sales_figures(db, user),
    }
    return render(request, "dashboard.html", context, user=user)


@router.get("/login", dependencies=[Depends(public)])
def login_page(request: Request, user: OptionalWebUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login", dependencies=[Depends(public), CsrfChecked])
def login_submit(request: Request, services: ServicesDep, form: PostedForm) -> Response:
    values = form_values(form, "email", "password", "next")
    target = safe_next(values.get("next"))
    try:
        body = LoginRequest.model_validate(
            {"email": values["email"], "password": values["password"]}
        )
        settings = services.settings
        issued = auth_service.login(
            services.database,
            hasher=services.hasher,
            throttle=auth_service.ThrottlePolicy(
                max_failures=settings.login_max_failures,
                lockout=timedelta(minutes=settings.login_lockout_minutes),
            ),
            email=body.email,
            password=body.password,
            kind=SessionKind.web,
            lifetime=timedelta(hours=settings.session_hours),
            write_turn=lambda: write_turn_in_thread(request),
        )
    except ValidationError:
        return _login_error(request, values, target, "Enter your e-mail address and password.", 422)
    except DomainError as exc:
        return _login_error(request, values, target, exc.detail, exc.status, exc.headers())
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, services, issued.token)
    return response


def _login_error(
    request: Request,
    values: dict[str, str],
    target: str,
    message: str,
    status: int,
    headers: dict[str, str] | None = None,
) -> Response:
    context = {"next": target, "form_error": message, "values": {"email": values["email"]}}
    # 400, not 401: a form sign-in is no HTTP authentication challenge.
    response = render(request, "login.html", context, status_code=400 if status == 401 else status)
    for name, value in (headers or {}).items():
        if name != "WWW-Authenticate":
            response.headers[name] = value
    return response


@router.get("/register", dependencies=[Depends(public)])
def register_page(request: Request) -> Response:
    return render(request, "register.html")


@router.post("/register", dependencies=[Depends(public), CsrfChecked])
def register_submit(
    request: Request, db: DbSession, services: ServicesDep, form: PostedForm
) -> Response:
    values = form_values(form, "email", "full_name", "password", "password_confirm")
    kept = {"email": values["email"], "full_name": values["full_name"]}
    errors: dict[str, str] = {}
    if values["password"] != values["password_confirm"]:
        errors["password_confirm"] = "The passwords do not match."
    try:
        body = RegisterRequest.model_validate(
            {k: values[k] for k in ("email", "full_name", "password")}
        )
    except ValidationError as exc:
        errors = {**errors_by_field(exc), **errors}
    if errors:
        return render(request, "register.html", {"errors": errors, "values": kept}, status_code=422)
    first_dev_user = (
        services.settings.environment is Environment.development
        and auth_service.count_users(db) == 0
    )
    try:
        with db.begin_nested():
            user = auth_service.register_user(
                db,
                hasher=services.hasher,
                email=body.email,
                full_name=body.full_name,
                password=body.password,
                roles=frozenset({Role.admin}) if first_dev_user else frozenset(),
            )
    except auth_service.WeakPassword as exc:
        errors["password"] = exc.detail.removeprefix("password ").capitalize() + "."
    except auth_service.EmailTaken:
        errors["email"] = "An account with this e-mail address exists already."
    if errors:
        return render(request, "register.html", {"errors": errors, "values": kept}, status_code=422)
    # A new account lands signed in on its dashboard.
    issued = auth_service.issue_session(
        db,
        user=user,
        kind=SessionKind.web,
        lifetime=timedelta(hours=services.settings.session_hours),
    )
    response = RedirectResponse("/?welcome=1", status_code=303)
    set_session_cookie(response, services, issued.token)
    return response


@router.post("/logout", dependencies=[Depends(WebAllow()), CsrfChecked])
def logout(request: Request, db: DbSession, services: ServicesDep) -> Response:
    token = session_token(request, services)
    if token is not None:
        auth_service.revoke_session(db, token=token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response
