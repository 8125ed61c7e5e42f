"""FIBU reports against a hand-computed month: Summen- und Saldenliste, GuV, Bilanz,
Kontoblatt and OP-Liste, then the API (its own small app: erp/app.py mounts the router)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session

from erp.auth.models import Role, User
from erp.crm import service as crm_service
from erp.deps import Services
from erp.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, install_problem_handlers
from erp.fibu import journal, open_items, report_router, reports, service
from erp.fibu.models import AccountKind
from erp.fibu.report_schemas import Ageing, PersonalKind
from erp.timeutil import business_date
from tests.conftest import AccountFactory
from tests.unit.crm.conftest import customer_values
from tests.unit.fibu.conftest import Book, line

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
KREDITOR = 70001


def json(report: BaseModel) -> dict[str, Any]:
    """The report as the API sends it: amounts are strings with two decimals."""
    return report.model_dump(mode="json")


def amounts(accounts: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(a["number"], a["amount"]) for a in accounts]


def create_kreditor(db: Session, actor: User) -> int:
    values = {"number": KREDITOR, "name": "Papier AG", "kind": AccountKind.kreditor}
    return service.create_account(db, actor=actor, values=values).number


@pytest.fixture
def march(book: Book, db: Session, accountant: User, debitor: int) -> None:
    """Capital in February; in March three sales (one reversed), a purchase, a payment
    received and rent; a draft and an April entry that no March report may show."""
    kreditor = create_kreditor(db, accountant)
    book(date(2026, 2, 27), [line(1200, debit="25000.00"), line(800, credit="25000.00")])
    sale = {"document": "RE-1", "due_date": date(2026, 3, 16)}
    book(date(2026, 3, 2), [line(debitor, debit="1190.00"), line(8400, credit="1000.00")], **sale)
    sale = {"document": "RE-2", "due_date": date(2026, 4, 4)}
    book(date(2026, 3, 5), [line(debitor, debit="535.00"), line(8300, credit="500.00")], **sale)
    mixed = [
        line(debitor, debit="345.00"),
        line(8400, credit="200.00"),
        line(8300, credit="100.00"),
    ]
    wrong = book(date(2026, 3, 10), mixed, document="RE-3", due_date=date(2026, 3, 24))
    purchase = [line(3400, debit="400.00"), line(kreditor, credit="476.00")]
    book(date(2026, 3, 11), purchase, document="ER-1", due_date=date(2026, 4, 10))
    paid = [line(1200, debit="1190.00"), line(debitor, credit="1190.00", reference="RE-1")]
    book(date(2026, 3, 20), paid, document="KA-1")
    book(date(2026, 3, 25), [line(4210, debit="800.00"), line(1200, credit="800.00")], "MI-3")
    book(date(2026, 3, 15), [line(4930, debit="50.00"), line(1000, credit="50.00")], post=False)
    journal.reverse_entry(db, entry_id=wrong.id, actor=accountant, posting_date=date(2026, 3, 26))
    book(date(2026, 4, 2), [line(4210, debit="800.00"), line(1200, credit="800.00")], "MI-4")


@pytest.mark.usefixtures("march")
def test_trial_balance_of_the_month(db: Session, debitor: int) -> None:
    report = json(reports.trial_balance(db, *MARCH))
    rows = [
        (r["number"], r["opening"], r["debit"], r["credit"], r["closing"]) for r in report["rows"]
    ]
    assert rows == [
        (800, "-25000.00", "0.00", "0.00", "-25000.00"),
        (1200, "25000.00", "1190.00", "800.00", "25390.00"),
        (1576, "0.00", "76.00", "0.00", "76.00"),
        (1771, "0.00", "7.00", "42.00", "-35.00"),
        (1776, "0.00", "38.00", "228.00", "-190.00"),
        (3400, "0.00", "400.00", "0.00", "400.00"),
        (4210, "0.00", "800.00", "0.00", "800.00"),
        (8300, "0.00", "100.00", "600.00", "-500.00"),
        (8400, "0.00", "200.00", "1200.00", "-1000.00"),
        (debitor, "0.00", "2070.00", "1535.00", "535.00"),
        (KREDITOR, "0.00", "0.00", "476.00", "-476.00"),
    ]
    totals = {k: report[k] for k in ("opening", "debit", "credit", "closing")}
    assert totals == {"opening": "0.00", "debit": "4881.00", "credit": "4881.00", "closing": "0.00"}


@pytest.mark.usefixtures("march")
def test_profit_and_loss_of_the_month(db: Session) -> None:
    report = json(reports.profit_and_loss(db, *MARCH))
    assert amounts(report["revenues"]) == [(8300, "500.00"), (8400, "1000.00")]
    assert amounts(report["expenses"]) == [(3400, "400.00"), (4210, "800.00")]
    totals = (report["total_revenue"], report["total_expenses"], report["result"])
    assert totals == ("1500.00", "1200.00", "300.00")


@pytest.mark.usefixtures("march")
def test_balance_sheet_balances_with_the_result(db: Session, debitor: int) -> None:
    report = json(reports.balance_sheet(db, MARCH[1]))
    assert amounts(report["assets"]) == [(1200, "25390.00"), (1576, "76.00"), (debitor, "535.00")]
    liabilities = [(1771, "35.00"), (1776, "190.00"), (KREDITOR, "476.00")]
    assert amounts(report["liabilities"]) == liabilities
    assert amounts(report["equity"]) == [(800, "25000.00")]
    assert (report["result"], report["prior_years_result"]) == ("300.00", "0.00")
    assert report["total_assets"] == report["total_liabilities_and_equity"] == "26001.00"


def test_balance_sheet_shows_unclosed_earlier_years(book: Book, db: Session) -> None:
    book(date(2025, 12, 15), [line(1200, debit="119.00"), line(8400, credit="100.00")])
    book(date(2026, 1, 10), [line(4930, debit="30.00"), line(1200, credit="30.00")])
    report = json(reports.balance_sheet(db, date(2026, 1, 31)))
    assert report["fiscal_year_start"] == "2026-01-01"
    assert (report["prior_years_result"], report["result"]) == ("100.00", "-30.00")
    assert report["total_assets"] == report["total_liabilities_and_equity"] == "89.00"


@pytest.mark.usefixtures("march")
def test_ledger_runs_the_balance_and_names_counter_accounts(db: Session, debitor: int) -> None:
    report = json(reports.account_ledger(db, debitor, *MARCH))
    fields = ("posting_date", "entry_number", "document_number", "counter_accounts")
    lines = [
        (*(li[f] for f in fields), li["debit"], li["credit"], li["balance"])
        for li in report["lines"]
    ]
    assert lines == [
        ("2026-03-02", 2, "RE-1", [8400], "1190.00", "0.00", "1190.00"),
        ("2026-03-05", 3, "RE-2", [8300], "535.00", "0.00", "1725.00"),
        ("2026-03-10", 4, "RE-3", [8300, 8400], "345.00", "0.00", "2070.00"),
        ("2026-03-20", 6, "KA-1", [1200], "0.00", "1190.00", "880.00"),
        ("2026-03-26", 8, "RE-3", [8300, 8400], "0.00", "345.00", "535.00"),
    ]
    assert (report["opening"], report["closing"]) == ("0.00", "535.00")
    bank = json(reports.account_ledger(db, 1200, *MARCH))
    assert [li["balance"] for li in bank["lines"]] == ["26190.00", "25390.00"]
    assert (bank["opening"], bank["debit"], bank["credit"]) == ("25000.00", "1190.00", "800.00")


@pytest.mark.usefixtures("march")
@pytest.mark.parametrize("limit", [1, 2, 4])
def test_ledger_pages_join_up_to_the_whole_range(db: Session, debitor: int, limit: int) -> None:
    whole = reports.account_ledger(db, debitor, *MARCH)
    pages = [
        reports.account_ledger(db, debitor, *MARCH, limit=limit, offset=offset)
        for offset in range(0, whole.line_count + 1, limit)
    ]
    assert [li for page in pages for li in page.lines] == whole.lines  # running balances too
    assert whole.line_count == 5
    for page in pages:
        assert page.line_count == whole.line_count
        assert (page.opening, page.debit, page.credit, page.closing) == (
            whole.opening,
            whole.debit,
            whole.credit,
            whole.closing,
        )
    assert reports.account_ledger(db, debitor, *MARCH, limit=limit, offset=99).lines == []


def test_ledger_of_an_unknown_account_is_not_found(db: Session) -> None:
    with pytest.raises(service.AccountNotFound):
        reports.account_ledger(db, 4711, *MARCH)


@pytest.mark.usefixtures("march")
def test_open_items_of_the_month(db: Session, debitor: int) -> None:
    receivables = json(open_items.open_items(db, PersonalKind.debitor, MARCH[1]))
    [account] = receivables["accounts"]
    summary = (account["number"], account["customer_name"], account["total"])
    assert summary == (debitor, "Müller GmbH", "535.00")
    # RE-1 is paid and RE-3 reversed: only RE-2 is open, due in April.
    assert [(i["reference"], i["ageing"]) for i in account["items"]] == [("RE-2", "not due")]
    payables = json(open_items.open_items(db, PersonalKind.kreditor, MARCH[1]))
    [account] = payables["accounts"]
    summary = (account["number"], account["customer_number"], account["total"])
    assert summary == (KREDITOR, None, "476.00")


def test_open_items_age_into_buckets(
    book: Book, db: Session, accountant: User, debitor: int
) -> None:
    other = crm_service.create_customer(db, actor=accountant, values=customer_values(name="Kai"))
    invoices = [  # (document, document date, due date, Debitor, gross, net at 19 %)
        ("RE-10", date(2026, 6, 1), date(2026, 7, 15), debitor, "119.00", "100.00"),
        ("RE-11", date(2026, 5, 1), date(2026, 5, 31), debitor, "238.00", "200.00"),
        ("RE-12", date(2026, 4, 1), date(2026, 5, 1), other.debitor_account, "119.00", "100.00"),
        ("RE-13", date(2026, 3, 1), date(2026, 4, 1), debitor, "119.00", "100.00"),
        ("RE-14", date(2026, 2, 1), None, debitor, "119.00", "100.00"),  # due when issued
    ]
    for document, day, due, account, gross, net in invoices:
        book(day, [line(account, debit=gross), line(8400, credit=net)], document, due_date=due)
    partial = [line(1200, debit="19.00"), line(debitor, credit="19.00", reference="RE-13")]
    book(date(2026, 6, 5), partial, document="KA-9")
    report = json(open_items.open_items(db, PersonalKind.debitor, date(2026, 6, 30)))
    first, second = report["accounts"]
    fields = ("reference", "days_overdue", "ageing", "amount")
    assert [tuple(i[f] for f in fields) for i in first["items"]] == [
        ("RE-14", 149, "over 90", "119.00"),
        ("RE-13", 90, "61-90", "100.00"),
        ("RE-11", 30, "1-30", "238.00"),
        ("RE-10", 0, "not due", "119.00"),
    ]
    assert (second["customer_number"], second["customer_name"]) == (other.number, "Kai")
    assert second["items"][0]["ageing"] == "31-60"
    buckets = {b["ageing"]: b["amount"] for b in report["ageing"]}
    assert buckets == {
        "not due": "119.00",
        "1-30": "238.00",
        "31-60": "119.00",
        "61-90": "100.00",
        "over 90": "119.00",
    }
    assert (first["total"], report["total"]) == ("576.00", "695.00")


BOUNDARIES = {0: "not due", 1: "1-30", 30: "1-30", 31: "31-60", 60: "31-60", 61: "61-90"}


@pytest.mark.parametrize(("days", "bucket"), [*BOUNDARIES.items(), (90, "61-90"), (91, "over 90")])
def test_ageing_bucket_boundaries(days: int, bucket: str) -> None:
    assert open_items.ageing_of(days) == Ageing(bucket)


def test_drafts_count_nowhere(book: Book, db: Session, debitor: int) -> None:
    book(MARCH[0], [line(debitor, debit="119.00"), line(8400, credit="100.00")], post=False)
    assert reports.trial_balance(db, *MARCH).rows == []
    assert reports.profit_and_loss(db, *MARCH).result == 0
    assert reports.account_ledger(db, debitor, *MARCH).lines == []
    assert open_items.open_items(db, PersonalKind.debitor, MARCH[1]).accounts == []


def test_a_reversed_date_range_is_refused(db: Session) -> None:
    backwards = (MARCH[1], MARCH[0])
    for report in (reports.trial_balance, reports.profit_and_loss):
        with pytest.raises(reports.InvalidDateRange):
            report(db, *backwards)
    with pytest.raises(reports.InvalidDateRange):
        reports.account_ledger(db, 1200, *backwards)


def test_fiscal_years_may_start_mid_year(db: Session, accountant: User) -> None:
    service.update_company(db, actor=accountant, values={"fiscal_year_start_month": 7})
    assert reports.fiscal_year_start(db, date(2026, 3, 10)) == date(2025, 7, 1)
    assert reports.fiscal_year_start(db, date(9999, 12, 31)) == date(9999, 7, 1)
    assert reports.fiscal_year_start(db, date(1, 3, 1)) == date.min


# API ------------------------------------------------------------------------------------


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.services = services
    install_problem_handlers(app)
    app.include_router(report_router.router, prefix="/api/v1")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def headers(services: Services, make_account: AccountFactory) -> dict[str, str]:
    """An accountant's token, after a committed sale (the API reads committed data only)."""
    account = make_account(Role.accounting)
    with services.database.transaction() as session:
        actor = session.get(User, account.id)
        assert actor is not None
        customer = crm_service.create_customer(session, actor=actor, values=customer_values())
        values = {
            "document_number": "RE-1",
            "document_date": MARCH[0],
            "posting_date": MARCH[0],
            "text": "Verkauf",
            "lines": [line(customer.debitor_account, debit="119.00"), line(8400, credit="100.00")],
        }
        journal.create_entry(session, actor=actor, values=values, post=True)
    return account.headers


