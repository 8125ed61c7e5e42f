"""The journal: tax lines, balance, gapless numbers, immutability, reversal, closed periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.fibu import journal, rules, service
from erp.fibu.models import EntryStatus, JournalEntry
from tests.unit.fibu.conftest import Book, line

DAY = date(2026, 3, 10)


def amounts(entry: JournalEntry) -> list[tuple[int, str, str]]:
    return [(li.account_number, f"{li.debit}", f"{li.credit}") for li in entry.lines]


def test_a_sale_on_an_automatic_account_gets_its_tax_line(book: Book, debitor: int) -> None:
    entry = book(DAY, [line(debitor, debit="119.00"), line(8400, credit="100.00")], document="RE-1")
    assert amounts(entry) == [
        (debitor, "119.00", "0.00"),
        (8400, "0.00", "100.00"),
        (1776, "0.00", "19.00"),
    ]
    assert (entry.status, entry.number, entry.fiscal_year) == (EntryStatus.posted, 1, 2026)
    assert [li.reference for li in entry.lines] == ["RE-1"] * 3


def test_tax_is_rounded_once_on_the_net_sum_per_rate(book: Book, debitor: int) -> None:
    # 3 × 0.03 at 19 %: per line 0.0057 → 0.01 each (0.03); on the sum 0.09 → 0.0171 → 0.02
    lines = [line(8400, credit="0.03") for _ in range(3)] + [line(8300, credit="10.00")]
    entry = book(DAY, [line(debitor, debit="10.81"), *lines])
    taxes = {li.account_number: li.credit for li in entry.lines if li.tax_line}
    assert taxes == {1776: Decimal("0.02"), 1771: Decimal("0.70")}


def test_an_unbalanced_entry_is_refused_and_leaves_nothing(
    book: Book, db: Session, debitor: int
) -> None:
    with pytest.raises(rules.UnbalancedEntry, match=r"differ by 1\.00"):
        book(DAY, [line(debitor, debit="120.00"), line(8400, credit="100.00")])
    assert db.scalar(select(JournalEntry)) is None


def test_numbers_are_gapless_per_fiscal_year(book: Book) -> None:
    numbers = [
        book(day, [line(1200, debit="10.00"), line(800, credit="10.00")]).number
        for day in (date(2026, 1, 5), date(2026, 12, 31), date(2027, 1, 1), date(2026, 6, 1))
    ]
    assert numbers == [1, 2, 1, 3]


def test_posted_entries_refuse_change_in_the_service_and_in_the_database(
    book: Book, db: Session, accountant: User
) -> None:
    entry = book(DAY, [line(1200, debit="10.00"), line(800, credit="10.00")])
    with pytest.raises(journal.EntryPosted):
        journal.update_draft(db, entry_id=entry.id, actor=accountant, values={"text": "x"})
    with pytest.raises(journal.EntryPosted):
        journal.delete_draft(db, entry_id=entry.id, actor=accountant)
    for statement in (
        "UPDATE journal_line SET debit = 2000 WHERE entry_id = :id AND debit > 0",
        "DELETE FROM journal_line WHERE entry_id = :id",
        "UPDATE journal_entry SET text = 'changed' WHERE id = :id",
        "DELETE FROM journal_entry WHERE id = :id",
    ):
        with db.begin_nested(), pytest.raises(DBAPIError, match="immutable"):
            db.execute(text(statement), {"id": entry.id})


def test_a_reversal_nets_the_entry_to_zero_and_happens_once(
    book: Book, db: Session, accountant: User, debitor: int
) -> None:
    entry = book(DAY, [line(debitor, debit="119.00"), line(8400, credit="100.00")])
    storno = journal.reverse_entry(db, entry_id=entry.id, actor=accountant, posting_date=DAY)
    assert storno.reverses_id == entry.id
    assert (storno.number, entry.number) == (2, 1)
    net: dict[int, Decimal] = {}
    for li in [*entry.lines, *storno.lines]:
        net[li.account_number] = net.get(li.account_number, Decimal(0)) + li.debit - li.credit
    assert set(net.values()) == {Decimal(0)}
    with pytest.raises(journal.AlreadyReversed):
        journal.reverse_entry(db, entry_id=entry.id, actor=accountant)


def test_a_closed_period_takes_no_postings(book: Book, db: Session, accountant: User) -> None:
    period = service.period_of(db, DAY)
    service.close_period(db, period_id=period.id, actor=accountant)
    with pytest.raises(service.PeriodClosed):
        book(DAY, [line(1200, debit="10.00"), line(800, credit="10.00")])
    book(date(2026, 4, 1), [line(1200, debit="10.00"), line(800, credit="10.00")])
    with pytest.raises(service.PeriodClosed):
        service.close_period(db, period_id=period.id, actor=accountant)


def test_drafts_change_freely_and_post_later(book: Book, db: Session, accountant: User) -> None:
    draft = book(DAY, [line(1200, debit="10.00"), line(800, credit="10.00")], post=False)
    assert draft.number is None
    journal.update_draft(
        db,
        entry_id=draft.id,
        actor=accountant,
        values={"lines": [line(1000, debit="25.00"), line(800, credit="25.00")]},
    )
    posted = journal.post_entry(db, entry_id=draft.id, actor=accountant)
    assert amounts(posted) == [(1000, "25.00", "0.00"), (800, "0.00", "25.00")]


@pytest.mark.parametrize(
    ("debit", "credit", "problem"),
    [
        ("-5.00", "0", "never negative"),
        ("5.00", "5.00", "not both"),
        ("0", "0", "not neither"),
        ("5.001", "0", "exact to the cent"),
    ],
)
def test_each_line_is_debit_xor_credit_positive_and_in_cents(
    book: Book, debit: str, credit: str, problem: str
) -> None:
    with pytest.raises(rules.UnbalancedEntry, match=problem):
        book(DAY, [line(1200, debit=debit, credit=credit), line(800, credit="5.00")])


@pytest.mark.parametrize(
    ("debit", "credit"), [(500, 500), (-500, 0), (0, 0)], ids=["both", "negative", "neither"]
)
def test_the_database_refuses_malformed_lines_too(
    book: Book, db: Session, debit: int, credit: int
) -> None:
    draft = book(DAY, [line(1200, debit="10.00"), line(800, credit="10.00")], post=False)
    insert = text(
        "INSERT INTO journal_line (entry_id, position, account_number, debit, credit, tax_line,"
        " reference) VALUES (:entry, 9, 1200, :debit, :credit, false, '')"
    )
    with db.begin_nested(), pytest.raises(DBAPIError, match=r"(?i)check"):
        db.execute(insert, {"entry": draft.id, "debit": debit, "credit": credit})
