"""``complete_operations``: no business operation is half-written — every invoice and payment
has its posted journal entry (right document number, right amount on the Debitor or
Kreditor), every delivery and goods receipt line its stock movement (and no movement of
theirs lacks its line), the delivered, received, invoiced and paid figures on orders and
invoices equal the documents behind them, and every status agrees with those figures
(an order marked delivered has nothing left to deliver, a corrected invoice has its
correction, …).

The journal entries and stock movements are checked in resilience.consistency.postings, the
statuses in resilience.consistency.states; here the running figures and the check that runs
them all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, SQLColumnExpression, func, or_, select

from erp.purchasing.models import (
    GoodsReceiptLine,
    IncomingInvoice,
    IncomingInvoiceLine,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierPayment,
)
from erp.sales.models import (
    CustomerPayment,
    DeliveryLine,
    OutgoingInvoice,
    OutgoingInvoiceLine,
    SalesOrder,
    SalesOrderLine,
)
from resilience.consistency.postings import (
    POSTED_DOCUMENTS,
    STOCK_DOCUMENTS,
    check_movements,
    check_postings,
)
from resilience.consistency.snapshot import Findings, cents, count_rows
from resilience.consistency.states import check_invoice_states, check_order_states


def _line_totals(
    connection: Connection,
    found: Findings,
    *,
    kind: str,
    order: Any,
    order_line: Any,
    stored: SQLColumnExpression[int],
    source: Any,
    source_quantity: SQLColumnExpression[int],
    what: str,
) -> None:
    """An order line's running figure (delivered, invoiced, received) equals the sum of the
    document lines behind it."""
    behind = (
        select(
            source.order_line_id.label("order_line_id"), func.sum(source_quantity).label("total")
        )
        .group_by(source.order_line_id)
        .subquery()
    )
    total = func.coalesce(behind.c.total, 0)
    faulty = (
        select(order.number, order.id, order_line.position, stored, total)
        .select_from(order_line)
        .join(order, order.id == order_line.order_id)
        .outerjoin(behind, behind.c.order_line_id == order_line.id)
        .where(stored != total)
        .order_by(order.id, order_line.position)
    )
    for number, order_id, position, figure, summed in connection.execute(faulty):
        found.add(
            f"{kind} {number or f'#{order_id}'}, line {position}: {what} quantity {figure}, "
            f"its documents sum to {summed}"
        )


def _document_lines(
    connection: Connection,
    found: Findings,
    *,
    kind: str,
    document: Any,
    line: Any,
    line_document: SQLColumnExpression[int],
) -> None:
    """An invoice's net total equals its lines' nets (and it has lines)."""
    nets = (
        select(line_document.label("document_id"), func.sum(line.net).label("net"))
        .group_by(line_document)
        .subquery()
    )
    faulty = (
        select(document.number, document.net_total, cents(nets.c.net))
        .outerjoin(nets, nets.c.document_id == document.id)
        .where(or_(nets.c.net.is_(None), nets.c.net != document.net_total))
        .order_by(document.id)
    )
    for number, net_total, lines_net in connection.execute(faulty):
        if lines_net is None:
            found.add(f"{kind} {number}: has no lines")
        else:
            found.add(f"{kind} {number}: net total {net_total}, its lines sum to {lines_net}")


def _paid_totals(
    connection: Connection,
    found: Findings,
    *,
    kind: str,
    invoice: Any,
    payment: Any,
) -> None:
    """An invoice's paid total equals its payments."""
    paid = (
        select(payment.invoice_id.label("invoice_id"), func.sum(payment.amount).label("paid"))
        .group_by(payment.invoice_id)
        .subquery()
    )
    payments = func.coalesce(paid.c.paid, 0)
    faulty = (
        select(invoice.number, invoice.paid_total, cents(payments))
        .outerjoin(paid, paid.c.invoice_id == invoice.id)
        .where(invoice.paid_total != payments)
        .order_by(invoice.id)
    )
    for number, paid_total, summed in connection.execute(faulty):
        found.add(f"{kind} {number}: paid total {paid_total}, its payments sum to {summed}")


def check_operations(connection: Connection, found: Findings) -> int:
    examined = sum(check_postings(connection, found, document) for document in POSTED_DOCUMENTS)
    examined += sum(check_movements(connection, found, moved) for moved in STOCK_DOCUMENTS)
    examined += count_rows(connection, SalesOrder) + count_rows(connection, PurchaseOrder)
    _document_lines(
        connection,
        found,
        kind="outgoing invoice",
        document=OutgoingInvoice,
        line=OutgoingInvoiceLine,
        line_document=OutgoingInvoiceLine.invoice_id,
    )
    _document_lines(
        connection,
        found,
        kind="incoming invoice",
        document=IncomingInvoice,
        line=IncomingInvoiceLine,
        line_document=IncomingInvoiceLine.invoice_id,
    )
    _line_totals(
        connection,
        found,
        kind="sales order",
        order=SalesOrder,
        order_line=SalesOrderLine,
        stored=SalesOrderLine.delivered_quantity,
        source=DeliveryLine,
        source_quantity=DeliveryLine.quantity,
        what="delivered",
    )
    _line_totals(
        connection,
        found,
        kind="sales order",
        order=SalesOrder,
        order_line=SalesOrderLine,
        stored=SalesOrderLine.invoiced_quantity,
        source=OutgoingInvoiceLine,
        source_quantity=OutgoingInvoiceLine.quantity,
        what="invoiced",
    )
    _line_totals(
        connection,
        found,
        kind="purchase order",
        order=PurchaseOrder,
        order_line=PurchaseOrderLine,
        stored=PurchaseOrderLine.received_quantity,
        source=GoodsReceiptLine,
        source_quantity=GoodsReceiptLine.quantity,
        what="received",
    )
    _line_totals(
        connection,
        found,
        kind="purchase order",
        order=PurchaseOrder,
        order_line=PurchaseOrderLine,
        stored=PurchaseOrderLine.invoiced_quantity,
        source=IncomingInvoiceLine,
        source_quantity=IncomingInvoiceLine.quantity,
        what="invoiced",
    )
    _paid_totals(
        connection, found, kind="outgoing invoice", invoice=OutgoingInvoice, payment=CustomerPayment
    )
    _paid_totals(
        connection, found, kind="incoming invoice", invoice=IncomingInvoice, payment=SupplierPayment
    )
    check_invoice_states(connection, found)
    check_order_states(connection, found)
    return examined
