"""FIBU API: company, chart of accounts, periods, the journal and its audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp import audit
from erp.auth.models import Role, User
from erp.deps import Allow, DbSession
from erp.fibu import journal, service
from erp.fibu.models import AccountKind, EntryStatus, JournalEntry, TaxCode
from erp.fibu.schemas import (
    AccountCreate,
    AccountRead,
    AuditRead,
    CompanyRead,
    CompanyUpdate,
    EntryCreate,
    EntryRead,
    EntryUpdate,
    FiscalYearOpen,
    LineIn,
    PeriodRead,
    ReverseRequest,
    TaxCodeRead,
)
from erp.openapi_links import conflict, created
from erp.schemas import IsoDate, ObjectId, Page, PageParams, page_params

router = APIRouter(tags=["fibu"])
Accountant = Annotated[User, Depends(Allow(Role.admin, Role.accounting))]
Paging = Annotated[PageParams, Depends(page_params)]
AccountPath = ObjectId  # an unknown number is a 404, like any unknown id
FIBU_ENTITIES = ("company", "account", "fiscal_period", "journal_entry")
ENTRY_LINKS = {
    "GetEntry": "getJournalEntry",
    "UpdateEntry": "updateJournalEntry",
    "DeleteEntry": "deleteJournalEntry",
    "PostEntry": "postJournalEntry",
    "ReverseEntry": "reverseJournalEntry",
}
POSTED = conflict("The entry is posted (immutable), already reversed, or its period is closed")


def line_values(lines: list[LineIn]) -> list[dict[str, Any]]:
    """The lines as the service takes them (Decimals, not their JSON strings)."""
    return [
        {"account": li.account, "debit": li.debit, "credit": li.credit, "reference": li.reference}
        for li in lines
    ]


def entry_reads(db: Session, entries: list[JournalEntry]) -> list[EntryRead]:
    """Entries with the id of their reversal, found in one query for the whole page."""
    ids = [e.id for e in entries]
    rows = db.execute(
        select(JournalEntry.reverses_id, JournalEntry.id).where(JournalEntry.reverses_id.in_(ids))
    )
    reversals = {row.reverses_id: row.id for row in rows}
    return [
        EntryRead.model_validate(e).model_copy(update={"reversed_by_id": reversals.get(e.id)})
        for e in entries
    ]


@router.get("/company")
def get_company(_user: Accountant, db: DbSession) -> CompanyRead:
    """The bookkeeping company: tax numbers, DATEV numbers, fiscal year."""
    return CompanyRead.model_validate(service.get_company(db))


@router.patch("/company")
def update_company(body: CompanyUpdate, user: Accountant, db: DbSession) -> CompanyRead:
    """Change the fields sent; every change is in the audit trail."""
    return CompanyRead.model_validate(service.update_company(db, actor=user, values=body.changes()))


@router.get("/tax-codes")
def list_tax_codes(_user: Accountant, db: DbSession) -> list[TaxCodeRead]:
    """VAT rates and the accounts their tax is booked on."""
    codes = db.scalars(select(TaxCode).order_by(TaxCode.code))
    return [TaxCodeRead.model_validate(c) for c in codes]


@router.get("/accounts")
def list_accounts(
    _user: Accountant, db: DbSession, kind: AccountKind | None = None
) -> list[AccountRead]:
    """The chart of accounts (SKR03) with the personal accounts opened so far."""
    return [AccountRead.model_validate(a) for a in service.list_accounts(db, kind=kind)]


@router.post(
    "/accounts",
    status_code=status.HTTP_201_CREATED,
    responses={**created("account", "account_number"), **conflict("The number is taken")},
)
def create_account(
    body: AccountCreate, user: Accountant, db: DbSession, response: Response
) -> AccountRead:
    """Open an account (Kreditoren 70000–99999, Debitoren 10000–69999, Sachkonten)."""
    account = service.create_account(db, actor=user, values=body.model_dump())
    response.headers["Location"] = f"/api/v1/accounts/{account.number}"
    return AccountRead.model_validate(account)


@router.get("/accounts/{account_number}")
def get_account(account_number: AccountPath, _user: Accountant, db: DbSession) -> AccountRead:
    """One account."""
    return AccountRead.model_validate(service.get_account(db, account_number))


@router.get("/periods")
def list_periods(
    _user: Accountant,
    db: DbSession,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2099)] = None,
) -> list[PeriodRead]:
    """The months of the opened fiscal years, open or closed."""
    return [PeriodRead.model_validate(p) for p in service.list_periods(db, fiscal_year)]


@router.post("/fiscal-years")
def open_fiscal_year(body: FiscalYearOpen, _user: Accountant, db: DbSession) -> list[PeriodRead]:
    """Open a fiscal year's twelve periods (a first posting opens them too)."""
    return [PeriodRead.model_validate(p) for p in service.ensure_fiscal_year(db, body.year)]


