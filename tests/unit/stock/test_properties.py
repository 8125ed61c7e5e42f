"""Property-based: whatever receipts, issues, transfers, adjustments, reservations and
crashes happen, the ledger sums to the levels and no stock is ever negative.

Each operation runs in its own savepoint (as a request has its own transaction); a refusal
or a crash rolls it back, and the invariants are checked over the whole database after it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.errors import DomainError
from erp.stock import ledger, queries, service
from erp.stock.models import Article, Warehouse
from tests.unit.stock.conftest import article_values

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
quantity = st.integers(min_value=1, max_value=25)
cost = st.integers(min_value=0, max_value=100_000).map(lambda c: Decimal(c).scaleb(-2))
slot = st.integers(min_value=0, max_value=1)  # which article / warehouse
operation = st.one_of(
    st.tuples(st.just("receive"), slot, slot, quantity, cost),
    st.tuples(st.just("issue"), slot, slot, quantity),
    st.tuples(st.just("transfer"), slot, slot, quantity),
    st.tuples(st.just("count"), slot, slot, st.integers(min_value=0, max_value=60)),
    st.tuples(st.just("delta"), slot, slot, st.integers(min_value=-30, max_value=30)),
    st.tuples(st.just("reserve"), slot, slot, quantity),
    st.tuples(st.just("release"), slot, slot, st.integers(min_value=1, max_value=5)),
    st.tuples(st.just("crash"), slot, slot, quantity, cost),
)


class Crash(Exception):
    pass


def crash() -> None:
    raise Crash


@pytest.fixture
def world(
    db: Session, keeper: User, article: Article, main_store: Warehouse, branch: Warehouse
) -> tuple[list[int], list[int]]:
    other = service.create_article(db, actor=keeper, values=article_values(sku="MUT-M8"))
    return [article.id, other.id], [main_store.id, branch.id]


def run(
    db: Session,
    actor: User,
    world: tuple[list[int], list[int]],
    op: tuple[Any, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> bool:
    """Run one operation in a savepoint; True when it went through."""
    kind, article_id, warehouse_id = op[0], world[0][op[1]], world[1][op[2]]
    other_warehouse = world[1][1 - op[2]]
    key = {"article_id": article_id, "warehouse_id": warehouse_id}
    try:
        with db.begin_nested():
            if kind == "receive":
                ledger.receive(
                    db, **key, quantity=op[3], unit_cost=op[4], reference="WE", actor=actor
                )
            elif kind == "issue":
                ledger.issue(db, **key, quantity=op[3], reference="LS", actor=actor)
            elif kind == "transfer":
                ledger.transfer(
                    db,
                    article_id=article_id,
                    from_warehouse_id=warehouse_id,
                    to_warehouse_id=other_warehouse,
                    quantity=op[3],
                    reference="U",
                    actor=actor,
                )
            elif kind == "count":
                ledger.adjust(db, **key, counted=op[3], reason="Inventur", actor=actor)
            elif kind == "delta":
                ledger.adjust(db, **key, delta=op[3], reason="Korrektur", actor=actor)
            elif kind == "reserve":
                ledger.reserve(db, **key, quantity=op[3])
            elif kind == "release":
                ledger.release(db, **key, quantity=op[3])
            else:  # the process dies between the level write and the ledger write
                with monkeypatch.context() as patch:
                    patch.setattr(ledger, "_after_level_write", crash)
                    ledger.receive(
                        db, **key, quantity=op[3], unit_cost=op[4], reference="X", actor=actor
                    )
    except (DomainError, Crash):
        return False  # refused or crashed: the savepoint is rolled back, nothing remains
    return True


def state(db: Session) -> dict[tuple[int, int], tuple[int, int, Decimal]]:
    return {
        (lv.article_id, lv.warehouse_id): (lv.on_hand, lv.reserved, lv.average_cost)
        for lv in queries.levels(db)
    }


def check_invariants(db: Session) -> None:
    sums = queries.ledger_sums(db)
    levels = queries.levels(db)
    assert set(sums) <= {(lv.article_id, lv.warehouse_id) for lv in levels}
    for lv in levels:
        assert sums.get((lv.article_id, lv.warehouse_id), 0) == lv.on_hand  # ledger = level
        assert lv.on_hand >= 0
        assert 0 <= lv.reserved <= lv.on_hand
        assert lv.available >= 0
        assert lv.average_cost >= 0
    total = queries.inventory_value(db).total
    assert total == sum((lv.on_hand * lv.average_cost for lv in levels), Decimal(0))


def expected_after(
    before: dict[tuple[int, int], tuple[int, int, Decimal]],
    world: tuple[list[int], list[int]],
    op: tuple[Any, ...],
) -> dict[tuple[int, int], int] | None:
    """What on hand must be per level after a successful quantity-changing operation."""
    kind, key = op[0], (world[0][op[1]], world[1][op[2]])
    on_hand = {k: v[0] for k, v in before.items()}
    current = on_hand.get(key, 0)
    if kind == "receive":
        on_hand[key] = current + op[3]
    elif kind == "issue":
        on_hand[key] = current - op[3]
    elif kind == "transfer":
        other = (key[0], world[1][1 - op[2]])
        on_hand[key] = current - op[3]
        on_hand[other] = on_hand.get(other, 0) + op[3]
    elif kind == "count":
        on_hand[key] = op[3]
    elif kind == "delta":
        on_hand[key] = current + op[3]
    else:
        return None
    return on_hand


@PROPERTY_SETTINGS
@given(ops=st.lists(operation, min_size=1, max_size=15))
def test_any_sequence_keeps_ledger_and_levels_in_step(
    db: Session,
    keeper: User,
    world: tuple[list[int], list[int]],
    monkeypatch: pytest.MonkeyPatch,
    ops: list[tuple[Any, ...]],
) -> None:
    for op in ops:
        before = state(db)
        done = run(db, keeper, world, op, monkeypatch)
        event(f"{op[0]}: {'done' if done else 'refused'}")
        after = state(db)
        if not done:  # a refusal or a crash changes nothing, not even an empty level row
            assert after == before
        else:
            expected = expected_after(before, world, op)
            if expected is not None:
                assert {k: v[0] for k, v in after.items()} == {
                    k: v for k, v in expected.items() if k in after or v
                }
        check_invariants(db)


@PROPERTY_SETTINGS
@given(
    setup=st.lists(operation, max_size=8),
    article=slot,
    warehouse=slot,
    amount=quantity,
    unit_cost=cost,
)
def test_a_receipt_then_an_issue_of_the_same_quantity_nets_to_zero(
    db: Session,
    keeper: User,
    world: tuple[list[int], list[int]],
    monkeypatch: pytest.MonkeyPatch,
    setup: list[tuple[Any, ...]],
    article: int,
    warehouse: int,
    amount: int,
    unit_cost: Decimal,
) -> None:
    for op in setup:
        run(db, keeper, world, op, monkeypatch)
    before = state(db)
    sums_before = queries.ledger_sums(db)
    received = run(
        db, keeper, world, ("receive", article, warehouse, amount, unit_cost), monkeypatch
    )
    issued = run(db, keeper, world, ("issue", article, warehouse, amount), monkeypatch)
    assert received  # what just came in …
    assert issued  # … is available to go out again
    key = (world[0][article], world[1][warehouse])
    assert state(db)[key][:2] == before.get(key, (0, 0, Decimal(0)))[:2]
    sums = queries.ledger_sums(db)
    assert sums[key] == sums_before.get(key, 0)
    check_invariants(db)
