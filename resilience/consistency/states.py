"""``complete_operations``, the statuses: every status agrees with the figures behind it (an
invoice's with what is paid, an order's with what its lines delivered, cancelled or received;
a corrected invoice has its correction, …). Run by resilience.consistency.operations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, true
from sqlalchemy.orm import aliased

from erp.money import ZERO
from erp.purchasing.models import (
    IncomingInvoice,
    InvoiceStatus,
    OrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from erp.sales.models import (
    InvoiceKind,
    OutgoingInvoice,
    SalesInvoiceStatus,
    SalesOrder,
    SalesOrderLine,
    SalesOrderStatus,
)
from resilience.consistency.snapshot import Findings


def check_invoice_states(connection: Connection, found: Findings) -> None:
    """Each status agrees with the paid figures; a correction and its original go together."""
    out, inc = OutgoingInvoice, IncomingInvoice
    unpaid, paid_in_full = out.paid_total == ZERO, out.paid_total == out.gross_total
    outgoing: list[tuple[ColumnElement[bool], list[Any]]] = [
        (out.kind == InvoiceKind.correction, [SalesInvoiceStatus.correction]),
        (unpaid, [SalesInvoiceStatus.open, SalesInvoiceStatus.corrected]),
        (paid_in_full, [SalesInvoiceStatus.paid]),
        (true(), [SalesInvoiceStatus.partially_paid]),
    ]
    _states(connection, found, "outgoing invoice", out, outgoing)
    unpaid, paid_in_full = inc.paid_total == ZERO, inc.paid_total == inc.gross_total
    incoming: list[tuple[ColumnElement[bool], list[Any]]] = [
        (unpaid, [InvoiceStatus.open]),
        (paid_in_full, [InvoiceStatus.paid]),
        (true(), [InvoiceStatus.partially_paid]),
    ]
    _states(connection, found, "incoming invoice", inc, incoming)
    original = aliased(OutgoingInvoice)
    uncorrected = (
        select(out.number, original.number)
        .join(original, original.id == out.corrects_id)
        .where(out.kind == InvoiceKind.correction, original.status != SalesInvoiceStatus.corrected)
    )
    for number, corrected in connection.execute(uncorrected):
        found.add(f"outgoing invoice {corrected}: corrected by {number} but not marked corrected")
    corrections = select(out.corrects_id).where(out.corrects_id.is_not(None))
    lonely = select(out.number).where(
        out.status == SalesInvoiceStatus.corrected, out.id.not_in(corrections)
    )
    for number in connection.scalars(lonely.order_by(out.id)):
        found.add(f"outgoing invoice {number}: marked corrected, but no correction exists")


def _states(
    connection: Connection,
    found: Findings,
    kind: str,
    invoice: Any,
    expected: list[tuple[ColumnElement[bool], list[Any]]],
) -> None:
    """The first matching (condition, allowed statuses) decides; other statuses are wrong."""
    remaining: ColumnElement[bool] = true()
    wrong = []
    for condition, allowed in expected:
        wrong.append(and_(remaining, condition, invoice.status.not_in(allowed)))
        remaining = and_(remaining, ~condition)
    faulty = (
        select(invoice.number, invoice.status, invoice.paid_total, invoice.gross_total)
        .where(or_(*wrong))
        .order_by(invoice.id)
    )
    for number, status, paid_total, gross_total in connection.execute(faulty):
        found.add(f"{kind} {number}: {status.value}, but paid {paid_total} of {gross_total}")


def check_order_states(connection: Connection, found: Findings) -> None:
    """An order's status agrees with what its lines delivered, cancelled or received."""
    line = SalesOrderLine
    sums = (
        select(
            line.order_id.label("order_id"),
            func.sum(line.quantity - line.delivered_quantity - line.cancelled_quantity).label(
                "open"
            ),
            func.sum(line.delivered_quantity).label("delivered"),
            func.sum(line.cancelled_quantity).label("cancelled"),
        )
        .group_by(line.order_id)
        .subquery()
    )
    order, status = SalesOrder, SalesOrder.status
    untouched = and_(sums.c.delivered == 0, sums.c.cancelled == 0)
    wrong = or_(
        sums.c.order_id.is_(None),
        and_(status.in_([SalesOrderStatus.draft, SalesOrderStatus.confirmed]), ~untouched),
        and_(
            status == SalesOrderStatus.partially_delivered,
            or_(sums.c.delivered == 0, sums.c.open == 0, sums.c.cancelled != 0),
        ),
        and_(status == SalesOrderStatus.delivered, or_(sums.c.open != 0, sums.c.cancelled != 0)),
        and_(status == SalesOrderStatus.cancelled, sums.c.open != 0),
    )
    faulty = (
        select(order.number, order.id, status, sums.c.open, sums.c.delivered, sums.c.cancelled)
        .outerjoin(sums, sums.c.order_id == order.id)
        .where(wrong)
        .order_by(order.id)
    )
    for number, order_id, state, still_open, delivered, cancelled in connection.execute(faulty):
        name = f"sales order {number or f'#{order_id}'}"
        if still_open is None:
            found.add(f"{name}: {state.value}, but it has no lines")
        else:
            found.add(
                f"{name}: {state.value}, but its lines have {delivered} delivered, "
                f"{cancelled} cancelled and {still_open} still to deliver"
            )
    pline = PurchaseOrderLine
    psums = (
        select(
            pline.order_id.label("order_id"),
            func.sum(pline.quantity).label("ordered"),
            func.sum(pline.received_quantity).label("received"),
        )
        .group_by(pline.order_id)
        .subquery()
    )
    porder, pstatus = PurchaseOrder, PurchaseOrder.status
    pwrong = or_(
        psums.c.order_id.is_(None),
        and_(pstatus.in_([OrderStatus.draft, OrderStatus.ordered]), psums.c.received != 0),
        and_(
            pstatus == OrderStatus.partially_received,
            or_(psums.c.received == 0, psums.c.received >= psums.c.ordered),
        ),
        and_(pstatus == OrderStatus.received, psums.c.received != psums.c.ordered),
    )
    pfaulty = (
        select(porder.number, porder.id, pstatus, psums.c.ordered, psums.c.received)
        .outerjoin(psums, psums.c.order_id == porder.id)
        .where(pwrong)
        .order_by(porder.id)
    )
    for number, order_id, state, ordered, received in connection.execute(pfaulty):
        name = f"purchase order {number or f'#{order_id}'}"
        if ordered is None:
            found.add(f"{name}: {state.value}, but it has no lines")
        else:
            found.add(f"{name}: {state.value}, but {received} of {ordered} units are received")
