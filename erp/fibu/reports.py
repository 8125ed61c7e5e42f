"""FIBU reports: Summen- und Saldenliste, GuV, Bilanz, Kontoblatt (the OP-Liste: open_items).

Only posted entries count. The database sums integer cents (``Cents``), so every amount is
an exact Decimal. Each report is a fixed, small number of grouped queries (no N+1); the
results are the API's response models (``erp.fibu.report_schemas``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, type_coerce
from sqlalchemy.orm import Session

from erp.cache import FigureCache, remember, remember_json
from erp.errors import DomainError
from erp.fibu import rules, service
from erp.fibu.journal import JOURNAL_RANGE
from erp.fibu.models import Account, AccountKind, EntryStatus, JournalEntry, JournalLine
from erp.fibu.report_schemas import (
    AccountAmount,
    BalanceRow,
    BalanceSheet,
    Ledger,
    LedgerLine,
    ProfitAndLoss,
    TrialBalance,
)
from erp.money import ZERO, Cents
from erp.sequences import NumberRange

PROFIT_AND_LOSS_KINDS = (AccountKind.revenue, AccountKind.expense)
ASSET_KINDS = (AccountKind.asset, AccountKind.debitor)
LIABILITY_KINDS = (AccountKind.liability, AccountKind.kreditor)
# debit − credit in cents: a plain subtraction of two Cents columns would come back as an int.
NET = type_coerce(JournalLine.debit - JournalLine.credit, Cents())
POSTED = JournalEntry.status == EntryStatus.posted


class InvalidDateRange(DomainError):
    status, title, slug = 422, "Invalid date range", "invalid-date-range"


def ledger_version(session: Session) -> str:
    """The ledger's state, for cache keys: each fiscal year's next posting number.

    Posting draws its number from a locked number range inside the posting transaction, and a
    posted entry never changes (corrections are new postings): so while these numbers stand,
    every report on posted entries stands. Drafts are in no report.
    """
    ranges = session.execute(
        select(NumberRange.name, NumberRange.next_value)
        .where(NumberRange.name.like(f"{JOURNAL_RANGE}-%"))
        .order_by(NumberRange.name)
    )
    return ",".join(f"{name.removeprefix(JOURNAL_RANGE + '-')}.{n}" for name, n in ranges) or "0"


def check_range(date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise InvalidDateRange(f"date_from {date_from} is after date_to {date_to}")


def fiscal_year_start(session: Session, day: date) -> date:
    """The first day of the fiscal year containing ``day``."""
    start_month = service.get_company(session).fiscal_year_start_month
    year = rules.fiscal_year_of(day, start_month)
    # There is no year 0: the fiscal year holding January of year 1 began "before time".
    return date(year, start_month, 1) if year >= 1 else date.min


def total(amounts: Sequence[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def _sum_where(condition: ColumnElement[bool], amount: Any) -> ColumnElement[Decimal]:
    return func.coalesce(func.sum(case((condition, amount), else_=ZERO)), ZERO)


def _balance_rows(
    session: Session,
    date_from: date,
    date_to: date,
    kinds: Sequence[AccountKind] | None = None,
    with_opening: bool = True,
) -> list[BalanceRow]:
    """Per account: net before ``date_from``, debit and credit within the range (one query).

    Without ``with_opening`` only accounts with lines in the range are returned (opening 0).
    """
    in_range = JournalEntry.posting_date >= date_from
    stmt = (
        select(
            Account.number,
            Account.name,
            Account.kind,
            _sum_where(~in_range, NET).label("opening"),
            _sum_where(in_range, JournalLine.debit).label("debit"),
            _sum_where(in_range, JournalLine.credit).label("credit"),
        )
        .select_from(Account)
        .join(JournalLine, JournalLine.account_number == Account.number)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(POSTED, JournalEntry.posting_date <= date_to)
        .group_by(Account.number, Account.name, Account.kind)
        .order_by(Account.number)
    )
    if kinds is not None:
        stmt = stmt.where(Account.kind.in_(kinds))
    if not with_opening:
        stmt = stmt.where(in_range)
    return [
        BalanceRow(
            number=row.number,
            name=row.name,
            kind=row.kind,
            opening=row.opening,
            debit=row.debit,
            credit=row.credit,
            closing=row.opening + row.debit - row.credit,
        )
        for row in session.execute(stmt)
    ]


def trial_balance(session: Session, date_from: date, date_to: date) -> TrialBalance:
    """Summen- und Saldenliste: every account with a posted line up to ``date_to``."""
    check_range(date_from, date_to)
    rows = _balance_rows(session, date_from, date_to)
    return TrialBalance(
        date_from=date_from,
        date_to=date_to,
        rows=rows,
        opening=total([r.opening for r in rows]),
        debit=total([r.debit for r in rows]),
        credit=total([r.credit for r in rows]),
        closing=total([r.closing for r in rows]),
    )


def _amounts(rows: Sequence[BalanceRow], *, credit_side: bool) -> list[AccountAmount]:
    """Closing balances, positive on the side the accounts usually are on."""
    return [
        AccountAmount(
            number=r.number,
            name=r.name,
            kind=r.kind,
            amount=ZERO - r.closing if credit_side else r.closing,
        )
        for r in rows
    ]


def profit_and_loss(session: Session, date_from: date, date_to: date) -> ProfitAndLoss:
    """GuV: revenues (credit − debit) and expenses (debit − credit) booked in the range."""
    check_range(date_from, date_to)
    rows = _balance_rows(session, date_from, date_to, PROFIT_AND_LOSS_KINDS, with_opening=False)
    revenues = _amounts([r for r in rows if r.kind is AccountKind.revenue], credit_side=True)
    expenses = _amounts([r for r in rows if r.kind is AccountKind.expense], credit_side=False)
    total_revenue = total([a.amount for a in revenues])
    total_expenses = total([a.amount for a in expenses])
    return ProfitAndLoss(
        date_from=date_from,
        date_to=date_to,
        revenues=revenues,
        expenses=expenses,
        total_revenue=total_revenue,
        total_expenses=total_expenses,
        result=total_revenue - total_expenses,
    )


def balance_sheet(session: Session, as_of: date) -> BalanceSheet:
    """Bilanz on ``as_of``: closing balances of the balance accounts, plus the result.

    Personal accounts keep their side whatever their sign (a Debitor in credit is an asset
    with a negative amount): simple, and the sheet always balances. Nothing closes the
    revenue and expense accounts at year end yet, so what they hold from earlier fiscal
    years is shown as ``prior_years_result``.
    """
    start = fiscal_year_start(session, as_of)
    rows = _balance_rows(session, start, as_of)

    def of(kinds: Sequence[AccountKind]) -> list[BalanceRow]:
        return [r for r in rows if r.kind in kinds]

    assets = _amounts(of(ASSET_KINDS), credit_side=False)
    liabilities = _amounts(of(LIABILITY_KINDS), credit_side=True)
    equity = _amounts(of((AccountKind.equity,)), credit_side=True)
    results = of(PROFIT_AND_LOSS_KINDS)
    prior_years_result = ZERO - total([r.opening for r in results])
    result = total([r.credit - r.debit for r in results])
    total_liabilities = total([a.amount for a in liabilities])
    total_equity = total([a.amount for a in equity])
    return BalanceSheet(
        as_of=as_of,
        fiscal_year_start=start,
        assets=assets,
        liabilities=liabilities,
        equity=equity,
        total_assets=total([a.amount for a in assets]),
        total_liabilities=total_liabilities,
        total_equity=total_equity,
        prior_years_result=prior_years_result,
        result=result,
        total_liabilities_and_equity=total_liabilities + total_equity + prior_years_result + result,
    )


def _counter_accounts(session: Session, account: int, entry_ids: Any) -> dict[int, list[int]]:
    """Per entry: its other accounts without tax lines (DATEV's Gegenkonto), in one query."""
    stmt = (
        select(JournalLine.entry_id, JournalLine.account_number)
        .where(
            JournalLine.entry_id.in_(entry_ids),
            JournalLine.account_number != account,
            JournalLine.tax_line.is_(False),
        )
        .distinct()
        .order_by(JournalLine.entry_id, JournalLine.account_number)
    )
    counters: dict[int, list[int]] = defaultdict(list)
    for entry_id, number in session.execute(stmt):
        counters[entry_id].append(number)
    return counters


def account_ledger(
    session: Session,
    account_number: int,
    date_from: date,
    date_to: date,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> Ledger:
    """Kontoblatt: the opening balance, then each posted line with the running balance.

    ``limit``/``offset`` page the lines (a bank account collects thousands a year); the
    opening, totals and closing are always the whole range's.
    """
    check_range(date_from, date_to)
    account = service.get_account(session, account_number)
    posted_on_account = (JournalLine.account_number == account_number, POSTED)
    in_range = JournalEntry.posting_date >= date_from
    # One pass over the account's lines up to date_to for the opening and the range's totals.
    opening, count, debit, credit = session.execute(
        select(
            _sum_where(~in_range, NET),
            func.count(case((in_range, 1))),
            _sum_where(in_range, JournalLine.debit),
            _sum_where(in_range, JournalLine.credit),
        )
        .select_from(JournalLine)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(*posted_on_account, JournalEntry.posting_date <= date_to)
    ).one()
    # Columns, not ORM objects: a page is up to a thousand lines, read once.
    ordered = (
        select(
            JournalEntry.id,
            JournalEntry.posting_date,
            JournalEntry.fiscal_year,
            JournalEntry.number,
            JournalEntry.document_number,
            JournalEntry.text,
            JournalLine.debit,
            JournalLine.credit,
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(*posted_on_account, JournalEntry.posting_date.between(date_from, date_to))
        .order_by(
            JournalEntry.posting_date,
            JournalEntry.fiscal_year,
            JournalEntry.number,
            JournalLine.position,
        )
    )
    balance = opening
    if offset:
        skipped = ordered.with_only_columns(NET.label("net")).limit(offset).subquery()
        balance += session.scalar(select(func.sum(skipped.c.net))) or ZERO
    page = session.execute(ordered.limit(limit).offset(offset)).all()
    counters = _counter_accounts(session, account_number, sorted({row.id for row in page}))
    lines = []
    for row in page:
        balance = balance + row.debit - row.credit
        lines.append(
            LedgerLine(
                posting_date=row.posting_date,
                fiscal_year=row.fiscal_year,
                entry_number=row.number,
                document_number=row.document_number,
                text=row.text,
                counter_accounts=counters[row.id],
                debit=row.debit,
                credit=row.credit,
                balance=balance,
            )
        )
    return Ledger(
        number=account.number,
        name=account.name,
        kind=account.kind,
        date_from=date_from,
        date_to=date_to,
        opening=opening,
        lines=lines,
        line_count=count,
        offset=offset,
        debit=debit,
        credit=credit,
        closing=opening + debit - credit,
    )


# The same reports through the figure cache, keyed by the ledger's version (see
# ``ledger_version``): a repeated report costs one small query until the next posting.


def cached_trial_balance(
    cache: FigureCache, session: Session, date_from: date, date_to: date
) -> TrialBalance:
    version = ledger_version(session)
    return remember(
        cache,
        TrialBalance,
        (date_from, date_to),
        version,
        lambda: trial_balance(session, date_from, date_to),
    )


def cached_trial_balance_json(
    cache: FigureCache, session: Session, date_from: date, date_to: date
) -> bytes:
    """``cached_trial_balance`` as the JSON the API sends (the same cache entry)."""
    return remember_json(
        cache,
        TrialBalance,
        (date_from, date_to),
        ledger_version(session),
        lambda: trial_balance(session, date_from, date_to).model_dump_json().encode(),
    )


def cached_profit_and_loss(
    cache: FigureCache, session: Session, date_from: date, date_to: date
) -> ProfitAndLoss:
    version = ledger_version(session)
    return remember(
        cache,
        ProfitAndLoss,
        (date_from, date_to),
        version,
        lambda: profit_and_loss(session, date_from, date_to),
    )


def cached_balance_sheet(cache: FigureCache, session: Session, as_of: date) -> BalanceSheet:
    # The fiscal year's start is the company's setting: part of the version, like the ledger.
    version = f"{ledger_version(session)}/{fiscal_year_start(session, as_of)}"
    return remember(cache, BalanceSheet, (as_of,), version, lambda: balance_sheet(session, as_of))
