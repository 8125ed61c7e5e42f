"""Outgoing invoices, correcting invoices (Stornorechnungen) and incoming payments.

- An invoice bills what was delivered and not yet invoiced. It posts the Debitor (gross)
  against Erlöse per rate (8400 at 19 %, 8300 at 7 %); the journal adds Umsatzsteuer per rate
  on the net total of that rate, rounded once, half-up — the same figure the invoice shows.
- A correcting invoice is a new document in the same number range with every line negated;
  it posts the exact mirror of the original and clears its open item. Its lines become
  invoiceable again (bill them anew when the first invoice was wrong). Only an unpaid invoice
  is corrected: a paid one needs its payment refunded first.
- A payment is booked Bank against the Debitor, referenced to the invoice (OP-Nummer).
  Overpayment is refused: what exceeds the open amount is not this invoice's money, and
  accounting books it by hand (e.g. on the Debitor, without reference) once it is clarified.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from erp import audit
from erp.auth.models import User
from erp.crm import service as crm
from erp.crm.models import Customer
from erp.errors import Conflict, DomainError, NotFound
from erp.fibu import journal
from erp.fibu import service as fibu
from erp.money import ZERO, Cents, round_cents
from erp.sales.models import (
    CustomerPayment,
    Delivery,
    InvoiceKind,
    OutgoingInvoice,
    OutgoingInvoiceLine,
    RateTotal,
    SalesInvoiceStatus,
    SalesOrder,
)
from erp.sales.service import get_order
from erp.sequences import document_number
from erp.stock.models import Article

ERLOESE = {19: 8400, 7: 8300}  # SKR03 Automatikkonten: the journal adds the Umsatzsteuer
BANK = 1200
OPEN = (SalesInvoiceStatus.open, SalesInvoiceStatus.partially_paid)
PARTY_COLUMNS = tuple(
    column.name
    for column in OutgoingInvoice.__table__.columns
    if column.name.startswith(("customer_", "seller_"))
)


class InvoiceNotFound(NotFound):
    slug = "invoice-not-found"


class NothingToInvoice(Conflict):
    slug = "nothing-to-invoice"


class InvoiceDataIncomplete(Conflict):
    slug = "invoice-data-incomplete"


class InvoiceState(Conflict):
    slug = "invoice-state"


class Overpayment(Conflict):
    slug = "overpayment"


class InvalidPayment(DomainError):
    status, title, slug = 422, "Invalid payment", "invalid-payment"


class InvalidDate(DomainError):
    status, title, slug = 422, "Date out of order", "date-out-of-order"


def get_invoice(session: Session, invoice_id: int) -> OutgoingInvoice:
    invoice = session.get(
        OutgoingInvoice,
        invoice_id,
        options=[selectinload(OutgoingInvoice.lines), selectinload(OutgoingInvoice.payments)],
    )
    if invoice is None:
        raise InvoiceNotFound(f"invoice {invoice_id} does not exist")
    return invoice


def _parties(session: Session, customer: Customer) -> dict[str, Any]:
    """§14(4) UStG: both parties' full name and address and the seller's tax number or VAT
    id, checked and copied onto the invoice."""
    company = fibu.get_company(session)
    if not (company.street and company.postal_code and company.city):
        raise InvoiceDataIncomplete("the company's address is incomplete (FIBU company data)")
    if not (company.tax_number or company.vat_id):
        raise InvoiceDataIncomplete("the company has neither Steuernummer nor USt-IdNr.")
    if not (customer.street and customer.postal_code and customer.city):
        raise InvoiceDataIncomplete(f"customer {customer.number} has no complete address")
    return {
        **_snapshot(customer),
        "seller_name": company.name,
        "seller_street": company.street,
        "seller_postal_code": company.postal_code,
        "seller_city": company.city,
        "seller_country": company.country,
        "seller_tax_number": company.tax_number,
        "seller_vat_id": company.vat_id,
    }


def _post(
    session: Session,
    invoice: OutgoingInvoice,
    customer: Customer,
    actor: User,
    text: str,
    reference: str,
) -> None:
    """The invoice's journal entry: Debitor against Erlöse per rate (signed: a correction's
    negative figures land on the other side); ``reference`` is the open item's number."""

    def side(amount: Decimal, account: int, reference: str | None = None) -> dict[str, Any]:
        line: dict[str, Any] = {"account": account, "reference": reference}
        line["debit" if amount > 0 else "credit"] = abs(amount)
        return line

    totals: list[RateTotal] = invoice.totals
    entry = journal.create_entry(
        session,
        actor=actor,
        post=True,
        values={
            "document_number": invoice.number,
            "document_date": invoice.invoice_date,
            "posting_date": invoice.invoice_date,
            "service_date": invoice.service_date,
            "due_date": invoice.due_date,
            "text": text[:60],
            "lines": [
                side(invoice.gross_total, customer.debitor_account, reference),
                *(side(-t.net, ERLOESE[t.rate]) for t in totals if t.net),
            ],
        },
    )
    invoice.journal_entry_id = entry.id


