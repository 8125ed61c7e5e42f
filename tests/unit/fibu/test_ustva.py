"""UStVA: a hand-computed reference month, whole-euro bases, rounding, periods, the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from erp.auth.models import Role, User
from erp.deps import Services
from erp.fibu import journal, service
from erp.fibu.models import AccountKind, JournalEntry
from erp.fibu.ustva import InvalidTaxPeriod, UStVA, tax_period, ustva
from tests.conftest import AccountFactory
from tests.unit.fibu.conftest import Book, line

MARCH = tax_period(2026, month=3)
KREDITOR = 70001


def book_reference_month(book: Book, db: Session, accountant: User, debitor: int) -> None:
    """March 2026: sales at 19 % and 7 %, a purchase, a payment, a reversal, a cash sale."""
    service.create_account(
        db,
        actor=accountant,
        values={"number": KREDITOR, "name": "Lieferant GmbH", "kind": AccountKind.kreditor},
    )
    sale = [
        line(debitor, debit="1404.00"),
        line(8400, credit="1000.00"),
        line(8300, credit="200.00"),
    ]
    book(date(2026, 3, 2), sale, document="RE-1", text="Rechnung RE-1")
    second = book(
        date(2026, 3, 5),
        [line(debitor, debit="298.15"), line(8400, credit="250.55")],  # tax 47.6045 → 47.60
        document="RE-2",
        text="Rechnung RE-2",
    )
    purchase = [line(3400, debit="500.00"), line(KREDITOR, credit="595.00")]
    book(date(2026, 3, 10), purchase, document="ER-1", text="Wareneingang ER-1")
    payment = [line(1200, debit="1404.00"), line(debitor, credit="1404.00")]
    book(date(2026, 3, 15), payment, document="BA-1", text="Zahlung RE-1")
    journal.reverse_entry(db, entry_id=second.id, actor=accountant, posting_date=date(2026, 3, 20))
    cash = [line(1000, debit="59.98"), line(8400, credit="50.40")]  # tax 9.576 → 9.58
    book(date(2026, 3, 25), cash, document="KA-1", text="Barverkauf")
    draft = [line(debitor, debit="1190.00"), line(8400, credit="1000.00")]
    book(date(2026, 3, 26), draft, document="RE-3", text="Entwurf", post=False)


def figures(report: UStVA) -> dict[str, object]:
    return {
        "kz81": report.kz81,
        "kz81_tax": str(report.kz81_tax),
        "kz86": report.kz86,
        "kz86_tax": str(report.kz86_tax),
        "kz66": str(report.kz66),
        "kz83": str(report.kz83),
        "booked": [str(o.booked_tax) for o in report.output],
        "difference": [str(o.rounding_difference) for o in report.output],
    }


def test_the_reference_month(book: Book, db: Session, accountant: User, debitor: int) -> None:
    book_reference_month(book, db, accountant, debitor)
    report = ustva(db, MARCH)
    # 19 %: 1000.00 + 250.55 − 250.55 (Storno) + 50.40 = 1050.40 → Kz 81 = 1050, × 19 % = 199.50;
    # booked 190.00 + 47.60 − 47.60 + 9.58 = 199.58. 7 %: 200.00 → 14.00. Vorsteuer 95.00.
    assert figures(report) == {
        "kz81": 1050,
        "kz81_tax": "199.50",
        "kz86": 200,
        "kz86_tax": "14.00",
        "kz66": "95.00",
        "kz83": "118.50",  # 199.50 + 14.00 − 95.00
        "booked": ["199.58", "14.00"],
        "difference": ["0.08", "0.00"],
    }
    assert [str(o.base_exact) for o in report.output] == ["1050.40", "200.00"]


def test_bases_drop_their_cents_toward_zero(book: Book, db: Session) -> None:
    book(date(2026, 3, 2), [line(1200, debit="120.18"), line(8400, credit="100.99")])
    book(date(2026, 4, 2), [line(8400, debit="100.99"), line(1200, credit="120.18")])
    march, april = ustva(db, MARCH), ustva(db, tax_period(2026, month=4))
    assert (march.kz81, str(march.kz81_tax), str(march.output[0].booked_tax)) == (
        100,
        "19.00",
        "19.19",
    )
    assert (april.kz81, str(april.kz81_tax), str(april.kz83)) == (-100, "-19.00", "-19.00")
    assert str(april.output[0].rounding_difference) == "-0.19"


def test_tax_rounded_per_entry_differs_from_the_tax_on_the_base(book: Book, db: Session) -> None:
    for n in range(10):  # each 10.05 × 19 % = 1.9095 → 1.91 booked
        book(date(2026, 3, 2 + n), [line(1000, debit="11.96"), line(8400, credit="10.05")])
    rate = ustva(db, MARCH).output[0]
    assert (rate.base, str(rate.base_exact)) == (100, "100.50")
    assert (str(rate.derived_tax), str(rate.booked_tax)) == ("19.00", "19.10")
    assert rate.rounding_difference == Decimal("0.10")


def test_the_service_date_decides_the_period_not_the_posting_date(book: Book, db: Session) -> None:
    sale = [line(1200, debit="119.00"), line(8400, credit="100.00")]
    book(date(2026, 4, 2), sale, service_date=date(2026, 3, 28))
    book(date(2026, 3, 3), [line(1200, debit="107.00"), line(8300, credit="100.00")],
         service_date=date(2026, 2, 27))  # fmt: skip
    assert (ustva(db, MARCH).kz81, ustva(db, MARCH).kz86) == (100, 0)
    assert ustva(db, tax_period(2026, month=4)).kz81 == 0
    assert ustva(db, tax_period(2026, month=2)).kz86 == 100


def test_drafts_do_not_count_and_a_quarter_sums_its_months(book: Book, db: Session) -> None:
    for month in (1, 2, 3, 4):
        book(date(2026, month, 15), [line(1200, debit="119.00"), line(8400, credit="100.00")])
        book(date(2026, month, 16), [line(3300, debit="100.00"), line(1200, credit="107.00")])
    book(date(2026, 2, 20), [line(1200, debit="119.00"), line(8400, credit="100.00")], post=False)
    first = ustva(db, tax_period(2026, quarter=1))
    assert (first.kz81, str(first.kz66), str(first.kz83)) == (300, "21.00", "36.00")
    assert (first.period.first_day, first.period.last_day) == (date(2026, 1, 1), date(2026, 3, 31))


def test_a_period_is_a_month_or_a_quarter() -> None:
    assert (tax_period(2028, month=2).last_day, tax_period(2026, quarter=4).first_day) == (
        date(2028, 2, 29),
        date(2026, 10, 1),
    )
    for bad in ({}, {"month": 3, "quarter": 1}, {"month": 13}, {"quarter": 5}, {"quarter": 0}):
        with pytest.raises(InvalidTaxPeriod):
            tax_period(2026, **bad)
    with pytest.raises(InvalidTaxPeriod):
        tax_period(1999, month=1)


# API -------------------------------------------------------------------------------------
def post_entry(
    services: Services, user_id: int, day: date, lines: list[dict[str, object]]
) -> JournalEntry:
    values = {
        "document_number": "RE-9",
        "document_date": day,
        "posting_date": day,
        "text": "Verkauf",
        "lines": lines,
    }
    with services.database.transaction() as session:
        actor = session.get(User, user_id)
        assert actor is not None
        return journal.create_entry(session, actor=actor, values=values, post=True)


def test_the_api_reports_every_kennzahl(
    client: TestClient, services: Services, make_account: AccountFactory
) -> None:
    anna = make_account(Role.accounting)
    post_entry(
        services,
        anna.id,
        date(2026, 3, 10),
        [line(1000, debit="120.18"), line(8400, credit="100.99")],
    )
    response = client.get("/api/v1/reports/ustva?year=2026&month=3", headers=anna.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("kz81", "kz81_tax", "kz86", "kz86_tax", "kz66", "kz83")} == {
        "kz81": 100,
        "kz81_tax": "19.00",
        "kz86": 0,
        "kz86_tax": "0.00",
        "kz66": "0.00",
        "kz83": "19.00",
    }
    assert body["output_tax"][0] == {
        "kz": "81",
        "rate": 19,
        "base_exact": "100.99",
        "base": 100,
        "derived_tax": "19.00",
        "booked_tax": "19.19",
        "rounding_difference": "0.19",
    }
    assert (body["date_from"], body["date_to"], body["quarter"]) == (
        "2026-03-01",
        "2026-03-31",
        None,
    )


@pytest.mark.parametrize(
    "query",
    ["year=2026", "year=2026&month=3&quarter=1", "year=2026&month=13", "year=1999&month=1",
     "year=2026&quarter=5", "month=3", "year=abc&month=1"],
)  # fmt: skip
def test_invalid_periods_are_422_problems(
    client: TestClient, make_account: AccountFactory, query: str
) -> None:
    response = client.get(
        f"/api/v1/reports/ustva?{query}", headers=make_account(Role.admin).headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_only_accounting_and_admin_may_read_it(
    client: TestClient, make_account: AccountFactory
) -> None:
    url = "/api/v1/reports/ustva?year=2026&quarter=1"
    assert client.get(url, headers=make_account(Role.sales).headers).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get(url, headers=make_account(Role.accounting).headers).status_code == 200