def get(api: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = api.get(f"/api/v1{path}", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def problem(api: TestClient, path: str, headers: dict[str, str], status: int, **params: Any) -> Any:
    response = api.get(f"/api/v1{path}", headers=headers, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    return response.json()


def test_api_reports_for_a_month(api: TestClient, headers: dict[str, str]) -> None:
    month = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    balance = get(api, "/reports/trial-balance", headers, **month)
    assert (balance["debit"], balance["credit"], len(balance["rows"])) == ("119.00", "119.00", 3)
    assert get(api, "/reports/profit-and-loss", headers, **month)["result"] == "100.00"
    ledger = get(api, "/accounts/8400/ledger", headers, **month)
    assert [li["balance"] for li in ledger["lines"]] == ["-100.00"]
    assert (ledger["line_count"], ledger["offset"]) == (1, 0)
    past_the_end = get(api, "/accounts/8400/ledger", headers, **month, limit=5, offset=1)
    assert (past_the_end["lines"], past_the_end["closing"]) == ([], "-100.00")
    sheet = get(api, "/reports/balance-sheet", headers, as_of="2026-03-31")
    assert sheet["total_assets"] == sheet["total_liabilities_and_equity"] == "119.00"
    items = get(api, "/reports/open-items", headers, kind="debitor", as_of="2026-03-31")
    assert items["ageing"][-1] == {"ageing": "over 90", "amount": "0.00"}
    assert items["total"] == "119.00"


def test_api_defaults_to_the_fiscal_year_until_today(
    api: TestClient, headers: dict[str, str]
) -> None:
    today = business_date()
    balance = get(api, "/reports/trial-balance", headers)
    assert (balance["date_from"], balance["date_to"]) == (f"{today.year}-01-01", f"{today}")
    assert get(api, "/reports/balance-sheet", headers)["as_of"] == f"{today}"
    assert get(api, "/reports/open-items", headers)["kind"] == "debitor"


def test_api_refuses_bad_input_with_problems(api: TestClient, headers: dict[str, str]) -> None:
    backwards = {"date_from": "2026-03-31", "date_to": "2026-03-01"}
    for path in ("/reports/trial-balance", "/reports/profit-and-loss", "/accounts/1200/ledger"):
        body = problem(api, path, headers, 422, **backwards)
        assert body["type"] == PROBLEM_BASE + "invalid-date-range"
    for unknown in ("4711", "100000"):
        assert problem(api, f"/accounts/{unknown}/ledger", headers, 404)["type"].endswith(
            "not-found"
        )
    for number in ("0", "abc"):
        problem(api, f"/accounts/{number}/ledger", headers, 422)
    for page in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        problem(api, "/accounts/1200/ledger", headers, 422, **page)
    problem(api, "/reports/open-items", headers, 422, kind="customer")
    for day in ("2026-02-30", "0", "2026-03-01T00:00:00"):  # no timestamps, no times
        problem(api, "/reports/balance-sheet", headers, 422, as_of=day)


@pytest.mark.parametrize(
    "path",
    [
        "/reports/trial-balance",
        "/reports/profit-and-loss",
        "/reports/balance-sheet",
        "/accounts/1200/ledger",
        "/reports/open-items",
    ],
)
def test_api_is_for_accounting_only(
    api: TestClient, make_account: AccountFactory, path: str
) -> None:
    problem(api, path, make_account(Role.sales).headers, 403)
    problem(api, path, {}, 401)
    get(api, path, make_account(Role.admin).headers)
