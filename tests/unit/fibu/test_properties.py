"""Property-based: whatever valid postings, reversals and failures happen, the books hold.

Each example runs a random sequence of operations, each in its own savepoint (as a request
has its own transaction), then checks every invariant over the whole journal.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp import audit
from erp.auth.models import User
from erp.errors import DomainError
from erp.fibu import journal
from erp.fibu.models import EntryStatus, JournalEntry, JournalLine

ACCOUNTS = (1000, 1200, 1400, 1600, 4120, 4210, 8300, 8400, 3400, 800)
START = date(2026, 1, 1)
cents = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c).scaleb(-2))
day = st.integers(min_value=0, max_value=500).map(lambda d: START + timedelta(days=d))


@st.composite
def balanced_lines(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Debit lines, then credit lines with the same total (tax lines come on top)."""
    debits = draw(st.lists(cents, min_size=1, max_size=3))
    total = sum(debits, Decimal(0))
    splits = draw(st.integers(min_value=1, max_value=3))
    credits = [(total / splits).quantize(Decimal("0.01")) for _ in range(splits - 1)]
    credits.append(total - sum(credits, Decimal(0)))
    lines = [{"account": draw(st.sampled_from(ACCOUNTS)), "debit": d} for d in debits]
    lines += [{"account": draw(st.sampled_from(ACCOUNTS)), "credit": c} for c in credits if c > 0]
    return lines if len(lines) >= 2 else [*lines, {"account": 1000, "credit": total}]


operation = st.one_of(
    st.tuples(st.just("post"), day, balanced_lines()),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50)),
    st.tuples(st.just("unbalanced"), day, balanced_lines()),
    st.tuples(st.just("crash-while-posting"), day, balanced_lines()),
)


def run(db: Session, actor: User, op: tuple[Any, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    kind = op[0]

    def values(posting_date: date, lines: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "document_number": "P-1",
            "document_date": posting_date,
            "posting_date": posting_date,
            "text": kind,
            "lines": lines,
        }

    try:
        with db.begin_nested():
            if kind == "post":
                journal.create_entry(db, actor=actor, values=values(op[1], op[2]), post=True)
            elif kind == "reverse":
                posted = db.scalars(
                    select(JournalEntry.id).where(JournalEntry.status == EntryStatus.posted)
                ).all()
                if posted:
                    target = posted[op[1] % len(posted)]
                    journal.reverse_entry(db, entry_id=target, actor=actor, posting_date=START)
            elif kind == "unbalanced":
                lines = [*op[2], {"account": 1000, "debit": Decimal("0.01")}]
                journal.create_entry(db, actor=actor, values=values(op[1], lines), post=True)
            else:  # the process dies after the number was drawn, before the audit entry
                with monkeypatch.context() as patch:
                    patch.setattr(audit, "record", _crash_on_posted)
                    journal.create_entry(db, actor=actor, values=values(op[1], op[2]), post=True)
    except (DomainError, SystemError):
        pass  # refused or crashed: the savepoint is rolled back, nothing may remain


def _crash_on_posted(*_args: Any, action: str, **_kw: Any) -> None:
    if action == "posted":
        raise SystemError("crash after drawing the number")


def snapshot(db: Session) -> dict[int, list[tuple[int, Decimal, Decimal]]]:
    lines = db.execute(
        select(
            JournalLine.entry_id, JournalLine.account_number, JournalLine.debit, JournalLine.credit
        )
        .join(JournalEntry)
        .where(JournalEntry.status == EntryStatus.posted)
        .order_by(JournalLine.entry_id, JournalLine.position)
    )
    result: dict[int, list[tuple[int, Decimal, Decimal]]] = defaultdict(list)
    for entry_id, account, debit, credit in lines:
        result[entry_id].append((account, debit, credit))
    return dict(result)


def check_invariants(db: Session, before: dict[int, list[tuple[int, Decimal, Decimal]]]) -> None:
    posted = snapshot(db)
    for entry_id, lines in before.items():  # posted entries never change
        assert posted[entry_id] == lines
    for lines in posted.values():  # every entry balances
        assert sum(d for _, d, _ in lines) == sum(c for _, _, c in lines)
    balances = db.execute(
        select(JournalLine.account_number, func.sum(JournalLine.debit - JournalLine.credit))
        .join(JournalEntry)
        .where(JournalEntry.status == EntryStatus.posted)
        .group_by(JournalLine.account_number)
    ).all()
    assert sum((Decimal(b) for _, b in balances), Decimal(0)) == 0  # the trial balance sums to 0
    numbers: dict[int, list[int]] = defaultdict(list)
    for year, number in db.execute(
        select(JournalEntry.fiscal_year, JournalEntry.number).where(
            JournalEntry.number.is_not(None)
        )
    ):
        assert number is not None
        numbers[year].append(number)
    for year_numbers in numbers.values():  # gapless from 1
        assert sorted(year_numbers) == list(range(1, len(year_numbers) + 1))
    for original_id, reversal_id in db.execute(
        select(JournalEntry.reverses_id, JournalEntry.id).where(
            JournalEntry.reverses_id.is_not(None)
        )
    ):
        assert original_id is not None
        net: dict[int, Decimal] = defaultdict(Decimal)
        for account, debit, credit in posted[original_id] + posted[reversal_id]:
            net[account] += debit - credit
        assert set(net.values()) <= {Decimal(0)}  # a reversal nets its entry to zero


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_any_sequence_keeps_the_books_balanced_immutable_and_gapless(
    db: Session, accountant: User, monkeypatch: pytest.MonkeyPatch, ops: list[tuple[Any, ...]]
) -> None:
    for op in ops:
        before = snapshot(db)
        run(db, accountant, op, monkeypatch)
        check_invariants(db, before)


def test_a_posting_that_fails_halfway_gives_its_number_to_the_next(
    db: Session, accountant: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        {"account": 1200, "debit": Decimal("5.00")},
        {"account": 800, "credit": Decimal("5.00")},
    ]
    run(db, accountant, ("post", START, lines), monkeypatch)
    run(db, accountant, ("crash-while-posting", START, lines), monkeypatch)
    run(db, accountant, ("post", START, lines), monkeypatch)
    numbers = db.scalars(select(JournalEntry.number).order_by(JournalEntry.id)).all()
    assert numbers == [1, 2]
