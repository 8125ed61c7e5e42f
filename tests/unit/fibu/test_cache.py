"""Cached reports: the same figures as computed ones, never stale, on both cache backends.

The Redis leg talks to the real server (``VALEO_TEST_REDIS_URL``, default the machine's
127.0.0.1:6379, database 15) under a key prefix of its own; it is skipped when no Redis
answers, unless ``VALEO_REQUIRE_REDIS`` is set (CI sets it).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import event
from sqlalchemy.orm import Session

from erp.auth.models import Role, User
from erp.cache import FigureCache, MemoryCache, RedisCache, build_cache
from erp.deps import Services
from erp.fibu import journal, reports
from erp.fibu.report_schemas import BalanceSheet, ProfitAndLoss, TrialBalance
from tests.conftest import AccountFactory
from tests.unit.fibu.conftest import Book, line

REDIS_URL = os.environ.get("VALEO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture(params=["memory", "redis"])
def figure_cache(request: pytest.FixtureRequest) -> Iterator[FigureCache]:
    if request.param == "memory":
        yield MemoryCache()
        return
    cache = RedisCache(REDIS_URL, prefix=f"valeo-test:{secrets.token_hex(6)}:")
    try:
        cache.client.ping()
    except redis.RedisError:
        if os.environ.get("VALEO_REQUIRE_REDIS"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield cache
    for key in cache.client.scan_iter(f"{cache.prefix}*"):
        cache.client.delete(key)
    cache.client.close()


def statements_during(db: Session, action: object) -> list[str]:
    seen: list[str] = []
    engine = db.get_bind()

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert callable(action)
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def sale(book: Book, debitor: int, day: date, net: str, gross: str) -> None:
    book(day, [line(debitor, debit=gross), line(8400, credit=net)], document=f"RE-{net}")


def test_a_cached_report_is_the_computed_one_and_a_repeat_costs_one_query(
    db: Session, book: Book, debitor: int, figure_cache: FigureCache
) -> None:
    sale(book, debitor, date(2026, 3, 2), "100.00", "119.00")
    first = reports.cached_trial_balance(figure_cache, db, *MARCH)
    assert first == reports.trial_balance(db, *MARCH)
    repeated = statements_during(db, lambda: reports.cached_trial_balance(figure_cache, db, *MARCH))
    assert len(repeated) == 1, repeated  # the ledger's version, nothing else
    assert "number_range" in repeated[0]
    assert reports.cached_trial_balance(figure_cache, db, *MARCH) == first
    assert figure_cache.hits == 2


def test_every_posting_and_reversal_makes_new_figures(
    db: Session, book: Book, debitor: int, accountant: User, figure_cache: FigureCache
) -> None:
    def figures() -> tuple[TrialBalance, ProfitAndLoss, BalanceSheet]:
        return (
            reports.cached_trial_balance(figure_cache, db, *MARCH),
            reports.cached_profit_and_loss(figure_cache, db, *MARCH),
            reports.cached_balance_sheet(figure_cache, db, MARCH[1]),
        )

    def computed() -> tuple[TrialBalance, ProfitAndLoss, BalanceSheet]:
        return (
            reports.trial_balance(db, *MARCH),
            reports.profit_and_loss(db, *MARCH),
            reports.balance_sheet(db, MARCH[1]),
        )

    sale(book, debitor, date(2026, 3, 2), "100.00", "119.00")
    assert figures() == computed()
    wrong = book(date(2026, 3, 3), [line(debitor, debit="59.50"), line(8400, credit="50.00")])
    assert figures() == computed()
    assert figures()[1].result == 150
    journal.reverse_entry(db, entry_id=wrong.id, actor=accountant, posting_date=MARCH[1])
    assert figures() == computed()
    assert figures()[1].result == 100
    # A posting in another fiscal year changes the version too (each year has its range).
    sale(book, debitor, date(2025, 12, 30), "10.00", "11.90")
    assert figures() == computed()


def test_one_entry_per_report_and_range_however_often_the_ledger_changes(
    db: Session, book: Book, debitor: int
) -> None:
    cache = MemoryCache()
    for cents in range(1, 6):
        sale(book, debitor, date(2026, 3, 2), f"{cents}.00", f"{cents * 1.19:.2f}")
        assert reports.cached_trial_balance(cache, db, *MARCH) == reports.trial_balance(db, *MARCH)
    assert (len(cache), cache.hits, cache.misses) == (1, 0, 5)


def test_a_draft_leaves_the_cached_figures_valid(
    db: Session, book: Book, debitor: int, figure_cache: FigureCache
) -> None:
    sale(book, debitor, date(2026, 3, 2), "100.00", "119.00")
    version = reports.ledger_version(db)
    before = reports.cached_trial_balance(figure_cache, db, *MARCH)
    book(date(2026, 3, 4), [line(4930, debit="5.00"), line(1000, credit="5.00")], post=False)
    assert reports.ledger_version(db) == version
    assert reports.cached_trial_balance(figure_cache, db, *MARCH) == before
    assert before == reports.trial_balance(db, *MARCH)  # drafts are in no report


def test_the_memory_cache_keeps_the_most_recently_used_within_its_size() -> None:
    cache = MemoryCache(max_bytes=4)
    cache.set("a", b"1")
    cache.set("b", b"22")
    assert cache.get("a") == b"1"  # now "b" is the least recently used
    cache.set("c", b"3")
    assert cache.size == 4
    cache.set("d", b"4")
    assert [cache.get(k) for k in "abcd"] == [b"1", None, b"3", b"4"]
    cache.set("a", b"111")  # replacing counts the new size only, and evicts to fit
    assert (cache.size, cache.get("a"), cache.get("c"), cache.get("d")) == (4, b"111", None, b"4")
    cache.set("big", b"12345")  # larger than the whole cache: not kept
    assert (cache.get("big"), cache.size) == (None, 4)


def test_an_unreachable_redis_costs_the_computation_not_the_request(
    db: Session, book: Book, debitor: int
) -> None:
    sale(book, debitor, date(2026, 3, 2), "100.00", "119.00")
    dead = RedisCache("redis://127.0.0.1:1/0")  # nothing listens on port 1
    report = reports.cached_trial_balance(dead, db, *MARCH)
    assert report == reports.trial_balance(db, *MARCH)
    assert (dead.hits, dead.misses) == (0, 1)


def test_the_backend_follows_the_settings() -> None:
    assert isinstance(build_cache(None, 8), MemoryCache)
    assert isinstance(build_cache(REDIS_URL, 8), RedisCache)


def test_the_api_serves_repeated_reports_from_the_cache_and_new_postings_at_once(
    client: TestClient, services: Services, make_account: AccountFactory
) -> None:
    headers = make_account(Role.accounting).headers
    query = {"date_from": "2026-03-01", "date_to": "2026-03-31"}

    def debit_total() -> str:
        response = client.get("/api/v1/reports/trial-balance", params=query, headers=headers)
        assert response.status_code == 200, response.text
        return str(response.json()["debit"])

    def post(amount: str) -> None:
        body = {
            "document_number": f"KA-{amount}",
            "document_date": "2026-03-10",
            "posting_date": "2026-03-10",
            "text": "Bareinlage",
            "lines": [{"account": 1000, "debit": amount}, {"account": 1200, "credit": amount}],
        }
        created = client.post("/api/v1/journal-entries", json=body, headers=headers)
        assert created.status_code == 201, created.text
        posted = client.post(
            f"/api/v1/journal-entries/{created.json()['id']}/post", headers=headers
        )
        assert posted.status_code == 200, posted.text

    post("10.00")
    assert debit_total() == "10.00"
    hits = services.cache.hits
    assert debit_total() == "10.00"
    assert services.cache.hits == hits + 1
    post("5.00")
    assert debit_total() == "15.00"


def test_the_api_sends_the_cached_trial_balance_byte_for_byte_as_the_model_would_be(
    client: TestClient, services: Services, make_account: AccountFactory, db: Session
) -> None:
    """The route returns the cached JSON itself: it must be what FastAPI makes of the model,
    on the first request (computed) and the repeat (a hit), and the schema stays documented."""
    headers = make_account(Role.accounting).headers
    body = {
        "document_number": "KA-1",
        "document_date": "2026-03-10",
        "posting_date": "2026-03-10",
        "text": "Bareinlage",
        "lines": [{"account": 1000, "debit": "12.30"}, {"account": 1200, "credit": "12.30"}],
        "post": True,
    }
    assert client.post("/api/v1/journal-entries", json=body, headers=headers).status_code == 201
    query = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    db.expire_all()
    expected = TypeAdapter(TrialBalance).dump_json(reports.trial_balance(db, *MARCH), by_alias=True)
    for _ in range(2):
        response = client.get("/api/v1/reports/trial-balance", params=query, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.content == expected
    schema = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/reports/trial-balance"][
        "get"
    ]
    ok = schema["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/TrialBalance"}
