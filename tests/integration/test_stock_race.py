"""Stock under real concurrency, on SQLite and PostgreSQL: never oversold, never lost.

Every client is a thread with its own database transactions (as concurrent requests have),
started together at a barrier. Run with -s to see the figures.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import Role, User
from erp.db import Database
from erp.deps import Services
from erp.stock import ledger, queries, service
from erp.stock.models import MovementKind, StockMovement
from tests.conftest import PASSWORD

STOCK = 100
CLIENTS = 20
ATTEMPTS = 5  # per client, of 1–3 units each


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sold: list[int] = field(default_factory=list)
    refused: list[ledger.InsufficientStock] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def setup(services: Services, warehouses: int = 1) -> tuple[User, int, list[int]]:
    with services.database.transaction() as db:
        user = auth_service.register_user(
            db,
            hasher=services.hasher,
            email="lager@firma.test",
            full_name="Lager",
            password=PASSWORD,
            roles=frozenset({Role.warehouse}),
        )
        values = {"sku": "RACE-1", "name": "Knappe Ware", "sales_price": Decimal("9.90")}
        values |= {"unit": "Stk", "purchase_price": Decimal("4.00"), "vat_rate": 19}
        article = service.create_article(db, actor=user, values=values)
        stores = [
            service.create_warehouse(db, actor=user, values={"code": f"L{i}", "name": f"Lager {i}"})
            for i in range(warehouses)
        ]
        ledger.receive(
            db,
            article_id=article.id,
            warehouse_id=stores[0].id,
            quantity=STOCK,
            unit_cost=Decimal("4.00"),
            reference="EB",
            actor=user,
        )
        return user, article.id, [s.id for s in stores]


def run_clients(count: int, work: Callable[[int], None], tally: Tally) -> None:
    barrier = threading.Barrier(count)

    def client(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(number)
        except BaseException as exc:  # everything else is a failure of the test
            with tally.lock:
                tally.errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a client hangs"


def ledger_matches_levels(db: Session) -> None:
    sums = queries.ledger_sums(db)
    for level in queries.levels(db):
        assert sums.get((level.article_id, level.warehouse_id), 0) == level.on_hand
        assert 0 <= level.reserved <= level.on_hand


def test_racing_issues_sell_exactly_the_stock(services: Services, backend: str) -> None:
    user, article_id, [store] = setup(services)
    rng = random.Random(4711)  # noqa: S311  (reproducible test data)
    plans = [[rng.randint(1, 3) for _ in range(ATTEMPTS)] for _ in range(CLIENTS)]
    demand = sum(map(sum, plans))
    assert demand > STOCK
    tally, lowest = Tally(), [STOCK]
    watching = threading.Event()

    def sell(number: int) -> None:
        for attempt, wanted in enumerate(plans[number]):
            quantity = wanted
            while True:  # on a refusal, take what is left (if anything): a real shop would
                try:
                    with services.database.transaction() as db:
                        ledger.issue(
                            db,
                            article_id=article_id,
                            warehouse_id=store,
                            quantity=quantity,
                            reference=f"LS-{number}-{attempt}",
                            actor=user,
                        )
                except ledger.InsufficientStock as refusal:
                    with tally.lock:
                        tally.refused.append(refusal)
                    if refusal.available == 0:
                        break
                    quantity = min(quantity, refusal.available)
                else:
                    with tally.lock:
                        tally.sold.append(quantity)
                    break

    def watch() -> None:  # a reader of its own, sampling the level while the race runs
        reader = Database(services.settings.effective_database_url)
        try:
            while not watching.is_set():
                with reader.transaction(write=False) as db:
                    [level] = queries.levels(db, article_id=article_id)
                    lowest[0] = min(lowest[0], level.available)
        finally:
            reader.dispose()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run_clients(CLIENTS, sell, tally)
    finally:
        watching.set()
        watcher.join(timeout=30)
    with services.database.transaction(write=False) as db:
        [level] = queries.levels(db, article_id=article_id)
        ledger_matches_levels(db)
        issued = -(
            db.scalar(
                select(func.sum(StockMovement.quantity)).where(
                    StockMovement.kind == MovementKind.issue
                )
            )
            or 0
        )
    print(  # noqa: T201  (the figures for the report: run with -s)
        f"\nstock race on {backend}: {CLIENTS} clients × {ATTEMPTS} attempts of 1–3 units,"
        f" demand {demand} for {STOCK} on hand: {len(tally.sold)} issues sold {sum(tally.sold)},"
        f" {len(tally.refused)} refused (InsufficientStock), final stock {level.on_hand},"
        f" lowest available seen {lowest[0]}"
    )
    assert tally.errors == []  # no database error, no deadlock, no timeout: only refusals
    assert sum(tally.sold) == STOCK == issued
    assert (level.on_hand, level.reserved) == (0, 0)
    assert lowest[0] >= 0
    assert tally.refused
    assert all(r.requested > r.available for r in tally.refused)


def test_racing_receipts_transfers_and_issues_lose_nothing(
    services: Services, backend: str
) -> None:
    """Receipts (moving average under a row lock), transfers both ways (lock order) and
    issues at once: every unit is accounted for, and nothing but refusals fails."""
    user, article_id, stores = setup(services, warehouses=2)
    received, issued = [0], [0]
    tally = Tally()

    def work(number: int) -> None:
        rng = random.Random(number)  # noqa: S311  (reproducible test data)
        for step in range(6):
            here, there = stores[(number + step) % 2], stores[(number + step + 1) % 2]
            quantity = rng.randint(1, 5)
            try:
                with services.database.transaction() as db:
                    if number % 3 == 0:
                        ledger.receive(
                            db,
                            article_id=article_id,
                            warehouse_id=here,
                            quantity=quantity,
                            unit_cost=Decimal(rng.randint(100, 900)).scaleb(-2),
                            reference="WE",
                            actor=user,
                        )
                        with tally.lock:
                            received[0] += quantity
                    elif number % 3 == 1:
                        ledger.transfer(
                            db,
                            article_id=article_id,
                            from_warehouse_id=here,
                            to_warehouse_id=there,
                            quantity=quantity,
                            reference="UML",
                            actor=user,
                        )
                    else:
                        ledger.issue(
                            db,
                            article_id=article_id,
                            warehouse_id=here,
                            quantity=quantity,
                            reference="LS",
                            actor=user,
                        )
                        with tally.lock:
                            issued[0] += quantity
            except ledger.InsufficientStock as refusal:  # anything else fails the test
                with tally.lock:
                    tally.refused.append(refusal)

    run_clients(CLIENTS, work, tally)
    with services.database.transaction(write=False) as db:
        ledger_matches_levels(db)
        on_hand = sum(level.on_hand for level in queries.levels(db))
        value = queries.inventory_value(db).total
    print(  # noqa: T201  (the figures for the report: run with -s)
        f"\nmixed race on {backend}: {CLIENTS} clients × 6 receipts/transfers/issues:"
        f" received {received[0]}, issued {issued[0]}, {len(tally.refused)} refused,"
        f" on hand {on_hand}, inventory value {value}"
    )
    assert tally.errors == []
    assert on_hand == STOCK + received[0] - issued[0]
