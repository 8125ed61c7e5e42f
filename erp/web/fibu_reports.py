"""FIBU report pages: Summen- und Saldenliste, Kontoblatt, OP-Liste, UStVA, DATEV export.

Read-only pages for accounting and admin. Report forms are GET forms: their dates arrive as
text ('' when left empty) and a wrong one is shown next to its field (422), not as an error
page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from erp.auth.models import User
from erp.deps import DbSession, get_services
from erp.errors import DomainError
from erp.fibu import datev, open_items, reports, service, ustva
from erp.fibu.report_schemas import Ageing, PersonalKind
from erp.schemas import MAX_ID
from erp.timeutil import business_date
from erp.web.fibu import DateParam, FibuPage, parse_day
from erp.web.templating import render

router = APIRouter(include_in_schema=False)
AccountNumber = Annotated[int, Path(ge=1, le=MAX_ID)]
MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
# The UStVA form's period choices: "01"…"12" are months, "Q1"…"Q4" quarters.
TAX_PERIODS = [(f"{m:02d}", name) for m, name in enumerate(MONTHS, start=1)] + [
    (f"Q{q}", f"{q}. Quartal") for q in range(1, 5)
]


def _range(
    db: DbSession, date_from: str, date_to: str
) -> tuple[date, date, dict[str, str], dict[str, str]]:
    """The report's range (default: the fiscal year so far), the form's values and errors."""
    errors: dict[str, str] = {}
    last = parse_day(date_to, "date_to", "To", errors) or business_date()
    first = parse_day(date_from, "date_from", "From", errors)
    if first is None:
        first = reports.fiscal_year_start(db, last)
    if not errors and first > last:
        errors["date_from"] = "From: the range starts after it ends."
    values = {
        "date_from": date_from if "date_from" in errors else first.isoformat(),
        "date_to": date_to if "date_to" in errors else last.isoformat(),
    }
    return first, last, values, errors


@router.get("/fibu/trial-balance")
def trial_balance_page(
    request: Request,
    db: DbSession,
    user: FibuPage,
    date_from: DateParam = "",
    date_to: DateParam = "",
) -> Response:
    first, last, values, errors = _range(db, date_from, date_to)
    context: dict[str, Any] = {"values": values, "errors": errors, "report": None}
    if errors:
        return render(request, "fibu_trial_balance.html", context, user=user, status_code=422)
    cache = get_services(request).cache
    context["report"] = reports.cached_trial_balance(cache, db, first, last)
    return render(request, "fibu_trial_balance.html", context, user=user)


@router.get("/fibu/accounts/{account_number}/ledger")
def ledger_page(
    account_number: AccountNumber,
    request: Request,
    db: DbSession,
    user: FibuPage,
    date_from: DateParam = "",
    date_to: DateParam = "",
) -> Response:
    account = service.get_account(db, account_number)  # an unknown account is a 404
    first, last, values, errors = _range(db, date_from, date_to)
    context = {
        "account": account,
        "values": values,
        "errors": errors,
        "ledger": None if errors else reports.account_ledger(db, account_number, first, last),
    }
    return render(
        request, "fibu_ledger.html", context, user=user, status_code=422 if errors else 200
    )


@router.get("/fibu/open-items")
def open_items_page(
    request: Request,
    db: DbSession,
    user: FibuPage,
    kind: PersonalKind = PersonalKind.debitor,
    as_of: DateParam = "",
) -> Response:
    errors: dict[str, str] = {}
    day = parse_day(as_of, "as_of", "As of", errors) or business_date()
    context: dict[str, Any] = {
        "kind": kind,
        "values": {"as_of": as_of if errors else day.isoformat()},
        "errors": errors,
        "report": None if errors else open_items.open_items(db, kind, day),
        "buckets": list(Ageing),
    }
    return render(
        request, "fibu_open_items.html", context, user=user, status_code=422 if errors else 200
    )


@router.get("/fibu/ustva")
def ustva_page(
    request: Request,
    db: DbSession,
    user: FibuPage,
    year: Annotated[str, Query(max_length=4)] = "",
    period: Annotated[str, Query(max_length=3)] = "",
) -> Response:
    today = business_date()
    values = {"year": year or str(today.year), "period": period or f"{today.month:02d}"}
    errors: dict[str, str] = {}
    report = None
    choice = values["period"].upper()
    if not values["year"].isdigit():
        errors["year"] = f"Enter a year from {ustva.MIN_YEAR} to {ustva.MAX_YEAR}."
    elif choice not in {value for value, _ in TAX_PERIODS}:
        errors["period"] = "Choose a month or a quarter."
    else:
        quarter = int(choice[1]) if choice.startswith("Q") else None
        month = None if quarter else int(choice)
        try:
            tax_period = ustva.tax_period(int(values["year"]), month=month, quarter=quarter)
        except DomainError as exc:
            errors["year"] = exc.detail[:1].upper() + exc.detail[1:] + "."
        else:
            report = ustva.ustva(db, tax_period)
    context = {
        "values": values,
        "errors": errors,
        "periods": TAX_PERIODS,
        "report": report,
        "period_name": dict(TAX_PERIODS).get(choice, ""),
    }
    return render(
        request, "fibu_ustva.html", context, user=user, status_code=422 if errors else 200
    )


def _datev_page(
    request: Request,
    user: User,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {"values": values, "errors": errors or {}, "form_error": form_error}
    return render(request, "fibu_datev.html", context, user=user, status_code=status_code)


@router.get("/fibu/datev")
def datev_page(request: Request, user: FibuPage) -> Response:
    today = business_date()
    values = {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}
    return _datev_page(request, user, values)


@router.get("/fibu/datev/export")
def datev_export(
    request: Request,
    db: DbSession,
    user: FibuPage,
    date_from: DateParam = "",
    date_to: DateParam = "",
) -> Response:
    """The Buchungsstapel as a download; a refused range comes back on the form."""
    values = {"date_from": date_from, "date_to": date_to}
    errors: dict[str, str] = {}
    first = parse_day(date_from, "date_from", "From", errors)
    last = parse_day(date_to, "date_to", "To", errors)
    for key, day in (("date_from", first), ("date_to", last)):
        if day is None and key not in errors:
            errors[key] = "Enter a date."
    if errors or first is None or last is None:
        return _datev_page(request, user, values, errors, status_code=422)
    try:
        export = datev.export_buchungsstapel(db, date_from=first, date_to=last)
    except DomainError as exc:
        return _datev_page(request, user, values, form_error=exc.detail, status_code=exc.status)
    return Response(
        content=export.content,
        media_type=datev.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )
