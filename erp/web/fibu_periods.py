"""FIBU pages: fiscal years and their periods, opened and closed (GoBD: closing is final)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.deps import DbSession
from erp.errors import DomainError
from erp.fibu import rules, service
from erp.fibu.models import Period
from erp.schemas import ObjectId
from erp.timeutil import business_date
from erp.web.fibu import FibuPage, form_fields
from erp.web.forms import PostedForm, int_input
from erp.web.security import CsrfChecked
from erp.web.templating import render

router = APIRouter(include_in_schema=False)
PERIOD_NOTICES = {"opened": "The fiscal year is open.", "closed": "The period is closed."}


def current_fiscal_year(db: Session) -> int:
    start_month = service.get_company(db).fiscal_year_start_month
    return rules.fiscal_year_of(business_date(), start_month)


def _periods(
    request: Request,
    db: DbSession,
    user: User,
    year: int,
    *,
    notice: str | None = None,
    form_error: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    years = list(db.scalars(select(Period.fiscal_year).distinct().order_by(Period.fiscal_year)))
    context = {
        "year": year,
        "years": years,
        "periods": service.list_periods(db, year),
        "notice": notice,
        "form_error": form_error,
        "values": values or {"year": str(year if year not in years else max(years) + 1)},
        "errors": errors or {},
    }
    return render(request, "fibu_periods.html", context, user=user, status_code=status_code)


@router.get("/fibu/periods")
def periods_page(
    request: Request,
    db: DbSession,
    user: FibuPage,
    year: Annotated[
        int | None, Query(ge=service.FISCAL_YEARS.start, le=service.FISCAL_YEARS.stop - 1)
    ] = None,
    done: Literal["opened", "closed"] | None = None,
) -> Response:
    return _periods(
        request,
        db,
        user,
        year or current_fiscal_year(db),
        notice=PERIOD_NOTICES.get(done or ""),
    )


@router.post("/fibu/fiscal-years", dependencies=[CsrfChecked])
def open_fiscal_year(request: Request, db: DbSession, user: FibuPage, form: PostedForm) -> Response:
    raw = form_fields(form).get("year", "")
    year = int_input(raw)
    if not isinstance(year, int) or year not in service.FISCAL_YEARS:
        first, last = service.FISCAL_YEARS.start, service.FISCAL_YEARS.stop - 1
        return _periods(
            request,
            db,
            user,
            current_fiscal_year(db),
            values={"year": raw},
            errors={"year": f"Enter a year from {first} to {last}."},
            status_code=422,
        )
    service.ensure_fiscal_year(db, year)
    return RedirectResponse(f"/fibu/periods?year={year}&done=opened", status_code=303)


@router.post("/fibu/periods/{period_id}/close", dependencies=[CsrfChecked])
def close_period(period_id: ObjectId, request: Request, db: DbSession, user: FibuPage) -> Response:
    period = service.get_period(db, period_id)
    try:
        with db.begin_nested():
            service.close_period(db, period_id=period_id, actor=user)
    except DomainError as exc:
        return _periods(
            request, db, user, period.fiscal_year, form_error=exc.detail, status_code=exc.status
        )
    return RedirectResponse(f"/fibu/periods?year={period.fiscal_year}&done=closed", status_code=303)
