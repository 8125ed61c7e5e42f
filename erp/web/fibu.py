"""FIBU pages: the journal (entries, drafts, posting, reversal).

The periods are in ``erp.web.fibu_periods``; the reports, the UStVA and the DATEV export in
``erp.web.fibu_reports``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from erp.auth.models import Role, User
from erp.deps import DbSession
from erp.errors import DomainError
from erp.fibu import journal, service
from erp.fibu.models import Account, EntryStatus
from erp.fibu.router import entry_reads, line_values
from erp.fibu.schemas import EntryCreate, EntryRead
from erp.schemas import MAX_ID, ObjectId
from erp.timeutil import BERLIN, business_date
from erp.web.forms import PostedForm, errors_by_field, int_input, money_input
from erp.web.security import CsrfChecked, WebAllow
from erp.web.templating import render

router = APIRouter(include_in_schema=False)
FibuPage = Annotated[User, Depends(WebAllow(Role.admin, Role.accounting))]
PAGE_SIZE = 20
LINE_ROWS = 6  # line rows on the entry form; empty rows are ignored
HEADER_FIELDS = (
    "document_number",
    "document_date",
    "posting_date",
    "service_date",
    "due_date",
    "text",
)
DATE_FIELDS = ("document_date", "posting_date", "service_date", "due_date")
LABELS = {
    "document_number": "Belegnummer",
    "document_date": "Belegdatum",
    "posting_date": "Buchungsdatum",
    "service_date": "Leistungsdatum",
    "due_date": "Fälligkeit",
    "text": "Buchungstext",
    "account": "Konto",
    "debit": "Soll",
    "credit": "Haben",
}
HEADER_MESSAGES = {
    "document_number": "Enter 1–36 characters: letters, digits and $ % & * + - . /",
    "text": "Enter a text of at most 60 characters.",
}
DateParam = Annotated[str, Query(max_length=10)]
GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
JOURNAL_NOTICES = {"deleted": "The draft was deleted."}
ENTRY_NOTICES = {
    "saved": "Saved as a draft: post it when it is complete.",
    "posted": "Posted.",
    "reversed": "Posted the reversal (Storno).",
}


class FormProblem(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def form_fields(form: FormData) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def date_input(raw: str) -> str:
    """Accept ISO dates (what date inputs send) and German ones ("31.12.2025") as ISO."""
    match = GERMAN_DATE.fullmatch(raw.strip())
    if match:
        day, month, year = (int(part) for part in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return raw.strip()


def parse_day(raw: str, key: str, label: str, errors: dict[str, str]) -> date | None:
    """The date in a query parameter; '' is None, a wrong one goes to ``errors``."""
    if not raw.strip():
        return None
    try:
        return date.fromisoformat(date_input(raw))
    except ValueError:
        errors[key] = f"{label}: enter a date such as {business_date():%Y-%m-%d}."
        return None


def account_names(db: Session, numbers: set[int]) -> dict[int, str]:
    if not numbers:
        return {}
    stmt = select(Account.number, Account.name).where(Account.number.in_(numbers))
    return dict(db.execute(stmt).all())


def entry_label(entry: EntryRead) -> str:
    """2026/17 for a posted entry, "draft 12" for a draft (by its id)."""
    if entry.number is None:
        return f"draft {entry.id}"
    return f"{entry.fiscal_year}/{entry.number}"


# The journal ---------------------------------------------------------------------------
def _blank_entry() -> dict[str, str]:
    today = business_date().isoformat()
    return {"document_date": today, "posting_date": today}


def _journal(
    request: Request,
    db: DbSession,
    user: User,
    *,
    status: Literal["", "draft", "posted"] = "",
    date_from: str = "",
    date_to: str = "",
    offset: int = 0,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    entry_error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    filter_errors: dict[str, str] = {}
    first = parse_day(date_from, "date_from", "From", filter_errors)
    last = parse_day(date_to, "date_to", "To", filter_errors)
    rows, total = journal.list_entries(
        db,
        limit=PAGE_SIZE,
        offset=offset,
        status=EntryStatus(status) if status else None,
        date_from=first,
        date_to=last,
    )
    entries = entry_reads(db, rows)
    context = {
        "entries": entries,
        "labels": {e.id: entry_label(e) for e in entries},
        "total": total,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "filters": {"status": status, "date_from": date_from, "date_to": date_to},
        "filter_errors": filter_errors,
        "values": values or _blank_entry(),
        "errors": errors or {},
        "entry_error": entry_error,
        "show_form": values is not None,
        "rows": range(1, LINE_ROWS + 1),
        "accounts": service.list_accounts(db),
        "notice": notice,
    }
    if filter_errors and status_code == 200:
        status_code = 422
    return render(request, "fibu_journal.html", context, user=user, status_code=status_code)


@router.get("/fibu/journal")
def journal_page(
    request: Request,
    db: DbSession,
    user: FibuPage,
    status: Literal["", "draft", "posted"] = "",
    date_from: DateParam = "",
    date_to: DateParam = "",
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    done: Literal["deleted"] | None = None,
) -> Response:
    return _journal(
        request,
        db,
        user,
        status=status,
        date_from=date_from,
        date_to=date_to,
        offset=offset,
        notice=JOURNAL_NOTICES.get(done or ""),
    )


def _amount(raw: str) -> str | None:
    """A Soll or Haben cell: empty (or zero) is no amount."""
    if not raw:
        return None
    try:
        value = money_input(raw)
    except ArithmeticError:  # beyond Decimal's precision ("1e50"): left for the schema to refuse
        return raw
    return None if value == "0.00" else value


def _line_message(field: str, message: str) -> str:
    if field in {"debit", "credit"}:
        return f"{LABELS[field]}: enter a positive amount such as 1.190,00."
    if field == "account":
        return "Konto: enter an account number (1–99999)."
    if "exactly one" in message:
        return "Enter an amount under Soll or under Haben, not both."
    return message


def _entry_errors(exc: ValidationError, row_of: list[int]) -> dict[str, str]:
    """Header errors by field; line errors by the form's row ("line_3")."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ("form",)
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        if loc[0] == "lines" and len(loc) >= 2 and isinstance(loc[1], int):
            key = f"line_{row_of[loc[1]]}"
            errors.setdefault(key, _line_message(str(loc[2]) if len(loc) > 2 else "", message))
        elif loc[0] == "lines":
            errors.setdefault("lines", "Enter at least two lines (Konto and Soll or Haben).")
        elif str(loc[0]) in HEADER_MESSAGES:
            errors.setdefault(str(loc[0]), HEADER_MESSAGES[str(loc[0])])
        elif str(loc[0]) in DATE_FIELDS:
            errors.setdefault(str(loc[0]), "Enter a date.")
    return errors or errors_by_field(exc)


