"""Suppliers, purchase orders (draft → ordered) and goods receipts (stock up).

Each function runs in the caller's transaction: a receipt's stock movements, its document
and its number are written together or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from erp import audit
from erp.auth.models import User
from erp.errors import Conflict, DomainError, NotFound
from erp.fibu import service as fibu
from erp.fibu.models import Account, AccountKind
from erp.money import MAX_LINE_NET
from erp.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    OrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from erp.sequences import document_number, next_number
from erp.stock import ledger
from erp.stock import service as stock
from erp.timeutil import utcnow

KREDITOR_FIRST, KREDITOR_LAST = 70000, 99999


class SupplierNotFound(NotFound):
    slug = "supplier-not-found"


class OrderNotFound(NotFound):
    slug = "purchase-order-not-found"


class ReceiptNotFound(NotFound):
    slug = "goods-receipt-not-found"


class OrderState(Conflict):
    slug = "purchase-order-state"


class OverReceipt(Conflict):
    slug = "over-receipt"


class InvalidOrder(DomainError):
    status, title, slug = 422, "Invalid purchase order", "invalid-purchase-order"


# suppliers -----------------------------------------------------------------------------
def get_supplier(session: Session, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise SupplierNotFound(f"supplier {supplier_id} does not exist")
    return supplier


def create_supplier(session: Session, *, actor: User, values: dict[str, Any]) -> Supplier:
    """A supplier with the next free Kreditor account (70000–99999), opened in FIBU too."""
    while True:
        number = next_number(session, "kreditor", first=KREDITOR_FIRST, last=KREDITOR_LAST)
        if session.get(Account, number) is None:  # skip accounts opened by hand
            break
    supplier = Supplier(kreditor_account=number, created_by_id=actor.id, **values)
    session.add(supplier)
    fibu.create_account(
        session,
        actor=actor,
        values={"number": number, "name": values["name"][:120], "kind": AccountKind.kreditor},
    )
    session.flush()
    audit.record(
        session,
        entity="supplier",
        entity_id=supplier.id,
        action="created",
        user_id=actor.id,
        changes=values,
    )
    return supplier


def list_suppliers(session: Session, *, limit: int, offset: int) -> tuple[list[Supplier], int]:
    total = session.scalar(select(func.count()).select_from(Supplier)) or 0
    rows = session.scalars(
        select(Supplier).order_by(Supplier.name, Supplier.id).limit(limit).offset(offset)
    )
    return list(rows), total


# purchase orders -----------------------------------------------------------------------
def get_order(session: Session, order_id: int) -> PurchaseOrder:
    order = session.get(PurchaseOrder, order_id, options=[selectinload(PurchaseOrder.lines)])
    if order is None:
        raise OrderNotFound(f"purchase order {order_id} does not exist")
    return order


def create_order(session: Session, *, actor: User, values: dict[str, Any]) -> PurchaseOrder:
    """A draft order; each line's price defaults to the article's purchase price."""
    get_supplier(session, values["supplier_id"])
    order = PurchaseOrder(
        supplier_id=values["supplier_id"],
        order_date=values["order_date"],
        expected_date=values.get("expected_date"),
        created_by_id=actor.id,
    )
    articles = set()
    for position, raw in enumerate(values["lines"], start=1):
        article = stock.get_article(session, raw["article_id"])
        if not article.active:
            raise InvalidOrder(f"line {position}: article {article.sku} is inactive")
        if article.id in articles:
            raise InvalidOrder(f"line {position}: article {article.sku} is on the order twice")
        articles.add(article.id)
        price = article.purchase_price if raw.get("unit_price") is None else raw["unit_price"]
        if price * raw["quantity"] > MAX_LINE_NET:
            raise InvalidOrder(f"line {position}: the line's net exceeds {MAX_LINE_NET}")
        order.lines.append(
            PurchaseOrderLine(
                position=position,
                article_id=article.id,
                quantity=raw["quantity"],
                unit_price=price,
                vat_rate=article.vat_rate,
            )
        )
    session.add(order)
    session.flush()
    audit.record(
        session, entity="purchase_order", entity_id=order.id, action="created", user_id=actor.id
    )
    return order


def place_order(session: Session, *, order_id: int, actor: User) -> PurchaseOrder:
    """draft → ordered: the order gets its number."""
    order = get_order(session, order_id)
    if order.status is not OrderStatus.draft:
        raise OrderState(f"order {order.number} is {order.status.value}, not a draft")
    order.number = document_number(session, "B", order.order_date)
    order.status, order.ordered_at = OrderStatus.ordered, utcnow()
    audit.record(
        session,
        entity="purchase_order",
        entity_id=order.id,
        action="ordered",
        user_id=actor.id,
        changes={"number": order.number},
    )
    return order


def delete_draft(session: Session, *, order_id: int, actor: User) -> None:
    order = get_order(session, order_id)
    if order.status is not OrderStatus.draft:
        raise OrderState(f"order {order.number} is {order.status.value}: only drafts are deleted")
    session.delete(order)
    session.flush()
    audit.record(
        session, entity="purchase_order", entity_id=order_id, action="deleted", user_id=actor.id
    )


def list_orders(
    session: Session,
    *,
    limit: int,
    offset: int,
    status: OrderStatus | None = None,
    supplier_id: int | None = None,
) -> tuple[list[PurchaseOrder], int]:
    stmt = select(PurchaseOrder)
    if status is not None:
        stmt = stmt.where(PurchaseOrder.status == status)
    if supplier_id is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id == supplier_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.options(selectinload(PurchaseOrder.lines)).order_by(PurchaseOrder.id.desc())
    return list(session.scalars(page.limit(limit).offset(offset))), total


# goods receipts ------------------------------------------------------------------------
def get_receipt(session: Session, receipt_id: int) -> GoodsReceipt:
    receipt = session.get(GoodsReceipt, receipt_id, options=[selectinload(GoodsReceipt.lines)])
    if receipt is None:
        raise ReceiptNotFound(f"goods receipt {receipt_id} does not exist")
    return receipt


def receive_goods(
    session: Session, *, order_id: int, actor: User, values: dict[str, Any]
) -> GoodsReceipt:
    """Receive (part of) an order into a warehouse: stock up at the order's prices."""
    order = get_order(session, order_id)
    if order.status not in (OrderStatus.ordered, OrderStatus.partially_received):
        raise OrderState(
            f"order {order.number or order.id} is {order.status.value}: nothing to receive"
        )
    warehouse = stock.get_warehouse(session, values["warehouse_id"])
    by_line = {line.id: line for line in order.lines}
    receipt = GoodsReceipt(
        number=document_number(session, "WE", values["receipt_date"]),
        order_id=order.id,
        warehouse_id=warehouse.id,
        receipt_date=values["receipt_date"],
        created_by_id=actor.id,
    )
    wanted = []
    for raw in values["lines"]:
        line = by_line.get(raw["order_line_id"])
        if line is None:
            raise InvalidOrder(f"order line {raw['order_line_id']} is not on order {order.number}")
        wanted.append((line, raw))
    # Lock stock levels in one order (by article): concurrent receipts never deadlock.
    for line, raw in sorted(wanted, key=lambda pair: pair[0].article_id):
        open_quantity = line.quantity - line.received_quantity
        if raw["quantity"] > open_quantity:
            raise OverReceipt(
                f"line {line.position}: {raw['quantity']} received but only {open_quantity} open"
            )
        movement = ledger.receive(
            session,
            article_id=line.article_id,
            warehouse_id=warehouse.id,
            quantity=raw["quantity"],
            unit_cost=line.unit_price,
            reference=receipt.number,
            actor=actor,
        )
        line.received_quantity += raw["quantity"]
        receipt.lines.append(
            GoodsReceiptLine(
                order_line_id=line.id, quantity=raw["quantity"], movement_id=movement.id
            )
        )
    done = all(line.received_quantity == line.quantity for line in order.lines)
    order.status = OrderStatus.received if done else OrderStatus.partially_received
    session.add(receipt)
    session.flush()
    audit.record(
        session,
        entity="goods_receipt",
        entity_id=receipt.id,
        action="created",
        user_id=actor.id,
        changes={"number": receipt.number, "order": order.number},
    )
    return receipt
