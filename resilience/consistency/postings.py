"""``complete_operations``, what each document wrote elsewhere: every invoice and payment has
its posted journal entry (right document number, right amount on the Debitor or Kreditor),
every delivery and goods receipt line its stock movement (and no movement of theirs lacks its
line). Run by resilience.consistency.operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, SQLColumnExpression, func, or_, select

from erp.crm.models import Customer
from erp.fibu.models import EntryStatus, JournalEntry, JournalLine
from erp.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    IncomingInvoice,
    PurchaseOrderLine,
    Supplier,
    SupplierPayment,
)
from erp.sales.models import (
    CustomerPayment,
    Delivery,
    DeliveryLine,
    OutgoingInvoice,
    SalesOrderLine,
)
from erp.stock.models import MovementKind, StockMovement
from resilience.consistency.snapshot import Findings, cents, count_rows


@dataclass(frozen=True)
class _Posted:
    """A document posted to the journal: its entry carries ``document_ok`` and books
    ``amount`` (debit − credit) on ``account`` (the party's Debitor or Kreditor)."""

    label: str  # how a message names one: "outgoing invoice {}"
    table: FromClause
    number: SQLColumnExpression[Any]
    entry_id: SQLColumnExpression[int]
    party: tuple[Any, ColumnElement[bool]]  # (the party's table, how it joins)
    account: SQLColumnExpression[int]
    amount: SQLColumnExpression[Decimal]
    document_ok: ColumnElement[bool]
    side: str  # "on the Debitor", "on the Kreditor"


def _account_net(entry_id: SQLColumnExpression[int], account: SQLColumnExpression[int]) -> Any:
    """debit − credit of one entry on one account (a correlated subquery, by index)."""
    return (
        select(
            func.coalesce(func.sum(JournalLine.debit), 0)
            - func.coalesce(func.sum(JournalLine.credit), 0)
        )
        .where(JournalLine.entry_id == entry_id, JournalLine.account_number == account)
        .scalar_subquery()
    )


POSTED_DOCUMENTS = (
    _Posted(
        "outgoing invoice {}",
        OutgoingInvoice.__table__,
        OutgoingInvoice.number,
        OutgoingInvoice.journal_entry_id,
        (Customer, Customer.id == OutgoingInvoice.customer_id),
        Customer.debitor_account,
        OutgoingInvoice.gross_total,  # signed: a correction's is negative
        JournalEntry.document_number == OutgoingInvoice.number,
        "on the Debitor",
    ),
    _Posted(
        "incoming payment {}",
        CustomerPayment.__table__,
        CustomerPayment.number,
        CustomerPayment.journal_entry_id,
        (
            OutgoingInvoice.__table__.join(
                Customer, Customer.id == OutgoingInvoice.customer_id, isouter=True
            ),
            OutgoingInvoice.id == CustomerPayment.invoice_id,
        ),
        Customer.debitor_account,
        -CustomerPayment.amount,
        JournalEntry.document_number == CustomerPayment.number,
        "on the Debitor",
    ),
    _Posted(
        "incoming invoice {}",
        IncomingInvoice.__table__,
        IncomingInvoice.number,
        IncomingInvoice.journal_entry_id,
        (Supplier, Supplier.id == IncomingInvoice.supplier_id),
        Supplier.kreditor_account,
        -IncomingInvoice.gross_total,
        JournalEntry.document_number == IncomingInvoice.number,
        "on the Kreditor",
    ),
    _Posted(
        "outgoing payment #{}",
        SupplierPayment.__table__,
        SupplierPayment.id,
        SupplierPayment.journal_entry_id,
        (
            IncomingInvoice.__table__.join(
                Supplier, Supplier.id == IncomingInvoice.supplier_id, isouter=True
            ),
            IncomingInvoice.id == SupplierPayment.invoice_id,
        ),
        Supplier.kreditor_account,
        SupplierPayment.amount,
        JournalEntry.document_number.like("ZA%"),
        "on the Kreditor",
    ),
)


def check_postings(connection: Connection, found: Findings, document: _Posted) -> int:
    """The document's journal entry exists, is posted, carries its number and its amount."""
    net = _account_net(document.entry_id, document.account)
    party, joined = document.party
    faulty = (
        select(
            document.number,
            document.entry_id,
            JournalEntry.id,
            JournalEntry.status,
            JournalEntry.document_number,
            document.document_ok,
            cents(net),
            cents(document.amount),
        )
        .select_from(document.table)
        .outerjoin(party, joined)
        .outerjoin(JournalEntry, JournalEntry.id == document.entry_id)
        .where(
            or_(
                JournalEntry.id.is_(None),
                JournalEntry.status != EntryStatus.posted,
                ~document.document_ok,
                net != document.amount,
            )
        )
        .order_by(document.entry_id)
    )
    for row in connection.execute(faulty):
        number, entry_id, found_id, status, carried, carried_ok, booked, amount = row
        name = document.label.format(number)
        if found_id is None:
            found.add(f"{name}: its journal entry {entry_id} is missing")
            continue
        if status is not EntryStatus.posted:
            found.add(f"{name}: its journal entry {entry_id} is not posted ({status})")
        if booked != amount:
            found.add(
                f"{name}: its journal entry {entry_id} books {booked} {document.side}, "
                f"the document {amount}"
            )
        if not carried_ok:
            found.add(f"{name}: its journal entry {entry_id} carries document number {carried}")
    return count_rows(connection, document.table)


@dataclass(frozen=True)
class _Moved:
    """A stock document: each of its lines points at the movement it wrote."""

    kind: str
    document: Any  # Delivery or GoodsReceipt
    line: Any  # DeliveryLine or GoodsReceiptLine
    line_document: SQLColumnExpression[int]  # the line's document id
    order_line: Any  # SalesOrderLine or PurchaseOrderLine
    movement_kind: MovementKind
    sign: int  # the movement's quantity = sign × the line's


STOCK_DOCUMENTS = (
    _Moved(
        "delivery",
        Delivery,
        DeliveryLine,
        DeliveryLine.delivery_id,
        SalesOrderLine,
        MovementKind.issue,
        -1,
    ),
    _Moved(
        "goods receipt",
        GoodsReceipt,
        GoodsReceiptLine,
        GoodsReceiptLine.receipt_id,
        PurchaseOrderLine,
        MovementKind.receipt,
        1,
    ),
)


def check_movements(connection: Connection, found: Findings, moved: _Moved) -> int:
    """Every line has its movement (kind, quantity, article, warehouse, reference), and every
    movement referencing the document belongs to one of its lines."""
    document, line, order_line, movement = (
        moved.document,
        moved.line,
        moved.order_line,
        StockMovement,
    )
    faulty = (
        select(document.number, line.id, line.quantity, line.movement_id, movement.id)
        .select_from(line)
        .join(document, document.id == moved.line_document)
        .outerjoin(order_line, order_line.id == line.order_line_id)
        .outerjoin(movement, movement.id == line.movement_id)
        .where(
            or_(
                movement.id.is_(None),
                movement.kind != moved.movement_kind,
                movement.quantity != moved.sign * line.quantity,
                movement.reference != document.number,
                movement.article_id != order_line.article_id,
                movement.warehouse_id != document.warehouse_id,
            )
        )
        .order_by(document.number, line.id)
    )
    for number, line_id, quantity, movement_id, found_id in connection.execute(faulty):
        name = f"{moved.kind} {number}, line {line_id}"
        if found_id is None:
            found.add(f"{name}: its stock movement {movement_id} is missing")
        else:
            found.add(
                f"{name}: stock movement {movement_id} is not the {moved.movement_kind.value} "
                f"of {quantity} of the line's article in the {moved.kind}'s warehouse"
            )
    no_lines = select(document.number).where(document.id.not_in(select(moved.line_document)))
    for number in connection.scalars(no_lines.order_by(document.number)):
        found.add(f"{moved.kind} {number}: has no lines")
    orphans = (
        select(movement.id, movement.reference)
        .join(document, document.number == movement.reference)
        .where(movement.id.not_in(select(line.movement_id)))
        .order_by(movement.id)
    )
    for movement_id, reference in connection.execute(orphans):
        found.add(f"{moved.kind} {reference}: stock movement {movement_id} belongs to no line")
    return count_rows(connection, document)
