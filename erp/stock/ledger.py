"""Stock movements: receipts, issues, transfers, adjustments and reservations.

Every function runs inside the caller's transaction and never commits; a refused operation
raises a DomainError and leaves nothing behind. Each movement writes the level first and then
appends its ledger line, in the same transaction: the ledger always sums to the level.

Concurrency (PostgreSQL READ COMMITTED, SQLite BEGIN IMMEDIATE):
- Stock goes out (issue, transfer out, reserve, release) through ONE conditional UPDATE whose
  WHERE clause holds the rule (``on_hand - reserved >= :q``); the row count says whether it
  went through. PostgreSQL re-evaluates that WHERE on the newest row version after waiting for
  a concurrent writer, so of many racing requests exactly the available quantity goes out.
- Stock comes in (receipt, transfer in, adjustment) under a row lock (SELECT … FOR UPDATE),
  because the new moving average is computed from the locked row.
- A transfer locks both rows in warehouse order first, so opposite transfers cannot deadlock.
  Callers booking several lines in one transaction should book them in (article, warehouse)
  order for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.errors import Conflict
from erp.money import ZERO
from erp.stock import rules
from erp.stock.models import Article, MovementKind, StockLevel, StockMovement
from erp.stock.service import get_article, get_warehouse
from erp.telemetry.metrics_core import STOCK_MOVEMENTS, count_on_commit

# Test-only: called between the level write and the ledger write, to inject a failure there.
_after_level_write: Callable[[], None] | None = None


class InsufficientStock(Conflict):
    slug = "insufficient-stock"

    def __init__(self, detail: str, *, available: int, requested: int) -> None:
        super().__init__(detail)
        self.available, self.requested = available, requested


class ReservationExceeded(Conflict):
    slug = "reservation-exceeded"


class InactiveMasterData(Conflict):
    """Inactive articles and warehouses take no new stock (stock may still go out)."""

    slug = "inactive-master-data"


class SameWarehouse(Conflict):
    slug = "same-warehouse"


# The hot statements, built once with bind parameters (:a article, :w warehouse, :q quantity):
# SQLAlchemy then skips building them and their cache keys on every movement.
_AT = (
    StockLevel.article_id == bindparam("a"),
    StockLevel.warehouse_id == bindparam("w"),
)
_NO_SYNC = {"synchronize_session": False}
_LOCK = (
    select(StockLevel.on_hand, StockLevel.reserved, StockLevel.average_cost)
    .where(*_AT)
    .with_for_update()
)
_SET = (
    update(StockLevel)
    .where(*_AT)
    .values(on_hand=bindparam("on_hand"), average_cost=bindparam("average"))
    .execution_options(**_NO_SYNC)
)
# THE conditional decrement, returning the average cost the units leave at.
_TAKE_OUT = (
    update(StockLevel)
    .where(*_AT, StockLevel.on_hand - StockLevel.reserved >= bindparam("q"))
    .values(on_hand=StockLevel.on_hand - bindparam("q"))
    .returning(StockLevel.average_cost)
    .execution_options(**_NO_SYNC)
)
_RESERVE = (
    update(StockLevel)
    .where(*_AT, StockLevel.on_hand - StockLevel.reserved >= bindparam("q"))
    .values(reserved=StockLevel.reserved + bindparam("q"))
    .execution_options(**_NO_SYNC)
)
_RELEASE = (
    update(StockLevel)
    .where(*_AT, StockLevel.reserved >= bindparam("q"))
    .values(reserved=StockLevel.reserved - bindparam("q"))
    .execution_options(**_NO_SYNC)
)
# release + issue of reserved units in one statement: with reserved >= q, on hand − reserved
# is unchanged, so the issue's rule (available >= q after the release) holds by itself.
# No autoflush: it touches only stock_level, so a delivery's pending ledger lines go out
# together in one flush.
_SHIP_RESERVED = (
    update(StockLevel)
    .where(*_AT, StockLevel.reserved >= bindparam("q"))
    .values(
        reserved=StockLevel.reserved - bindparam("q"), on_hand=StockLevel.on_hand - bindparam("q")
    )
    .returning(StockLevel.average_cost)
    .execution_options(**_NO_SYNC, autoflush=False)
)
_AVAILABLE = select(StockLevel.on_hand - StockLevel.reserved).where(*_AT)
_RESERVED = select(StockLevel.reserved).where(*_AT)


def _changed_one(session: Session, statement: Any, params: dict[str, Any]) -> bool:
    """Run a conditional UPDATE whose WHERE holds the rule; True when it changed the one row."""
    result = session.execute(statement, params)
    return cast("CursorResult[Any]", result).rowcount == 1


def _level_written() -> None:
    if _after_level_write is not None:
        _after_level_write()


def _incoming_to(session: Session, article_id: int, warehouse_id: int) -> Article:
    article, warehouse = get_article(session, article_id), get_warehouse(session, warehouse_id)
    if not article.active:
        raise InactiveMasterData(f"article {article.sku} is inactive: it takes no new stock")
    if not warehouse.active:
        raise InactiveMasterData(f"warehouse {warehouse.code} is inactive: it takes no new stock")
    return article


def _exists(session: Session, article_id: int, warehouse_id: int) -> Article:
    get_warehouse(session, warehouse_id)
    return get_article(session, article_id)


def _lock_level(
    session: Session, article_id: int, warehouse_id: int
) -> tuple[int, int, Decimal] | None:
    """On hand, reserved and average cost, locked until the end; None without a row."""
    row = session.execute(_LOCK, {"a": article_id, "w": warehouse_id}).one_or_none()
    return None if row is None else (row.on_hand, row.reserved, row.average_cost)


def _created_level(
    session: Session, article_id: int, warehouse_id: int
) -> tuple[int, int, Decimal]:
    """The locked level, created empty first (only once the operation will go ahead).
    ON CONFLICT DO NOTHING: a concurrent creator makes this wait, not fail."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = {"on_hand": 0, "reserved": 0, "average_cost": ZERO}
    session.execute(
        insert(StockLevel)
        .values(article_id=article_id, warehouse_id=warehouse_id, **values)
        .on_conflict_do_nothing()
    )
    level = _lock_level(session, article_id, warehouse_id)
    assert level is not None
    return level