def _snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "customer_id": customer.id,
        "customer_number": customer.number,
        "customer_name": customer.name,
        "customer_street": customer.street,
        "customer_postal_code": customer.postal_code,
        "customer_city": customer.city,
        "customer_country": customer.country,
        "customer_vat_id": customer.vat_id,
    }


def _set_totals(invoice: OutgoingInvoice) -> None:
    totals = invoice.totals
    invoice.net_total = sum((t.net for t in totals), ZERO)
    invoice.tax_total = sum((t.tax for t in totals), ZERO)
    invoice.gross_total = invoice.net_total + invoice.tax_total


def _last_delivery_date(session: Session, order: SalesOrder) -> date | None:
    return session.scalar(
        select(func.max(Delivery.delivery_date)).where(Delivery.order_id == order.id)
    )


def create_invoice(
    session: Session, *, order_id: int, actor: User, values: dict[str, Any]
) -> OutgoingInvoice:
    """Invoice what was delivered and not yet invoiced, and post it, in one transaction."""
    order = get_order(session, order_id)
    customer = crm.get_customer(session, customer_id=order.customer_id)
    parties = _parties(session, customer)
    invoice_date: date = values["invoice_date"]
    invoice = OutgoingInvoice(
        order_id=order.id, invoice_date=invoice_date, created_by_id=actor.id, **parties
    )
    ids = [line.article_id for line in order.lines]
    articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))}
    for line in order.lines:
        quantity = line.delivered_quantity - line.invoiced_quantity
        if quantity > 0:
            article = articles[line.article_id]
            invoice.lines.append(
                OutgoingInvoiceLine(
                    position=len(invoice.lines) + 1,
                    order_line_id=line.id,
                    article_id=article.id,
                    sku=article.sku,
                    description=article.name,
                    unit=article.unit,
                    quantity=quantity,
                    unit_price=line.unit_price,
                    vat_rate=line.vat_rate,
                    net=round_cents(line.unit_price * quantity),
                )
            )
            line.invoiced_quantity += quantity
    if not invoice.lines:
        raise NothingToInvoice(f"order {order.number or order.id} has nothing delivered to invoice")
    invoice.number = document_number(session, "RE", invoice_date)
    invoice.service_date = (
        values.get("service_date") or _last_delivery_date(session, order) or invoice_date
    )
    invoice.due_date = values.get("due_date") or invoice_date + timedelta(
        days=customer.payment_terms_days
    )
    _set_totals(invoice)
    if invoice.gross_total == 0:
        raise NothingToInvoice(f"the delivered lines of {order.number} total 0.00: nothing to bill")
    text = f"{invoice.number} {customer.name[:40]}"
    _post(session, invoice, customer, actor, text, reference=invoice.number)
    session.add(invoice)
    session.flush()
    audit.record(
        session,
        entity="outgoing_invoice",
        entity_id=invoice.id,
        action="posted",
        user_id=actor.id,
        changes={"number": invoice.number, "gross": invoice.gross_total},
    )
    return invoice


