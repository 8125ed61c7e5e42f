"""FIBU reports API: trial balance, profit and loss, balance sheet, ledger, open items.

Read-only, for accounting and admin. Dates are business dates (Europe/Berlin): ``date_to``
and ``as_of`` default to today, ``date_from`` to the start of the fiscal year of ``date_to``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy.orm import Session

from erp.auth.models import Role, User
from erp.deps import Allow, DbSession, ServicesDep
from erp.fibu import open_items, reports
from erp.fibu.report_schemas import (
    BalanceSheet,
    Ledger,
    OpenItems,
    PersonalKind,
    ProfitAndLoss,
    TrialBalance,
)
from erp.openapi_links import Responses
from erp.schemas import MAX_ID, IsoDate
from erp.timeutil import business_date

router = APIRouter(tags=["fibu"])
Accountant = Annotated[User, Depends(Allow(Role.admin, Role.accounting))]
# IsoDate, not date: pydantic's lax date would take "0" or "86400" as a Unix timestamp.
DateFrom = Annotated[
    IsoDate | None, Query(description="First posting date; default: start of the fiscal year")
]
DateTo = Annotated[IsoDate | None, Query(description="Last posting date; default: today")]
AsOf = Annotated[IsoDate | None, Query(description="Reporting day; default: today")]
# Like any id: an unknown number is a 404 (not a 422), also beyond the SKR03 range.
AccountNumber = Annotated[int, Path(ge=1, le=MAX_ID, description="SKR03 or personal account")]
LEDGER_PAGE_MAX = 1000
RANGE_REFUSED: Responses = {422: {"description": "Invalid fields, or date_from is after date_to"}}


def _range(db: Session, date_from: date | None, date_to: date | None) -> tuple[date, date]:
    last = date_to or business_date()
    return date_from or reports.fiscal_year_start(db, last), last


@router.get("/reports/trial-balance", response_model=TrialBalance, responses=RANGE_REFUSED)
def get_trial_balance(
    _user: Accountant,
    db: DbSession,
    services: ServicesDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Response:
    """Summen- und Saldenliste: per account the opening balance, debits, credits and closing
    balance of the posted entries; debit and credit totals are equal."""
    # The cached JSON as is: the same bytes FastAPI would send for the model (see
    # ``reports.cached_trial_balance_json``), without parsing and serialising them again.
    body = reports.cached_trial_balance_json(services.cache, db, *_range(db, date_from, date_to))
    return Response(body, media_type="application/json")


@router.get("/reports/profit-and-loss", responses=RANGE_REFUSED)
def get_profit_and_loss(
    _user: Accountant,
    db: DbSession,
    services: ServicesDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> ProfitAndLoss:
    """GuV: revenues and expenses per account in the range, and the result."""
    return reports.cached_profit_and_loss(services.cache, db, *_range(db, date_from, date_to))


@router.get("/reports/balance-sheet")
def get_balance_sheet(
    _user: Accountant, db: DbSession, services: ServicesDep, as_of: AsOf = None
) -> BalanceSheet:
    """Bilanz: assets against liabilities, equity and the fiscal year's result so far."""
    return reports.cached_balance_sheet(services.cache, db, as_of or business_date())


@router.get(
    "/accounts/{account_number}/ledger",
    responses={404: {"description": "No such account"}, **RANGE_REFUSED},
)
def get_account_ledger(
    account_number: AccountNumber,
    _user: Accountant,
    db: DbSession,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    limit: Annotated[int, Query(ge=1, le=LEDGER_PAGE_MAX, description="Lines per page")] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Lines to skip")] = 0,
) -> Ledger:
    """Kontoblatt: an account's posted lines in order, with counter accounts and the running
    balance from the opening balance to the closing balance; a page of lines at a time (the
    opening, totals and closing are the whole range's)."""
    first, last = _range(db, date_from, date_to)
    return reports.account_ledger(db, account_number, first, last, limit=limit, offset=offset)


@router.get("/reports/open-items")
def get_open_items(
    _user: Accountant,
    db: DbSession,
    kind: Annotated[PersonalKind, Query(description="Debitors (receivables) or Kreditors")] = (
        PersonalKind.debitor
    ),
    as_of: AsOf = None,
) -> OpenItems:
    """OP-Liste: open items per personal account and reference, with days overdue and
    ageing buckets (not due, 1-30, 31-60, 61-90, over 90 days)."""
    return open_items.open_items(db, kind, as_of or business_date())
