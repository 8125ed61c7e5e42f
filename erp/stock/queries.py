"""Reading stock: levels, the ledger, the inventory value (writes are in ``erp.stock.ledger``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from erp.errors import NotFound
from erp.money import ZERO
from erp.stock.models import Article, StockLevel, StockMovement, Warehouse


class MovementNotFound(NotFound):
    slug = "stock-movement-not-found"


@dataclass(frozen=True)
class Level:
    article_id: int
    sku: str
    unit: str
    warehouse_id: int
    warehouse_code: str
    on_hand: int
    reserved: int
    average_cost: Decimal

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def value(self) -> Decimal:
        """On hand × moving average cost: exact (the average is in cents)."""
        return self.on_hand * self.average_cost


@dataclass(frozen=True)
class InventoryValue:
    lines: list[Level]
    total: Decimal


_LEVELS = (
    select(
        StockLevel.article_id,
        Article.sku,
        Article.unit,
        StockLevel.warehouse_id,
        Warehouse.code,
        StockLevel.on_hand,
        StockLevel.reserved,
        StockLevel.average_cost,
    )
    .join(Article, Article.id == StockLevel.article_id)
    .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
    .order_by(Article.sku, Warehouse.code)
)
# One prebuilt statement per filter combination (article_id, warehouse_id given): no statement
# building or cache-key generation per request.
_LEVELS_BY = {
    (False, False): _LEVELS,
    (True, False): _LEVELS.where(StockLevel.article_id == bindparam("a")),
    (False, True): _LEVELS.where(StockLevel.warehouse_id == bindparam("w")),
    (True, True): _LEVELS.where(
        StockLevel.article_id == bindparam("a"), StockLevel.warehouse_id == bindparam("w")
    ),
}


def levels(
    session: Session, *, article_id: int | None = None, warehouse_id: int | None = None
) -> list[Level]:
    """Stock per article and warehouse (by SKU, then warehouse code)."""
    stmt = _LEVELS_BY[article_id is not None, warehouse_id is not None]
    params = {"a": article_id, "w": warehouse_id}
    # Plain rows, no ORM entities: the Core connection skips the ORM's result machinery.
    return [Level(*row) for row in session.connection().execute(stmt, params)]


def movements(
    session: Session,
    *,
    limit: int,
    offset: int,
    article_id: int | None = None,
    warehouse_id: int | None = None,
) -> tuple[list[StockMovement], int]:
    """The ledger, newest first, and the number of matching lines."""
    stmt = select(StockMovement)
    if article_id is not None:
        stmt = stmt.where(StockMovement.article_id == article_id)
    if warehouse_id is not None:
        stmt = stmt.where(StockMovement.warehouse_id == warehouse_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(StockMovement.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def get_movement(session: Session, movement_id: int) -> StockMovement:
    movement = session.get(StockMovement, movement_id)
    if movement is None:
        raise MovementNotFound(f"stock movement {movement_id} does not exist")
    return movement


def ledger_sums(session: Session) -> dict[tuple[int, int], int]:
    """The ledger's total quantity per (article, warehouse): it equals the level's on hand."""
    rows = session.execute(
        select(
            StockMovement.article_id, StockMovement.warehouse_id, func.sum(StockMovement.quantity)
        ).group_by(StockMovement.article_id, StockMovement.warehouse_id)
    )
    return {(a, w): int(total) for a, w, total in rows}


def inventory_value(session: Session) -> InventoryValue:
    """Bestandswert: on hand × moving average per article and warehouse, and the total."""
    lines = [level for level in levels(session) if level.on_hand > 0]
    return InventoryValue(lines=lines, total=sum((li.value for li in lines), ZERO))
