"""Company, chart of accounts and periods (the journal is in ``erp.fibu.journal``).

Every function runs inside the caller's transaction; a refused operation raises a
DomainError and leaves nothing behind (the request's transaction is rolled back).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp import audit
from erp.auth.models import User
from erp.crm.models import Customer
from erp.errors import Conflict, DomainError, NotFound
from erp.fibu import rules
from erp.fibu.models import (
    Account,
    AccountKind,
    Company,
    EntryStatus,
    JournalEntry,
    Period,
    TaxCode,
)
from erp.timeutil import utcnow

DEBITORS = range(10000, 70000)
KREDITORS = range(70000, 100000)
FISCAL_YEARS = range(2000, 2100)


class AccountNotFound(NotFound):
    slug = "account-not-found"


class PeriodNotFound(NotFound):
    slug = "period-not-found"


class PeriodClosed(Conflict):
    slug = "period-closed"


class AccountExists(Conflict):
    slug = "account-exists"


class InvalidAccount(DomainError):
    status, title, slug = 422, "Invalid account", "invalid-account"


# company -------------------------------------------------------------------------------
def get_company(session: Session) -> Company:
    company = session.get(Company, 1)
    assert company is not None, "migration 0003 creates the company row"
    return company


def update_company(session: Session, *, actor: User, values: dict[str, Any]) -> Company:
    company = get_company(session)
    changes = audit.apply_changes(company, values)
    if changes:
        company.updated_at = utcnow()
        audit.record(
            session,
            entity="company",
            entity_id=1,
            action="updated",
            user_id=actor.id,
            changes=changes,
        )
    return company


# accounts ------------------------------------------------------------------------------
def get_account(session: Session, number: int) -> Account:
    account = session.get(Account, number)
    if account is None:
        raise AccountNotFound(f"account {number} does not exist")
    return account


def list_accounts(session: Session, *, kind: AccountKind | None = None) -> list[Account]:
    stmt = select(Account).order_by(Account.number)
    if kind is not None:
        stmt = stmt.where(Account.kind == kind)
    return list(session.scalars(stmt))


def create_account(session: Session, *, actor: User, values: dict[str, Any]) -> Account:
    number, kind = values["number"], values["kind"]
    if session.get(Account, number) is not None:
        raise AccountExists(f"account {number} exists already")
    if (kind is AccountKind.debitor) != (number in DEBITORS):
        raise InvalidAccount("Debitor accounts, and only they, are numbered 10000–69999")
    if (kind is AccountKind.kreditor) != (number in KREDITORS):
        raise InvalidAccount("Kreditor accounts, and only they, are numbered 70000–99999")
    if values.get("tax_code") and session.get(TaxCode, values["tax_code"]) is None:
        raise InvalidAccount(f"tax code {values['tax_code']} does not exist")
    account = Account(**values)
    session.add(account)
    session.flush()
    audit.record(
        session,
        entity="account",
        entity_id=number,
        action="created",
        user_id=actor.id,
        changes=values,
    )
    return account


def bookable_account(session: Session, number: int) -> Account:
    """The account a line may be booked on; a customer's Debitor is opened on first use."""
    account = session.get(Account, number)
    if account is None and number in DEBITORS:
        customer = session.scalar(select(Customer).where(Customer.debitor_account == number))
        if customer is not None:
            account = Account(number=number, name=customer.name, kind=AccountKind.debitor)
            session.add(account)
            session.flush()
    if account is None:
        raise InvalidAccount(f"account {number} does not exist")
    if not account.active:
        raise InvalidAccount(f"account {number} is inactive")
    return account


# periods -------------------------------------------------------------------------------
def ensure_fiscal_year(session: Session, year: int) -> list[Period]:
    periods = list(
        session.scalars(
            select(Period).where(Period.fiscal_year == year).order_by(Period.month_index)
        )
    )
    if periods:
        return periods
    start = get_company(session).fiscal_year_start_month
    for index, (first, last) in enumerate(rules.fiscal_months(year, start), start=1):
        periods.append(Period(fiscal_year=year, month_index=index, first_day=first, last_day=last))
    session.add_all(periods)
    session.flush()
    return periods


class DateOutOfRange(DomainError):
    status, title, slug = 422, "Date out of range", "date-out-of-range"


def list_periods(session: Session, fiscal_year: int | None = None) -> list[Period]:
    stmt = select(Period).order_by(Period.first_day)
    if fiscal_year is not None:
        stmt = stmt.where(Period.fiscal_year == fiscal_year)
    return list(session.scalars(stmt))


def period_of(session: Session, day: date) -> Period:
    year = rules.fiscal_year_of(day, get_company(session).fiscal_year_start_month)
    if not FISCAL_YEARS.start <= year < FISCAL_YEARS.stop:
        raise DateOutOfRange(f"{day} lies outside the fiscal years 2000–2099")
    return next(p for p in ensure_fiscal_year(session, year) if p.first_day <= day <= p.last_day)


def get_period(session: Session, period_id: int) -> Period:
    period = session.get(Period, period_id)
    if period is None:
        raise PeriodNotFound(f"period {period_id} does not exist")
    return period


def close_period(session: Session, *, period_id: int, actor: User) -> Period:
    """Final (GoBD): a closed period takes no more postings and is never reopened."""
    period = get_period(session, period_id)
    if period.closed:
        raise PeriodClosed(f"period {period.first_day:%Y-%m} is closed already")
    drafts = session.scalar(
        select(func.count())
        .select_from(JournalEntry)
        .where(
            JournalEntry.status == EntryStatus.draft,
            JournalEntry.posting_date.between(period.first_day, period.last_day),
        )
    )
    if drafts:
        raise Conflict(f"{drafts} draft entries are dated in this period: post or delete them")
    period.closed_at, period.closed_by_id = utcnow(), actor.id
    audit.record(
        session, entity="fiscal_period", entity_id=period.id, action="closed", user_id=actor.id
    )
    return period


def open_period_for(session: Session, day: date) -> Period:
    period = period_of(session, day)
    if period.closed:
        raise PeriodClosed(f"the period {period.first_day:%Y-%m} is closed: choose a later date")
    return period
