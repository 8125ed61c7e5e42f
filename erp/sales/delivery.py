"""Deliveries (Lieferscheine): reserved stock goes out of the order's warehouse.

A delivery releases each line's reservation and issues the same quantity at the moving
average, in one transaction with its document and number.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, selectinload

from erp import audit
from erp.auth.models import User
from erp.errors import Conflict, NotFound
from erp.sales.models import Delivery, DeliveryLine, SalesOrderLine, SalesOrderStatus
from erp.sales.service import OPEN, InvalidOrder, OrderState, get_order
from erp.sequences import document_number
from erp.stock import ledger


class DeliveryNotFound(NotFound):
    slug = "delivery-not-found"


class OverDelivery(Conflict):
    slug = "over-delivery"


def get_delivery(session: Session, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id, options=[selectinload(Delivery.lines)])
    if delivery is None:
        raise DeliveryNotFound(f"delivery {delivery_id} does not exist")
    return delivery


def _wanted(
    lines: list[SalesOrderLine], given: list[dict[str, Any]] | None, number: str
) -> list[tuple[SalesOrderLine, int]]:
    """(order line, quantity) to ship: the given lines, or everything open when none are given."""
    if given is None:
        return [(line, line.open_quantity) for line in lines if line.open_quantity]
    by_id = {line.id: line for line in lines}
    wanted: dict[int, tuple[SalesOrderLine, int]] = {}
    for raw in given:
        line = by_id.get(raw["order_line_id"])
        if line is None:
            raise InvalidOrder(f"order line {raw['order_line_id']} is not on order {number}")
        if line.id in wanted:
            raise InvalidOrder(f"order line {line.id} is given twice")
        if raw["quantity"] > line.open_quantity:
            raise OverDelivery(
                f"line {line.position}: {raw['quantity']} to deliver but only "
                f"{line.open_quantity} open"
            )
        wanted[line.id] = (line, raw["quantity"])
    return list(wanted.values())


def deliver(session: Session, *, order_id: int, actor: User, values: dict[str, Any]) -> Delivery:
    """Ship (part of) a confirmed order; with no lines given, everything still open."""
    order = get_order(session, order_id)
    if order.status not in OPEN:
        raise OrderState(
            f"order {order.number or order.id} is {order.status.value}: nothing to deliver"
        )
    number = order.number or str(order.id)
    if values["delivery_date"] < order.order_date:
        raise InvalidOrder(f"a delivery is not dated before its order ({order.order_date})")
    wanted = _wanted(order.lines, values.get("lines"), number)
    if not wanted:
        raise OverDelivery(f"order {number} has nothing left to deliver")
    delivery = Delivery(
        number=document_number(session, "LS", values["delivery_date"]),
        order_id=order.id,
        warehouse_id=order.warehouse_id,
        delivery_date=values["delivery_date"],
        created_by_id=actor.id,
    )
    # Stock rows in article order: concurrent deliveries never deadlock. Each line releases
    # and issues in one statement; the ledger lines are inserted together by one flush.
    shipped = [
        (
            line,
            quantity,
            ledger.ship_reserved(
                session,
                article_id=line.article_id,
                warehouse_id=order.warehouse_id,
                quantity=quantity,
                reference=delivery.number,
                actor=actor,
                flush=False,
            ),
        )
        for line, quantity in sorted(wanted, key=lambda pair: pair[0].article_id)
    ]
    session.flush()
    for line, quantity, movement in shipped:
        line.delivered_quantity += quantity
        delivery.lines.append(
            DeliveryLine(order_line_id=line.id, quantity=quantity, movement_id=movement.id)
        )
    done = all(line.open_quantity == 0 for line in order.lines)
    order.status = SalesOrderStatus.delivered if done else SalesOrderStatus.partially_delivered
    session.add(delivery)
    session.flush()
    audit.record(
        session,
        entity="delivery",
        entity_id=delivery.id,
        action="created",
        user_id=actor.id,
        changes={"number": delivery.number, "order": order.number},
    )
    return delivery