def _set_level(
    session: Session, article_id: int, warehouse_id: int, on_hand: int, average: Decimal
) -> None:
    params = {"a": article_id, "w": warehouse_id, "on_hand": on_hand, "average": average}
    session.execute(_SET, params)


def _shortage(session: Session, article_id: int, warehouse_id: int, quantity: int) -> Conflict:
    available = session.scalar(_AVAILABLE, {"a": article_id, "w": warehouse_id})
    article, warehouse = get_article(session, article_id), get_warehouse(session, warehouse_id)
    return InsufficientStock(
        f"{available or 0} {article.unit} of {article.sku} available in {warehouse.code},"
        f" {quantity} requested",
        available=int(available or 0),
        requested=quantity,
    )


def _take_out(session: Session, article_id: int, warehouse_id: int, quantity: int) -> Decimal:
    """THE conditional decrement; returns the average cost the units leave at.
    Refused: unknown article or warehouse (NotFound) first, else InsufficientStock — checked
    only then, since a level row exists only for an existing article and warehouse."""
    params = {"a": article_id, "w": warehouse_id, "q": quantity}
    average: Decimal | None = session.execute(_TAKE_OUT, params).scalar_one_or_none()
    if average is None:
        _exists(session, article_id, warehouse_id)
        raise _shortage(session, article_id, warehouse_id, quantity)
    return average


def _bring_in(
    session: Session, article_id: int, warehouse_id: int, quantity: int, unit_cost: Decimal
) -> None:
    level = _lock_level(session, article_id, warehouse_id)
    on_hand, _reserved, average = level or _created_level(session, article_id, warehouse_id)
    rules.check_inflow(on_hand, quantity)
    new_average = rules.moving_average(on_hand, average, quantity, unit_cost)
    _set_level(session, article_id, warehouse_id, on_hand + quantity, new_average)


def _append(
    session: Session,
    actor: User,
    kind: MovementKind,
    key: tuple[int, int],
    quantity: int,
    unit_cost: Decimal,
    reference: str,
    reason: str = "",
    *,
    flush: bool = True,
) -> StockMovement:
    assert rules.sign_matches(kind, quantity)
    article_id, warehouse_id = key
    movement = StockMovement(
        article_id=article_id,
        warehouse_id=warehouse_id,
        kind=kind,
        quantity=quantity,
        unit_cost=unit_cost,
        reason=reason,
        reference=reference,
        created_by_id=actor.id,
    )
    session.add(movement)
    if flush:
        session.flush()
    count_on_commit(session, STOCK_MOVEMENTS.labels(kind))
    return movement


def _texts(reference: str, reason: str = "", *, reason_required: bool = False) -> None:
    rules.check_text(reference, name="reference", length=rules.REFERENCE_LENGTH)
    rules.check_text(reason, name="reason", length=rules.REASON_LENGTH, required=reason_required)


def receive(
    session: Session,
    *,
    article_id: int,
    warehouse_id: int,
    quantity: int,
    unit_cost: Decimal,
    reference: str,
    actor: User,
) -> StockMovement:
    """Wareneingang: ``quantity`` units at ``unit_cost`` (net, per unit); moves the average."""
    rules.check_quantity(quantity)
    unit_cost = rules.check_cost(unit_cost)
    _texts(reference)
    _incoming_to(session, article_id, warehouse_id)
    _bring_in(session, article_id, warehouse_id, quantity, unit_cost)
    _level_written()
    key = (article_id, warehouse_id)
    return _append(session, actor, MovementKind.receipt, key, quantity, unit_cost, reference)


def issue(
    session: Session,
    *,
    article_id: int,
    warehouse_id: int,
    quantity: int,
    reference: str,
    actor: User,
    reason: str = "",
) -> StockMovement:
    """Warenausgang at the moving average; refused (InsufficientStock) beyond what is
    available (on hand − reserved). To ship reserved stock, ``release`` it first."""
    rules.check_quantity(quantity)
    _texts(reference, reason)
    average = _take_out(session, article_id, warehouse_id, quantity)
    _level_written()
    key = (article_id, warehouse_id)
    return _append(session, actor, MovementKind.issue, key, -quantity, average, reference, reason)


