"""CRM pages: customer list and detail, forms, the pipeline board."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, select
from starlette.datastructures import FormData

from erp.auth.models import Role, User
from erp.crm import pipeline, service
from erp.crm.models import ActivityKind, Contact, Customer, Stage
from erp.crm.rules import OPEN_STAGES, TRANSITIONS
from erp.crm.schemas import (
    ActivityCreate,
    ContactCreate,
    CustomerCreate,
    CustomerUpdate,
    OpportunityCreate,
    StageChange,
)
from erp.deps import DbSession
from erp.errors import DomainError
from erp.schemas import MAX_ID, ObjectId
from erp.timeutil import business_date
from erp.web.forms import PostedForm, errors_by_field, int_input, money_input, optional
from erp.web.security import CsrfChecked, WebAllow
from erp.web.templating import render

router = APIRouter(include_in_schema=False)
CustomerViewer = Annotated[User, Depends(WebAllow(Role.admin, Role.sales, Role.accounting))]
CrmPage = Annotated[User, Depends(WebAllow(Role.admin, Role.sales))]
PAGE_SIZE = 20
BOARD_SIZE = 500
CUSTOMER_FIELDS = (
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "vat_id",
    "email",
    "phone",
    "payment_terms_days",
    "credit_limit",
)


M = TypeVar("M", bound=BaseModel)


class FormProblem(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _fields(form: FormData) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormProblem(errors_by_field(exc)) from exc


def _customer_data(values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: values.get(k, "") for k in CUSTOMER_FIELDS}
    data["payment_terms_days"] = int_input(data["payment_terms_days"] or "14")
    data["credit_limit"] = money_input(data["credit_limit"] or "0")
    data["country"] = (data["country"] or "DE").upper()
    for key in ("vat_id", "email", "phone"):
        data[key] = optional(data[key])
    return data


@router.get("/customers")
def customers_page(
    request: Request,
    db: DbSession,
    user: CustomerViewer,
    q: Annotated[str | None, Query(max_length=100)] = None,
    include_archived: bool = False,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    customers, total = service.customer_rows(
        db, limit=PAGE_SIZE, offset=offset, query=q, include_archived=include_archived
    )
    context = {
        "customers": customers,
        "total": total,
        "q": q or "",
        "offset": offset,
        "page_size": PAGE_SIZE,
        "include_archived": include_archived,
        "can_write": bool(user.roles & {Role.admin, Role.sales}),
    }
    return render(request, "customers.html", context, user=user)


@router.get("/customers/new")
def new_customer_page(request: Request, user: CrmPage) -> Response:
    values = {"country": "DE", "payment_terms_days": "14", "credit_limit": "0.00"}
    return render(request, "customer_form.html", {"values": values, "customer": None}, user=user)


@router.post("/customers/new", dependencies=[CsrfChecked])
def create_customer(request: Request, db: DbSession, user: CrmPage, form: PostedForm) -> Response:
    values = _fields(form)
    try:
        body = _validate(CustomerCreate, _customer_data(values))
        with db.begin_nested():
            customer = service.create_customer(db, actor=user, values=body.model_dump())
    except FormProblem as exc:
        return _customer_form(request, user, values, exc.errors, None)
    except DomainError as exc:
        return _customer_form(request, user, values, {"vat_id": exc.detail}, None)
    return RedirectResponse(f"/customers/{customer.id}", status_code=303)


def _customer_form(
    request: Request, user: User, values: dict[str, str], errors: dict[str, str], customer: Any
) -> Response:
    context = {"values": values, "errors": errors, "customer": customer}
    return render(request, "customer_form.html", context, user=user, status_code=422)


# The detail page's reads of the customer and its contacts, as plain rows with statements built
# once (see erp.crm.pipeline's page reads): what get_customer and list_contacts read.
CUSTOMER_ROW = select(*service.CUSTOMER_COLUMNS).where(Customer.id == bindparam("customer_id"))
CONTACT_ROWS = (
    select(Contact.name, Contact.role, Contact.email, Contact.phone)
    .where(Contact.customer_id == bindparam("customer_id"), Contact.archived_at.is_(None))
    .order_by(Contact.name, Contact.id)
)


def _customer_context(db: DbSession, user: User, customer_id: int) -> dict[str, Any]:
    params = {"customer_id": customer_id}
    customer = db.execute(CUSTOMER_ROW, params).one_or_none()
    if customer is None:
        raise service.CustomerNotFound(f"customer {customer_id} does not exist")
    context: dict[str, Any] = {"customer": customer, "can_write": False}
    if user.roles & {Role.admin, Role.sales}:
        context |= {
            "can_write": True,
            "contacts": db.execute(CONTACT_ROWS, params).all(),
            "opportunities": pipeline.customer_opportunity_rows(
                db, customer_id=customer_id, limit=100
            ),
            "activities": pipeline.customer_activity_rows(db, customer_id=customer_id, limit=100),
            "transitions": TRANSITIONS,
            "activity_kinds": list(ActivityKind),
            "today": business_date(),
        }
    return context


@router.get("/customers/{customer_id}")
def customer_page(
    customer_id: ObjectId, request: Request, db: DbSession, user: CustomerViewer
) -> Response:
    return render(
        request, "customer_detail.html", _customer_context(db, user, customer_id), user=user
    )


@router.get("/customers/{customer_id}/edit")
def edit_customer_page(
    customer_id: ObjectId, request: Request, db: DbSession, user: CrmPage
) -> Response:
    customer = service.get_customer(db, customer_id=customer_id)
    values = {k: getattr(customer, k) or "" for k in CUSTOMER_FIELDS}
    return render(
        request, "customer_form.html", {"values": values, "customer": customer}, user=user
    )


@router.post("/customers/{customer_id}/edit", dependencies=[CsrfChecked])
def update_customer(
    customer_id: ObjectId, request: Request, db: DbSession, user: CrmPage, form: PostedForm
) -> Response:
    customer = service.get_customer(db, customer_id=customer_id)
    values = _fields(form)
    try:
        body = _validate(
            CustomerUpdate,
            {
                k: v
                for k, v in _customer_data(values).items()
                if v is not None or k in CustomerUpdate.clearable
            },
        )
        with db.begin_nested():
            service.update_customer(db, customer_id=customer_id, actor=user, values=body.changes())
    except FormProblem as exc:
        return _customer_form(request, user, values, exc.errors, customer)
    except DomainError as exc:
        return _customer_form(request, user, values, {"form": exc.detail}, customer)
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


@router.post("/customers/{customer_id}/archive", dependencies=[CsrfChecked])
def archive_customer(
    customer_id: ObjectId, db: DbSession, user: CrmPage, form: PostedForm
) -> Response:
    archived = _fields(form).get("archived", "true") == "true"
    service.set_customer_archived(db, customer_id=customer_id, actor=user, archived=archived)
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


def _attach(
    request: Request, db: DbSession, user: User, customer_id: int, build: Any, form: FormData
) -> Response:
    """Run a form that adds something to a customer; errors go back to the detail page."""
    values = _fields(form)
    try:
        with db.begin_nested():
            build(values)
    except FormProblem as exc:
        message = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in exc.errors.items())
        return _detail_with_error(request, db, user, customer_id, message, 422)
    except DomainError as exc:
        return _detail_with_error(request, db, user, customer_id, exc.detail, exc.status)
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


def _detail_with_error(
    request: Request, db: DbSession, user: User, customer_id: int, message: str, status: int
) -> Response:
    context = {**_customer_context(db, user, customer_id), "form_error": message}
    return render(request, "customer_detail.html", context, user=user, status_code=status)


@router.post("/customers/{customer_id}/contacts", dependencies=[CsrfChecked])
def add_contact(
    customer_id: ObjectId, request: Request, db: DbSession, user: CrmPage, form: PostedForm
) -> Response:
    def build(values: dict[str, str]) -> None:
        data = {
            "name": values.get("name", ""),
            "role": values.get("role", ""),
            "email": optional(values.get("email", "")),
            "phone": optional(values.get("phone", "")),
        }
        body = _validate(ContactCreate, data)
        service.create_contact(db, customer_id=customer_id, actor=user, values=body.model_dump())

    return _attach(request, db, user, customer_id, build, form)


@router.post("/customers/{customer_id}/opportunities", dependencies=[CsrfChecked])
def add_opportunity(
    customer_id: ObjectId, request: Request, db: DbSession, user: CrmPage, form: PostedForm
) -> Response:
    def build(values: dict[str, str]) -> None:
        data = {
            "customer_id": customer_id,
            "title": values.get("title", ""),
            "expected_revenue": money_input(values.get("expected_revenue", "")),
            "close_date": optional(values.get("close_date", "")),
        }
        body = _validate(OpportunityCreate, data)
        pipeline.create_opportunity(db, actor=user, values=body.model_dump())

    return _attach(request, db, user, customer_id, build, form)


@router.post("/customers/{customer_id}/activities", dependencies=[CsrfChecked])
def add_activity(
    customer_id: ObjectId, request: Request, db: DbSession, user: CrmPage, form: PostedForm
) -> Response:
    def build(values: dict[str, str]) -> None:
        opportunity = values.get("opportunity_id", "")
        data = {
            "customer_id": customer_id,
            "kind": values.get("kind", ""),
            "subject": values.get("subject", ""),
            "notes": values.get("notes", ""),
            "due_date": optional(values.get("due_date", "")),
            "opportunity_id": int_input(opportunity) if opportunity else None,
        }
        body = _validate(ActivityCreate, data)
        pipeline.create_activity(db, actor=user, values=body.model_dump())

    return _attach(request, db, user, customer_id, build, form)


@router.post("/opportunities/{opportunity_id}/stage", dependencies=[CsrfChecked])
def move_opportunity(
    opportunity_id: ObjectId, request: Request, db: DbSession, user: CrmPage, form: PostedForm
) -> Response:
    opportunity = pipeline.get_opportunity(db, opportunity_id=opportunity_id)

    def build(values: dict[str, str]) -> None:
        body = _validate(
            StageChange,
            {
                "stage": values.get("stage", ""),
                "lost_reason": optional(values.get("lost_reason", "")),
            },
        )
        pipeline.change_stage(
            db,
            opportunity_id=opportunity_id,
            actor=user,
            stage=body.stage,
            lost_reason=body.lost_reason,
        )

    response = _attach(request, db, user, opportunity.customer_id, build, form)
    target = _fields(form).get("back")
    if response.status_code == 303 and target == "pipeline":
        return RedirectResponse("/pipeline", status_code=303)
    return response


@router.post("/activities/{activity_id}/done", dependencies=[CsrfChecked])
def complete_activity(
    activity_id: ObjectId, db: DbSession, user: CrmPage, form: PostedForm
) -> Response:
    activity = pipeline.update_activity(
        db, activity_id=activity_id, actor=user, values={"done": True}
    )
    target = _fields(form).get("back")
    return RedirectResponse(
        "/" if target == "dashboard" else f"/customers/{activity.customer_id}", status_code=303
    )


@router.get("/pipeline")
def pipeline_page(request: Request, db: DbSession, user: CrmPage) -> Response:
    opportunities = pipeline.board_rows(db, limit=BOARD_SIZE)
    board: dict[Stage, list[Any]] = {stage: [] for stage in Stage}
    for o in opportunities:
        board[o.stage].append(o)
    # A board that is not full holds every live opportunity: the summary needs no query.
    totals = (
        pipeline.summarize(opportunities)
        if len(opportunities) < BOARD_SIZE
        else pipeline.pipeline_summary(db)
    )
    summary = {s: (n, revenue, weighted) for s, n, revenue, weighted in totals}
    context = {
        "board": board,
        "summary": summary,
        "transitions": TRANSITIONS,
        "open_stages": OPEN_STAGES,
    }
    return render(request, "pipeline.html", context, user=user)


def dashboard_widgets(db: DbSession, user: User) -> dict[str, Any]:
    """What the dashboard shows a sales user: the pipeline and their open activities."""
    if not user.roles & {Role.admin, Role.sales}:
        return {}
    activities, open_total = pipeline.open_activity_rows(db, owner_id=user.id, limit=10)
    summary = pipeline.pipeline_summary(db)
    return {
        "pipeline": [row for row in summary if row[0] in OPEN_STAGES],
        "my_activities": activities,
        "my_activities_total": open_total,
        "today": business_date(),
    }