def correct_invoice(
    session: Session, *, invoice_id: int, actor: User, values: dict[str, Any]
) -> OutgoingInvoice:
    """Stornorechnung: the unpaid invoice negated as a new document, posted as its mirror."""
    original = get_invoice(session, invoice_id)
    if original.kind is InvoiceKind.correction:
        raise InvoiceState(f"{original.number} is a correcting invoice: it is not corrected")
    if original.status is not SalesInvoiceStatus.open:
        raise InvoiceState(
            f"invoice {original.number} is {original.status.value}: only an unpaid invoice is "
            "corrected (refund its payments first)"
        )
    order = get_order(session, original.order_id)
    customer = crm.get_customer(session, customer_id=original.customer_id)
    day: date = values["invoice_date"]
    if day < original.invoice_date:
        raise InvalidDate(f"the correction is not dated before {original.number}")
    correction = OutgoingInvoice(
        number=document_number(session, "RE", day),
        kind=InvoiceKind.correction,
        corrects_id=original.id,
        order_id=original.order_id,
        invoice_date=day,
        service_date=original.service_date,
        due_date=day,
        reason=values["reason"],
        status=SalesInvoiceStatus.correction,
        created_by_id=actor.id,
        **{  # both parties as on the original
            column: getattr(original, column) for column in PARTY_COLUMNS
        },
    )
    by_id = {line.id: line for line in order.lines}
    for line in original.lines:
        correction.lines.append(
            OutgoingInvoiceLine(
                position=line.position,
                order_line_id=line.order_line_id,
                article_id=line.article_id,
                sku=line.sku,
                description=line.description,
                unit=line.unit,
                quantity=-line.quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                net=-line.net,
            )
        )
        by_id[line.order_line_id].invoiced_quantity -= line.quantity
    _set_totals(correction)
    original.status = SalesInvoiceStatus.corrected
    text = f"Storno {original.number} {customer.name[:30]}"
    _post(session, correction, customer, actor, text, reference=original.number)
    session.add(correction)
    session.flush()
    audit.record(
        session,
        entity="outgoing_invoice",
        entity_id=original.id,
        action="corrected",
        user_id=actor.id,
        changes={"by": correction.number, "reason": correction.reason},
    )
    return correction


def book_payment(
    session: Session, *, invoice_id: int, actor: User, values: dict[str, Any]
) -> CustomerPayment:
    """An incoming payment to the bank, clearing (part of) the invoice's open item."""
    invoice = get_invoice(session, invoice_id)
    amount: Decimal = values["amount"]
    if amount <= 0:
        raise InvalidPayment("a payment amount is positive")
    if invoice.status not in OPEN:
        raise InvoiceState(f"invoice {invoice.number} is {invoice.status.value}: nothing to pay")
    if amount > invoice.open_amount:
        raise Overpayment(
            f"{amount} exceeds the open {invoice.open_amount} of invoice {invoice.number}"
        )
    customer = crm.get_customer(session, customer_id=invoice.customer_id)
    day: date = values["payment_date"]
    if day < invoice.invoice_date:
        raise InvalidDate(f"a payment is not dated before its invoice ({invoice.invoice_date})")
    number = document_number(session, "ZE", day)
    entry = journal.create_entry(
        session,
        actor=actor,
        post=True,
        values={
            "document_number": number,
            "document_date": day,
            "posting_date": day,
            "text": f"Zahlung {invoice.number} {customer.name[:30]}"[:60],
            "lines": [
                {"account": BANK, "debit": amount},
                {
                    "account": customer.debitor_account,
                    "credit": amount,
                    "reference": invoice.number,
                },
            ],
        },
    )
    payment = CustomerPayment(
        number=number,
        invoice_id=invoice.id,
        amount=amount,
        payment_date=day,
        journal_entry_id=entry.id,
        created_by_id=actor.id,
    )
    invoice.paid_total += amount
    paid = invoice.paid_total == invoice.gross_total
    invoice.status = SalesInvoiceStatus.paid if paid else SalesInvoiceStatus.partially_paid
    invoice.payments.append(payment)
    session.flush()
    audit.record(
        session,
        entity="outgoing_invoice",
        entity_id=invoice.id,
        action="paid",
        user_id=actor.id,
        changes={"amount": amount, "payment": number},
    )
    return payment


def list_invoices(
    session: Session,
    *,
    limit: int,
    offset: int,
    status: SalesInvoiceStatus | None = None,
    customer_id: int | None = None,
    overdue_on: date | None = None,
) -> tuple[list[OutgoingInvoice], int]:
    stmt = select(OutgoingInvoice)
    if status is not None:
        stmt = stmt.where(OutgoingInvoice.status == status)
    if customer_id is not None:
        stmt = stmt.where(OutgoingInvoice.customer_id == customer_id)
    if overdue_on is not None:
        stmt = stmt.where(OutgoingInvoice.status.in_(OPEN), OutgoingInvoice.due_date < overdue_on)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.options(
        selectinload(OutgoingInvoice.lines), selectinload(OutgoingInvoice.payments)
    ).order_by(OutgoingInvoice.id.desc())
    return list(session.scalars(page.limit(limit).offset(offset))), total


def overdue_summary(session: Session, today: date) -> tuple[int, Decimal]:
    """(count, open amount) of invoices past their due date."""
    open_amount = type_coerce(OutgoingInvoice.gross_total - OutgoingInvoice.paid_total, Cents())
    count, amount = session.execute(
        select(func.count(), func.sum(open_amount)).where(
            OutgoingInvoice.status.in_(OPEN), OutgoingInvoice.due_date < today
        )
    ).one()
    return count, amount or ZERO
