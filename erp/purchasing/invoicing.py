"""Incoming invoices (posted to FIBU: Wareneingang + Vorsteuer against the Kreditor) and
outgoing payments from the bank (partial payments; overpayment refused).

Invoice maths: net per line = quantity × unit price; VAT per rate on the invoice's net total
for that rate, rounded once, half-up (the journal derives its tax lines the same way, so the
posting and the invoice agree to the cent).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from erp import audit
from erp.auth.models import User
from erp.errors import Conflict, DomainError, NotFound
from erp.fibu import journal
from erp.money import ZERO, round_cents
from erp.purchasing.models import (
    IncomingInvoice,
    IncomingInvoiceLine,
    InvoiceStatus,
    SupplierPayment,
)
from erp.purchasing.service import get_order, get_supplier
from erp.sequences import document_number

WARENEINGANG = {19: 3400, 7: 3300}  # SKR03 Automatikkonten: Vorsteuer is added by the journal
BANK = 1200


class InvoiceNotFound(NotFound):
    slug = "incoming-invoice-not-found"


class NothingToInvoice(Conflict):
    slug = "nothing-to-invoice"


class Overpayment(Conflict):
    slug = "overpayment"


class DuplicateSupplierInvoice(Conflict):
    slug = "duplicate-supplier-invoice"


class InvoicePaid(Conflict):
    slug = "invoice-paid"


class InvalidPayment(DomainError):
    status, title, slug = 422, "Invalid payment", "invalid-payment"


def totals(lines: list[IncomingInvoiceLine]) -> tuple[dict[int, Decimal], Decimal, Decimal]:
    """(net per rate, tax total, gross total)."""
    net_by_rate: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        net_by_rate[line.vat_rate] += line.net
    tax = sum((round_cents(net * rate / Decimal(100)) for rate, net in net_by_rate.items()), ZERO)
    return dict(net_by_rate), tax, sum(net_by_rate.values(), ZERO) + tax


def get_invoice(session: Session, invoice_id: int) -> IncomingInvoice:
    invoice = session.get(
        IncomingInvoice, invoice_id, options=[selectinload(IncomingInvoice.lines)]
    )
    if invoice is None:
        raise InvoiceNotFound(f"incoming invoice {invoice_id} does not exist")
    return invoice


def create_invoice(
    session: Session, *, order_id: int, actor: User, values: dict[str, Any]
) -> IncomingInvoice:
    """Invoice what was received and not yet invoiced, and post it in one transaction."""
    order = get_order(session, order_id)
    supplier = get_supplier(session, order.supplier_id)
    reference = values["supplier_reference"]
    duplicate = session.scalar(
        select(IncomingInvoice.id).where(
            IncomingInvoice.supplier_id == supplier.id,
            IncomingInvoice.supplier_reference == reference,
        )
    )
    if duplicate is not None:
        raise DuplicateSupplierInvoice(f"invoice {reference} of {supplier.name} is booked already")
    lines = []
    for line in order.lines:
        quantity = line.received_quantity - line.invoiced_quantity
        if quantity > 0:
            lines.append(
                IncomingInvoiceLine(
                    order_line_id=line.id,
                    quantity=quantity,
                    unit_price=line.unit_price,
                    vat_rate=line.vat_rate,
                    net=round_cents(line.unit_price * quantity),
                )
            )
            line.invoiced_quantity += quantity
    if not lines:
        raise NothingToInvoice(f"order {order.number or order.id} has nothing received to invoice")
    net_by_rate, tax, gross = totals(lines)
    invoice_date: date = values["invoice_date"]
    invoice = IncomingInvoice(
        number=document_number(session, "ER", invoice_date),
        supplier_id=supplier.id,
        supplier_reference=reference,
        order_id=order.id,
        invoice_date=invoice_date,
        service_date=values.get("service_date") or invoice_date,
        due_date=values.get("due_date")
        or invoice_date + timedelta(days=supplier.payment_terms_days),
        net_total=sum(net_by_rate.values(), ZERO),
        tax_total=tax,
        gross_total=gross,
        lines=lines,
        created_by_id=actor.id,
    )
    entry = journal.create_entry(
        session,
        actor=actor,
        post=True,
        values={
            "document_number": invoice.number,
            "document_date": invoice_date,
            "posting_date": invoice_date,
            "service_date": invoice.service_date,
            "due_date": invoice.due_date,
            "text": f"{supplier.name[:40]} {reference}"[:60],
            "lines": [
                *(
                    {"account": WARENEINGANG[rate], "debit": net}
                    for rate, net in sorted(net_by_rate.items())
                ),
                {
                    "account": supplier.kreditor_account,
                    "credit": gross,
                    "reference": invoice.number,
                },
            ],
        },
    )
    invoice.journal_entry_id = entry.id
    session.add(invoice)
    session.flush()
    audit.record(
        session,
        entity="incoming_invoice",
        entity_id=invoice.id,
        action="posted",
        user_id=actor.id,
        changes={"number": invoice.number, "gross": gross, "entry": entry.id},
    )
    return invoice


def pay_invoice(
    session: Session, *, invoice_id: int, actor: User, values: dict[str, Any]
) -> SupplierPayment:
    """Pay (part of) an invoice from the bank; the payment clears the Kreditor's open item."""
    invoice = get_invoice(session, invoice_id)
    amount: Decimal = values["amount"]
    open_amount = invoice.gross_total - invoice.paid_total
    if amount <= 0:
        raise InvalidPayment("a payment amount is positive")
    if invoice.status is InvoiceStatus.paid:
        raise InvoicePaid(f"invoice {invoice.number} is paid")
    if amount > open_amount:
        raise Overpayment(f"{amount} exceeds the open {open_amount} of invoice {invoice.number}")
    supplier = get_supplier(session, invoice.supplier_id)
    day: date = values["payment_date"]
    entry = journal.create_entry(
        session,
        actor=actor,
        post=True,
        values={
            "document_number": document_number(session, "ZA", day),
            "document_date": day,
            "posting_date": day,
            "text": f"Zahlung {invoice.number} {supplier.name[:30]}"[:60],
            "lines": [
                {
                    "account": supplier.kreditor_account,
                    "debit": amount,
                    "reference": invoice.number,
                },
                {"account": BANK, "credit": amount},
            ],
        },
    )
    payment = SupplierPayment(
        invoice_id=invoice.id,
        amount=amount,
        payment_date=day,
        journal_entry_id=entry.id,
        created_by_id=actor.id,
    )
    invoice.paid_total += amount
    invoice.status = (
        InvoiceStatus.paid
        if invoice.paid_total == invoice.gross_total
        else InvoiceStatus.partially_paid
    )
    session.add(payment)
    session.flush()
    audit.record(
        session,
        entity="incoming_invoice",
        entity_id=invoice.id,
        action="paid",
        user_id=actor.id,
        changes={"amount": amount, "entry": entry.id},
    )
    return payment


def list_invoices(
    session: Session, *, limit: int, offset: int, status: InvoiceStatus | None = None
) -> tuple[list[IncomingInvoice], int]:
    stmt = select(IncomingInvoice)
    if status is not None:
        stmt = stmt.where(IncomingInvoice.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.options(selectinload(IncomingInvoice.lines)).order_by(IncomingInvoice.id.desc())
    return list(session.scalars(page.limit(limit).offset(offset))), total