def entry_values(values: dict[str, str]) -> dict[str, Any]:
    """The service's values from the form; a FormProblem names the fields to correct."""
    lines: list[dict[str, Any]] = []
    row_of: list[int] = []
    for row in range(1, LINE_ROWS + 1):
        account, debit, credit = (
            values.get(f"{k}_{row}", "") for k in ("account", "debit", "credit")
        )
        if not (account or debit or credit):
            continue
        lines.append(
            {"account": int_input(account), "debit": _amount(debit), "credit": _amount(credit)}
        )
        row_of.append(row)
    data: dict[str, Any] = {k: values.get(k, "") for k in HEADER_FIELDS}
    for key in DATE_FIELDS:
        data[key] = date_input(data[key]) or None
    data["lines"] = lines
    try:
        body = EntryCreate.model_validate(data)
    except ValidationError as exc:
        raise FormProblem(_entry_errors(exc, row_of)) from exc
    return {**body.model_dump(exclude={"post", "lines"}), "lines": line_values(body.lines)}


@router.post("/fibu/journal", dependencies=[CsrfChecked])
def create_entry(request: Request, db: DbSession, user: FibuPage, form: PostedForm) -> Response:
    values = form_fields(form)
    post = values.get("action") == "post"
    try:
        checked = entry_values(values)
        with db.begin_nested():  # a refused entry leaves nothing behind (not even periods)
            entry = journal.create_entry(db, actor=user, values=checked, post=post)
    except FormProblem as exc:
        return _journal(request, db, user, values=values, errors=exc.errors, status_code=422)
    except DomainError as exc:
        return _journal(
            request, db, user, values=values, entry_error=exc.detail, status_code=exc.status
        )
    done = "posted" if post else "saved"
    return RedirectResponse(f"/fibu/journal/{entry.id}?done={done}", status_code=303)


