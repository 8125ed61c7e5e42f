"""``stock_ledger``: per (article, warehouse) the ledger sums to the stored level, no level is
negative, the reserved quantity lies within what is on hand and equals what the open sales
orders (confirmed, partly delivered) still have to deliver.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from erp.sales.models import SalesOrder, SalesOrderLine, SalesOrderStatus
from erp.stock.models import Article, StockLevel, StockMovement, Warehouse
from resilience.consistency.snapshot import Findings

OPEN_SALES_ORDERS = (SalesOrderStatus.confirmed, SalesOrderStatus.partially_delivered)


class _Names:
    """Article SKUs and warehouse codes, read only when a message needs them."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._articles: dict[int, str] | None = None
        self._warehouses: dict[int, str] | None = None

    def place(self, article_id: int, warehouse_id: int) -> str:
        if self._articles is None or self._warehouses is None:
            rows = self.connection.execute(select(Article.id, Article.sku))
            self._articles = {row.id: row.sku for row in rows}
            rows = self.connection.execute(select(Warehouse.id, Warehouse.code))
            self._warehouses = {row.id: row.code for row in rows}
        article = self._articles.get(article_id, f"#{article_id} (no such article)")
        warehouse = self._warehouses.get(warehouse_id, f"#{warehouse_id} (no such warehouse)")
        return f"article {article} in warehouse {warehouse}"


def check_stock(connection: Connection, found: Findings) -> int:
    moved = select(
        StockMovement.article_id,
        StockMovement.warehouse_id,
        func.sum(StockMovement.quantity),
        func.count(),
    ).group_by(StockMovement.article_id, StockMovement.warehouse_id)
    ledger = {(a, w): (int(total), int(n)) for a, w, total, n in connection.execute(moved)}
    stored = select(
        StockLevel.article_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved
    )
    levels = {(a, w): (on_hand, reserved) for a, w, on_hand, reserved in connection.execute(stored)}
    open_quantity = (
        SalesOrderLine.quantity
        - SalesOrderLine.delivered_quantity
        - SalesOrderLine.cancelled_quantity
    )
    ordered = (
        select(SalesOrderLine.article_id, SalesOrder.warehouse_id, func.sum(open_quantity))
        .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
        .where(SalesOrder.status.in_(OPEN_SALES_ORDERS))
        .group_by(SalesOrderLine.article_id, SalesOrder.warehouse_id)
    )
    wanted = {(a, w): int(q) for a, w, q in connection.execute(ordered)}
    names = _Names(connection)
    for key in sorted(ledger.keys() | levels.keys() | wanted.keys()):
        place = names.place(*key)
        total, movements = ledger.get(key, (0, 0))
        if key not in levels:
            if movements:
                found.add(f"{place}: {movements} movement(s) summing to {total}, no stock level")
            if wanted.get(key):
                found.add(f"{place}: open sales orders reserve {wanted[key]}, no stock level")
            continue
        on_hand, reserved = levels[key]
        if on_hand != total:
            found.add(
                f"{place}: the ledger's {movements} movement(s) sum to {total}, "
                f"the level holds {on_hand} on hand"
            )
        if on_hand < 0:
            found.add(f"{place}: on hand {on_hand} is negative")
        if reserved < 0:
            found.add(f"{place}: reserved {reserved} is negative")
        elif reserved > on_hand:
            found.add(f"{place}: reserved {reserved} exceeds on hand {on_hand}")
        if reserved != wanted.get(key, 0):
            found.add(
                f"{place}: {reserved} reserved, open sales orders still to deliver "
                f"{wanted.get(key, 0)}"
            )
    return len(ledger.keys() | levels.keys())