def transfer(
    session: Session,
    *,
    article_id: int,
    from_warehouse_id: int,
    to_warehouse_id: int,
    quantity: int,
    reference: str,
    actor: User,
    reason: str = "",
) -> tuple[StockMovement, StockMovement]:
    """Umlagerung: out of one warehouse at its average cost, into the other at that cost.
    Returns the two ledger lines (transfer_out, transfer_in)."""
    rules.check_quantity(quantity)
    _texts(reference, reason)
    if from_warehouse_id == to_warehouse_id:
        raise SameWarehouse("a transfer needs two different warehouses")
    get_warehouse(session, from_warehouse_id)
    _incoming_to(session, article_id, to_warehouse_id)
    session.execute(  # the existing rows in warehouse order: opposite transfers cannot deadlock
        select(StockLevel.warehouse_id)
        .where(
            StockLevel.article_id == article_id,
            StockLevel.warehouse_id.in_([from_warehouse_id, to_warehouse_id]),
        )
        .order_by(StockLevel.warehouse_id)
        .with_for_update()
    ).all()
    average = _take_out(session, article_id, from_warehouse_id, quantity)
    _bring_in(session, article_id, to_warehouse_id, quantity, average)
    _level_written()
    source, target = (article_id, from_warehouse_id), (article_id, to_warehouse_id)
    outgoing = _append(
        session, actor, MovementKind.transfer_out, source, -quantity, average, reference, reason
    )
    incoming = _append(
        session, actor, MovementKind.transfer_in, target, quantity, average, reference, reason
    )
    return outgoing, incoming


def adjust(
    session: Session,
    *,
    article_id: int,
    warehouse_id: int,
    reason: str,
    actor: User,
    counted: int | None = None,
    delta: int | None = None,
    reference: str = "",
) -> StockMovement:
    """Inventurdifferenz: to a ``counted`` quantity or by a signed ``delta``, with a reason.

    Never below zero or below the reserved quantity. The difference is valued at the moving
    average (so the average stays); a level without one yet takes the article's purchase price.
    """
    _texts(reference, reason, reason_required=True)
    article = _exists(session, article_id, warehouse_id)
    level = _lock_level(session, article_id, warehouse_id)
    if level is None:
        rules.adjustment_delta(0, 0, counted=counted, delta=delta)  # refuse before creating
        level = _created_level(session, article_id, warehouse_id)
    on_hand, reserved, average = level
    change = rules.adjustment_delta(on_hand, reserved, counted=counted, delta=delta)
    if on_hand == 0 and average == ZERO:
        average = article.purchase_price
    _set_level(session, article_id, warehouse_id, on_hand + change, average)
    _level_written()
    key = (article_id, warehouse_id)
    return _append(session, actor, MovementKind.adjustment, key, change, average, reference, reason)


def reserve(session: Session, *, article_id: int, warehouse_id: int, quantity: int) -> None:
    """Set ``quantity`` aside for an order: refused (InsufficientStock) beyond what is
    available. Reservations are not movements: the ledger counts what is on hand."""
    rules.check_quantity(quantity)
    if not _changed_one(session, _RESERVE, {"a": article_id, "w": warehouse_id, "q": quantity}):
        _exists(session, article_id, warehouse_id)  # NotFound before the shortage
        raise _shortage(session, article_id, warehouse_id, quantity)


def _reservation_exceeded(
    session: Session, article_id: int, warehouse_id: int, quantity: int
) -> ReservationExceeded:
    _exists(session, article_id, warehouse_id)  # NotFound before the shortage
    reserved = session.scalar(_RESERVED, {"a": article_id, "w": warehouse_id})
    return ReservationExceeded(f"{reserved or 0} reserved, {quantity} to release")


def release(session: Session, *, article_id: int, warehouse_id: int, quantity: int) -> None:
    """Give reserved stock back (its order ships or is cancelled)."""
    rules.check_quantity(quantity)
    if not _changed_one(session, _RELEASE, {"a": article_id, "w": warehouse_id, "q": quantity}):
        raise _reservation_exceeded(session, article_id, warehouse_id, quantity)


def ship_reserved(
    session: Session,
    *,
    article_id: int,
    warehouse_id: int,
    quantity: int,
    reference: str,
    actor: User,
    flush: bool = True,
) -> StockMovement:
    """``release`` then ``issue`` of reserved units, in one conditional UPDATE (a delivery).
    ``flush=False`` leaves the ledger line's INSERT to the caller's next flush, so several
    lines go out in one statement."""
    rules.check_quantity(quantity)
    _texts(reference)
    params = {"a": article_id, "w": warehouse_id, "q": quantity}
    average: Decimal | None = session.execute(_SHIP_RESERVED, params).scalar_one_or_none()
    if average is None:
        raise _reservation_exceeded(session, article_id, warehouse_id, quantity)
    _level_written()
    key = (article_id, warehouse_id)
    return _append(
        session, actor, MovementKind.issue, key, -quantity, average, reference, flush=flush
    )