def _entry_page(
    request: Request,
    db: DbSession,
    user: User,
    entry_id: int,
    *,
    notice: str | None = None,
    form_error: str | None = None,
    status_code: int = 200,
) -> Response:
    [entry] = entry_reads(db, [journal.get_entry(db, entry_id)])
    related = [i for i in (entry.reverses_id, entry.reversed_by_id) if i is not None]
    others = {e.id: e for e in entry_reads(db, [journal.get_entry(db, i) for i in related])}
    context = {
        "entry": entry,
        "label": entry_label(entry),
        "original": others.get(entry.reverses_id or 0),
        "reversal": others.get(entry.reversed_by_id or 0),
        "labels": {i: entry_label(e) for i, e in others.items()},
        "names": account_names(db, {li.account_number for li in entry.lines}),
        "debit": sum(li.debit for li in entry.lines),
        "credit": sum(li.credit for li in entry.lines),
        "posted_at": entry.posted_at.astimezone(BERLIN) if entry.posted_at else None,
        "can_reverse": entry.status is EntryStatus.posted
        and entry.reverses_id is None
        and entry.reversed_by_id is None,
        "notice": notice,
        "form_error": form_error,
    }
    return render(request, "fibu_entry.html", context, user=user, status_code=status_code)


@router.get("/fibu/journal/{entry_id}")
def entry_page(
    entry_id: ObjectId,
    request: Request,
    db: DbSession,
    user: FibuPage,
    done: Literal["saved", "posted", "reversed"] | None = None,
) -> Response:
    return _entry_page(request, db, user, entry_id, notice=ENTRY_NOTICES.get(done or ""))


@router.post("/fibu/journal/{entry_id}/post", dependencies=[CsrfChecked])
def post_entry(entry_id: ObjectId, request: Request, db: DbSession, user: FibuPage) -> Response:
    try:
        with db.begin_nested():
            journal.post_entry(db, entry_id=entry_id, actor=user)
    except DomainError as exc:
        return _entry_page(
            request, db, user, entry_id, form_error=exc.detail, status_code=exc.status
        )
    return RedirectResponse(f"/fibu/journal/{entry_id}?done=posted", status_code=303)


@router.post("/fibu/journal/{entry_id}/delete", dependencies=[CsrfChecked])
def delete_entry(entry_id: ObjectId, request: Request, db: DbSession, user: FibuPage) -> Response:
    try:
        with db.begin_nested():
            journal.delete_draft(db, entry_id=entry_id, actor=user)
    except DomainError as exc:
        return _entry_page(
            request, db, user, entry_id, form_error=exc.detail, status_code=exc.status
        )
    return RedirectResponse("/fibu/journal?done=deleted", status_code=303)


@router.post("/fibu/journal/{entry_id}/reverse", dependencies=[CsrfChecked])
def reverse_entry(
    entry_id: ObjectId, request: Request, db: DbSession, user: FibuPage, form: PostedForm
) -> Response:
    errors: dict[str, str] = {}
    day = parse_day(
        form_fields(form).get("posting_date", ""), "posting_date", "Buchungsdatum", errors
    )
    if errors:
        return _entry_page(
            request, db, user, entry_id, form_error=errors["posting_date"], status_code=422
        )
    try:
        with db.begin_nested():
            reversal = journal.reverse_entry(db, entry_id=entry_id, actor=user, posting_date=day)
    except DomainError as exc:
        return _entry_page(
            request, db, user, entry_id, form_error=exc.detail, status_code=exc.status
        )
    return RedirectResponse(f"/fibu/journal/{reversal.id}?done=reversed", status_code=303)
