"""DATEV Buchungsstapel: the reference month row by row, the file format, the API."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erp.auth.models import Role, User
from erp.deps import Services
from erp.fibu import datev, journal, service
from erp.fibu.datev import BatchHeader, DatevLimitExceeded, InvalidExportRange, Row
from tests.conftest import AccountFactory
from tests.unit.fibu.conftest import Book, line
from tests.unit.fibu.datev_validator import Expected, check_file, journal_postings, split_line
from tests.unit.fibu.test_ustva import book_reference_month, post_entry

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))
CREATED = datetime(2026, 4, 1, 8, 30, 15, 123456, tzinfo=UTC)  # 10:30:15.123 in Berlin
DEFAULT = Expected(1001, 1, date(2026, 1, 1), *MARCH)


def export(db: Session, span: tuple[date, date] = MARCH) -> datev.DatevExport:
    return datev.export_buchungsstapel(db, date_from=span[0], date_to=span[1], created=CREATED)


def rows_of(content: bytes, expected: Expected = DEFAULT) -> list[tuple[str, ...]]:
    return [
        (f"{r.amount:.2f}", r.side, str(r.account), str(r.contra), r.belegdatum, r.document, r.text)
        for r in check_file(content, expected).rows
    ]


def test_the_reference_month_row_by_row(
    book: Book, db: Session, accountant: User, debitor: int
) -> None:
    book_reference_month(book, db, accountant, debitor)
    result = export(db)
    assert (result.filename, result.rows) == ("EXTF_Buchungsstapel_20260301_20260331.csv", 7)
    d = str(debitor)
    assert rows_of(result.content) == [
        ("1190.00", "S", d, "8400", "0203", "RE-1", "Rechnung RE-1"),  # 1000 + 190 USt
        ("214.00", "S", d, "8300", "0203", "RE-1", "Rechnung RE-1"),  # 200 + 14 USt
        ("298.15", "S", d, "8400", "0503", "RE-2", "Rechnung RE-2"),
        ("595.00", "H", "70001", "3400", "1003", "ER-1", "Wareneingang ER-1"),
        ("1404.00", "H", d, "1200", "1503", "BA-1", "Zahlung RE-1"),
        ("298.15", "H", d, "8400", "0503", "RE-2", "Storno 2026/2: Rechnung RE-2"),
        ("59.98", "S", "1000", "8400", "2503", "KA-1", "Barverkauf"),
    ]
    lines = result.content.decode("cp1252").split("\r\n")
    assert lines[0] == (
        '"EXTF";700;21;"Buchungsstapel";13;20260401103015123;;"RE";"";"";1001;1;20260101;4;'
        '20260301;20260331;"Valeo 01.03.2026-31.03.2026";"";1;0;0;"EUR";;"";;;"03";;;"";""'
    )
    assert lines[2] == ";".join(
        ["1190,00", '"S"', '"EUR"', "", "", "", d, "8400", "", "0203", '"RE-1"', "", "",
         '"Rechnung RE-1"'] + [""] * 111
    )  # fmt: skip
    parsed = check_file(result.content, DEFAULT)
    assert parsed.postings() == journal_postings(db, *MARCH)
    revenue = sum(
        (r.amount if r.side == "S" else -r.amount for r in parsed.rows if r.contra in {8400, 8300}),
        Decimal(0),
    )
    booked = journal_postings(db, *MARCH)
    assert (
        revenue == booked[8400, "H"] - booked[8400, "S"] + booked[8300, "H"] == Decimal("1463.98")
    )
    assert sum(r.amount for r in parsed.rows) == sum(v for (_, s), v in booked.items() if s == "S")


def test_one_tax_line_over_several_lines_adds_up_exactly(
    book: Book, db: Session, debitor: int
) -> None:
    # 3 × 0.18 at 19 %: tax 0.1026 → 0.10, split 0.04 + 0.03 + 0.03 (remainder to the first)
    book(date(2026, 3, 2), [line(debitor, debit="0.64")] + [line(8400, credit="0.18")] * 3)
    assert [r[0] for r in rows_of(export(db).content)] == ["0.22", "0.21", "0.21"]
    assert datev.allocate(Decimal("-15.20"), [Decimal(-100), Decimal(20)]) == [
        Decimal("-19.00"),
        Decimal("3.80"),
    ]


def test_entries_not_one_against_many_keep_every_accounts_traffic(book: Book, db: Session) -> None:
    book(date(2026, 3, 31), [line(4120, debit="3000.00"), line(1200, credit="2000.00"),
                             line(1600, credit="1000.00")])  # fmt: skip
    book(date(2026, 3, 31), [line(1200, debit="95.20"), line(8400, credit="100.00"),
                             line(8400, debit="20.00")])  # fmt: skip
    content = export(db).content
    assert [r[:4] for r in rows_of(content)] == [
        ("2000.00", "H", "1200", "4120"),
        ("1000.00", "S", "4120", "1600"),
        ("95.20", "S", "1200", "8400"),  # 8400 on both sides: netted, 80 + 15.20 tax
    ]
    postings = check_file(content, DEFAULT).postings()
    assert postings[4120, "S"] == Decimal("3000.00")
    assert (4120, "H") not in postings


def test_dates_outside_the_batch_and_the_service_date(
    book: Book, db: Session, accountant: User, debitor: int
) -> None:
    sale = book(date(2026, 3, 30), [line(debitor, debit="119.00"), line(8400, credit="100.00")])
    journal.reverse_entry(db, entry_id=sale.id, actor=accountant, posting_date=date(2026, 4, 10))
    late = [line(1200, debit="107.00"), line(8300, credit="100.00")]
    book(date(2026, 4, 2), late, document="RE-5", service_date=date(2026, 3, 28))
    book(date(2026, 4, 3), [line(1200, debit="10.00"), line(800, credit="10.00")], post=False)
    parsed = check_file(
        export(db, APRIL).content, replace(DEFAULT, date_from=APRIL[0], date_to=APRIL[1])
    )
    # The Storno's document date (30.03.) lies before the batch: its posting date is the
    # Belegdatum. Both rows' tax belongs to March (their Leistungsdatum), in DATEV as in ours.
    assert [(r.belegdatum, r.side, r.field(115), r.field(116)) for r in parsed.rows] == [
        ("0204", "S", "28032026", "28032026"),
        ("1004", "H", "30032026", "30032026"),
    ]
    march_only = check_file(export(db).content, DEFAULT).rows
    assert [(r.belegdatum, r.field(115)) for r in march_only] == [("3003", "")]


def test_the_header_follows_the_company(db: Session, accountant: User) -> None:
    values = {
        "datev_consultant_number": 29098,
        "datev_client_number": 55003,
        "fiscal_year_start_month": 7,
    }
    service.update_company(db, actor=accountant, values=values)
    content = export(db).content
    parsed = check_file(content, Expected(29098, 55003, date(2025, 7, 1), *MARCH))
    assert parsed.rows == []
    with pytest.raises(InvalidExportRange, match="one fiscal year"):
        export(db, (date(2026, 6, 1), date(2026, 7, 31)))


@pytest.mark.parametrize(
    "span",
    [(date(2026, 3, 31), date(2026, 3, 1)), (date(2025, 12, 1), date(2026, 1, 31)),
     (date(1999, 1, 1), date(1999, 1, 31))],
)  # fmt: skip
def test_a_batch_lies_in_one_fiscal_and_calendar_year(db: Session, span: tuple[date, date]) -> None:
    with pytest.raises(InvalidExportRange):
        export(db, span)


def test_text_fields_are_cleaned_quoted_and_cut() -> None:
    header = BatchHeader(1001, 1, date(2026, 1, 1), *MARCH, CREATED, "März")
    text = 'Müller "Spezial"; Ware ✓\r\n' + "x" * 60
    row = Row(Decimal("1234567.80"), "S", 10001, 8400, date(2026, 3, 9), "RE 2026_01.ä", text)
    content = datev.write_buchungsstapel(header, [row])
    assert b'"M\xfcller ""Spezial""; Ware ? xxx' in content
    booking = check_file(content, DEFAULT).rows[0]
    assert (booking.amount, booking.document, len(booking.text)) == (
        Decimal("1234567.80"),
        "RE202601",
        60,
    )
    assert split_line(content.decode("cp1252").split("\r\n")[0])[16].value == "März"


def test_datev_limits_are_conflicts() -> None:
    header = BatchHeader(1001, 1, date(2026, 1, 1), *MARCH, CREATED, "x")
    row = Row(Decimal("10000000000.00"), "S", 1200, 1000, date(2026, 3, 9), "B-1", "zu viel")
    with pytest.raises(DatevLimitExceeded):
        datev.write_buchungsstapel(header, [row])
    with pytest.raises(DatevLimitExceeded):
        datev.write_buchungsstapel(header, [replace(row, amount=Decimal(1))] * 100_000)


@pytest.mark.parametrize(
    ("old", "new"),
    [(b"\r\n", b"\n"), (b"119,00", b"119.00"), (b";700;", b";510;"), (b";0903;", b";3209;"),
     (b'"S"', b'"X"'), (b";1200;", b";;"), (b'"RE";', b"")],
)  # fmt: skip
def test_the_validator_refuses_broken_files(old: bytes, new: bytes) -> None:
    header = BatchHeader(1001, 1, date(2026, 1, 1), *MARCH, CREATED, "x")
    row = Row(Decimal("119.00"), "S", 1200, 8400, date(2026, 3, 9), "B-1", "Verkauf")
    content = datev.write_buchungsstapel(header, [row])
    assert len(check_file(content, DEFAULT).rows) == 1
    with pytest.raises(AssertionError, match="DATEV file is invalid"):
        check_file(content.replace(old, new, 1), DEFAULT)


# API -------------------------------------------------------------------------------------
def test_the_download(client: TestClient, services: Services, make_account: AccountFactory) -> None:
    anna = make_account(Role.accounting)
    post_entry(
        services,
        anna.id,
        date(2026, 3, 10),
        [line(1000, debit="119.00"), line(8400, credit="100.00")],
    )
    response = client.get(
        "/api/v1/exports/datev?date_from=2026-03-01&date_to=2026-03-31", headers=anna.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=windows-1252"
    assert response.headers["content-disposition"] == (
        'attachment; filename="EXTF_Buchungsstapel_20260301_20260331.csv"'
    )
    assert rows_of(response.content) == [("119.00", "S", "1000", "8400", "1003", "RE-9", "Verkauf")]


@pytest.mark.parametrize(
    "query",
    ["date_from=2026-03-31&date_to=2026-03-01", "date_from=2025-12-01&date_to=2026-01-31",
     "date_from=1999-01-01&date_to=1999-01-31", "date_from=2026-02-30&date_to=2026-03-31",
     "date_from=2026-03-01", "date_from=20260301&date_to=2026-03-31"],
)  # fmt: skip
def test_invalid_ranges_are_422_problems(
    client: TestClient, make_account: AccountFactory, query: str
) -> None:
    response = client.get(
        f"/api/v1/exports/datev?{query}", headers=make_account(Role.admin).headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_access_and_the_published_schema(client: TestClient, make_account: AccountFactory) -> None:
    url = "/api/v1/exports/datev?date_from=2026-03-01&date_to=2026-03-31"
    assert client.get(url, headers=make_account(Role.sales).headers).status_code == 403
    assert client.get(url).status_code == 401
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/exports/datev"]["get"]
    assert operation["operationId"] == "exportDatev"
    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    assert {"401", "403", "409", "422"} <= set(operation["responses"])
