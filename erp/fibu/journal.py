"""The journal: drafts, posting with gapless numbers, reversal (Storno), listing.

Every function runs inside the caller's transaction; a refused operation raises a
DomainError and leaves nothing behind (the request's transaction is rolled back).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from erp import audit
from erp.auth.models import User
from erp.errors import Conflict, NotFound
from erp.fibu import rules
from erp.fibu.models import EntryStatus, JournalEntry, JournalLine, TaxCode
from erp.fibu.service import InvalidAccount, bookable_account, open_period_for
from erp.money import ZERO
from erp.sequences import next_number
from erp.telemetry.metrics_core import JOURNAL_POSTINGS, count_on_commit
from erp.timeutil import business_date, utcnow

JOURNAL_NUMBERS = (1, 999_999_999)
JOURNAL_RANGE = "journal"  # one number range per fiscal year: journal-2026


class EntryNotFound(NotFound):
    slug = "entry-not-found"


class EntryPosted(Conflict):
    """Posted entries are immutable: correct them with a reversal."""

    slug = "entry-posted"


class EntryNotPosted(Conflict):
    slug = "entry-not-posted"


class AlreadyReversed(Conflict):
    slug = "entry-already-reversed"


def _rates(session: Session) -> dict[str, rules.Rate]:
    return {
        code.code: rules.Rate(code.code, code.rate, code.tax_account)
        for code in session.scalars(select(TaxCode))
    }


def _lines(session: Session, given: list[dict[str, Any]]) -> list[rules.Line]:
    """Validate accounts and derive tax lines: a line on an Automatikkonto is net."""
    lines = []
    for position, raw in enumerate(given, start=1):
        account = bookable_account(session, raw["account"])
        code = account.tax_code
        if raw.get("tax_code") and raw["tax_code"] != code:
            raise InvalidAccount(f"line {position}: account {account.number} carries tax {code}")
        lines.append(
            rules.Line(
                account=account.number,
                debit=raw.get("debit") or ZERO,
                credit=raw.get("credit") or ZERO,
                tax_code=code,
                reference=raw.get("reference") or "",
            )
        )
    for position, line in enumerate(lines, start=1):
        problem = rules.line_problem(line)
        if problem:
            raise rules.UnbalancedEntry(f"line {position}: {problem}")
    complete = rules.with_tax_lines(lines, _rates(session))
    rules.check_balanced(complete)
    return complete


def _store_lines(entry: JournalEntry, lines: list[rules.Line], document_number: str) -> None:
    entry.lines = [
        JournalLine(
            position=position,
            account_number=line.account,
            debit=line.debit,
            credit=line.credit,
            tax_code=line.tax_code,
            tax_line=line.tax_line,
            reference=line.reference or document_number,
        )
        for position, line in enumerate(lines, start=1)
    ]


def get_entry(session: Session, entry_id: int) -> JournalEntry:
    entry = session.get(JournalEntry, entry_id, options=[selectinload(JournalEntry.lines)])
    if entry is None:
        raise EntryNotFound(f"journal entry {entry_id} does not exist")
    return entry


def create_entry(
    session: Session, *, actor: User, values: dict[str, Any], post: bool = False
) -> JournalEntry:
    """A draft (or, with ``post``, a posted entry) from header values and ``lines``."""
    posting_date: date = values["posting_date"]
    period = open_period_for(session, posting_date)
    lines = _lines(session, values["lines"])
    entry = JournalEntry(
        fiscal_year=period.fiscal_year,
        document_number=values["document_number"],
        document_date=values["document_date"],
        posting_date=posting_date,
        service_date=values.get("service_date") or values["document_date"],
        due_date=values.get("due_date"),
        text=values["text"],
        created_by_id=actor.id,
    )
    _store_lines(entry, lines, entry.document_number)
    session.add(entry)
    session.flush()
    audit.record(
        session,
        entity="journal_entry",
        entity_id=entry.id,
        action="created",
        user_id=actor.id,
        changes={"document_number": entry.document_number, "lines": len(lines)},
    )
    return post_entry(session, entry_id=entry.id, actor=actor) if post else entry


def update_draft(
    session: Session, *, entry_id: int, actor: User, values: dict[str, Any]
) -> JournalEntry:
    entry = get_entry(session, entry_id)
    if entry.status is EntryStatus.posted:
        raise EntryPosted(f"entry {entry_id} is posted: reverse it instead of changing it")
    header = {k: v for k, v in values.items() if k != "lines"}
    if "posting_date" in header:
        entry.fiscal_year = open_period_for(session, header["posting_date"]).fiscal_year
    changes = audit.apply_changes(entry, header)
    if "lines" in values:
        lines = _lines(session, values["lines"])
        entry.lines.clear()
        session.flush()  # the old lines go first: positions are unique per entry
        _store_lines(entry, lines, entry.document_number)
        changes["lines"] = len(entry.lines)
    audit.record(
        session,
        entity="journal_entry",
        entity_id=entry.id,
        action="updated",
        user_id=actor.id,
        changes=changes,
    )
    return entry


def delete_draft(session: Session, *, entry_id: int, actor: User) -> None:
    entry = get_entry(session, entry_id)
    if entry.status is EntryStatus.posted:
        raise EntryPosted(f"entry {entry_id} is posted: posted entries are never deleted")
    session.delete(entry)
    audit.record(
        session, entity="journal_entry", entity_id=entry_id, action="deleted", user_id=actor.id
    )


def post_entry(session: Session, *, entry_id: int, actor: User) -> JournalEntry:
    """Check the balance once more and draw the next gapless number of the fiscal year."""
    entry = get_entry(session, entry_id)
    if entry.status is EntryStatus.posted:
        raise EntryPosted(f"entry {entry_id} is posted already")
    period = open_period_for(session, entry.posting_date)
    rules.check_balanced(
        [
            rules.Line(account=li.account_number, debit=li.debit, credit=li.credit)
            for li in entry.lines
        ]
    )
    entry.fiscal_year = period.fiscal_year
    entry.number = next_number(
        session,
        f"{JOURNAL_RANGE}-{period.fiscal_year}",
        first=JOURNAL_NUMBERS[0],
        last=JOURNAL_NUMBERS[1],
    )
    entry.status, entry.posted_at, entry.posted_by_id = EntryStatus.posted, utcnow(), actor.id
    session.flush()
    count_on_commit(session, JOURNAL_POSTINGS)
    audit.record(
        session,
        entity="journal_entry",
        entity_id=entry.id,
        action="posted",
        user_id=actor.id,
        changes={"number": entry.number, "fiscal_year": entry.fiscal_year},
    )
    return entry


def reversal_of(session: Session, entry_id: int) -> JournalEntry | None:
    return session.scalar(select(JournalEntry).where(JournalEntry.reverses_id == entry_id))


def reverse_entry(
    session: Session,
    *,
    entry_id: int,
    actor: User,
    posting_date: date | None = None,
    text: str | None = None,
) -> JournalEntry:
    """Storno: a posted entry with every line swapped, referencing the original."""
    original = get_entry(session, entry_id)
    if original.status is not EntryStatus.posted:
        raise EntryNotPosted(f"entry {entry_id} is a draft: change or delete it instead")
    if original.reverses_id is not None:
        raise Conflict(f"entry {entry_id} is itself a reversal")
    if reversal_of(session, entry_id) is not None:
        raise AlreadyReversed(f"entry {entry_id} is reversed already")
    day = posting_date or max(business_date(), original.posting_date)
    period = open_period_for(session, day)
    lines = rules.reversed_lines(
        rules.Line(
            account=li.account_number,
            debit=li.debit,
            credit=li.credit,
            tax_code=li.tax_code,
            tax_line=li.tax_line,
            reference=li.reference,
        )
        for li in original.lines
    )
    reversal = JournalEntry(
        fiscal_year=period.fiscal_year,
        document_number=original.document_number,
        document_date=original.document_date,
        posting_date=day,
        service_date=original.service_date,
        due_date=original.due_date,
        text=(text or f"Storno {original.fiscal_year}/{original.number}: {original.text}")[:120],
        reverses_id=original.id,
        created_by_id=actor.id,
    )
    _store_lines(reversal, lines, original.document_number)
    session.add(reversal)
    session.flush()
    audit.record(
        session,
        entity="journal_entry",
        entity_id=reversal.id,
        action="created",
        user_id=actor.id,
        changes={"reverses": original.id},
    )
    return post_entry(session, entry_id=reversal.id, actor=actor)


def list_entries(
    session: Session,
    *,
    limit: int,
    offset: int,
    status: EntryStatus | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    account: int | None = None,
) -> tuple[list[JournalEntry], int]:
    stmt = select(JournalEntry)
    if status is not None:
        stmt = stmt.where(JournalEntry.status == status)
    if date_from is not None:
        stmt = stmt.where(JournalEntry.posting_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(JournalEntry.posting_date <= date_to)
    if account is not None:
        stmt = stmt.where(
            JournalEntry.id.in_(
                select(JournalLine.entry_id).where(JournalLine.account_number == account)
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.options(selectinload(JournalEntry.lines)).order_by(
        JournalEntry.posting_date.desc(), JournalEntry.id.desc()
    )
    return list(session.scalars(page.limit(limit).offset(offset))), total