@router.post(
    "/periods/{period_id}/close", responses=conflict("Closed already, or drafts are dated in it")
)
def close_period(period_id: ObjectId, user: Accountant, db: DbSession) -> PeriodRead:
    """Close a period for good: no more postings dated in it (GoBD)."""
    return PeriodRead.model_validate(service.close_period(db, period_id=period_id, actor=user))


@router.get("/journal-entries")
def list_journal_entries(
    _user: Accountant,
    db: DbSession,
    page: Paging,
    status: EntryStatus | None = None,
    date_from: Annotated[IsoDate | None, Query(description="First posting date")] = None,
    date_to: Annotated[IsoDate | None, Query(description="Last posting date")] = None,
    account: Annotated[int | None, Query(ge=1, le=99999)] = None,
) -> Page[EntryRead]:
    """Journal entries, newest posting date first."""
    rows, total = journal.list_entries(
        db,
        limit=page.limit,
        offset=page.offset,
        status=status,
        date_from=date_from,
        date_to=date_to,
        account=account,
    )
    return Page[EntryRead](
        items=entry_reads(db, rows), total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/journal-entries",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created("journal entry", "entry_id", **ENTRY_LINKS),
        **conflict("The posting date lies in a closed period"),
    },
)
def create_journal_entry(
    body: EntryCreate, user: Accountant, db: DbSession, response: Response
) -> EntryRead:
    """Save a draft, or post at once with ``post``; unbalanced entries are refused (422)."""
    values = body.model_dump(exclude={"post", "lines"})
    values["lines"] = line_values(body.lines)
    entry = journal.create_entry(db, actor=user, values=values, post=body.post)
    response.headers["Location"] = f"/api/v1/journal-entries/{entry.id}"
    return entry_reads(db, [entry])[0]


@router.get("/journal-entries/{entry_id}")
def get_journal_entry(entry_id: ObjectId, _user: Accountant, db: DbSession) -> EntryRead:
    """One entry with its lines (tax lines included) and its reversal, if any."""
    return entry_reads(db, [journal.get_entry(db, entry_id)])[0]


@router.patch("/journal-entries/{entry_id}", responses=POSTED)
def update_journal_entry(
    entry_id: ObjectId, body: EntryUpdate, user: Accountant, db: DbSession
) -> EntryRead:
    """Change a draft; posted entries are immutable (409)."""
    values = body.changes()
    if body.lines is not None:
        values["lines"] = line_values(body.lines)
    entry = journal.update_draft(db, entry_id=entry_id, actor=user, values=values)
    return entry_reads(db, [entry])[0]


@router.delete(
    "/journal-entries/{entry_id}", status_code=status.HTTP_204_NO_CONTENT, responses=POSTED
)
def delete_journal_entry(entry_id: ObjectId, user: Accountant, db: DbSession) -> None:
    """Delete a draft; posted entries are never deleted (409)."""
    journal.delete_draft(db, entry_id=entry_id, actor=user)


@router.post("/journal-entries/{entry_id}/post", responses=POSTED)
def post_journal_entry(entry_id: ObjectId, user: Accountant, db: DbSession) -> EntryRead:
    """Post a draft: it gets the next gapless number of its fiscal year."""
    entry = journal.post_entry(db, entry_id=entry_id, actor=user)
    return entry_reads(db, [entry])[0]


@router.post(
    "/journal-entries/{entry_id}/reverse",
    status_code=status.HTTP_201_CREATED,
    responses={**created("reversal", "entry_id", GetReversal="getJournalEntry"), **POSTED},
)
def reverse_journal_entry(
    entry_id: ObjectId, body: ReverseRequest, user: Accountant, db: DbSession, response: Response
) -> EntryRead:
    """Storno: post the mirror entry referencing the original (which stays unchanged)."""
    reversal = journal.reverse_entry(
        db, entry_id=entry_id, actor=user, posting_date=body.posting_date, text=body.text
    )
    response.headers["Location"] = f"/api/v1/journal-entries/{reversal.id}"
    return entry_reads(db, [reversal])[0]


@router.get("/fibu/audit")
def list_fibu_audit(
    _user: Accountant,
    db: DbSession,
    page: Paging,
    entity: Annotated[
        str | None, Query(pattern="^(company|account|fiscal_period|journal_entry)$")
    ] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Page[AuditRead]:
    """Who changed which bookkeeping record, and when (newest first)."""
    stmt = select(audit.AuditEntry).where(
        audit.AuditEntry.entity.in_([entity] if entity else FIBU_ENTITIES)
    )
    if entity_id is not None:
        stmt = stmt.where(audit.AuditEntry.entity_id == entity_id)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(
        stmt.order_by(audit.AuditEntry.id.desc()).limit(page.limit).offset(page.offset)
    )
    items = [AuditRead.model_validate(r) for r in rows]
    return Page[AuditRead](items=items, total=total, limit=page.limit, offset=page.offset)
