"""Incoming invoices: the list, an invoice with its lines and totals, payment booking."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.deps import DbSession
from erp.money import round_cents
from erp.purchasing import invoicing, service
from erp.purchasing.models import (
    InvoiceStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    SupplierPayment,
)
from erp.purchasing.schemas import (
    PaymentCreate,
)
from erp.schemas import ObjectId
from erp.timeutil import business_date
from erp.web.fibu import date_input, form_fields
from erp.web.forms import PostedForm
from erp.web.purchasing import PAGE_SIZE, Bookkeeper, Offset, supplier_names
from erp.web.security import CsrfChecked
from erp.web.stock import Shown, money, names_of, run_form, validated
from erp.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/incoming-invoices")
def invoices_page(
    request: Request,
    db: DbSession,
    user: Bookkeeper,
    status: InvoiceStatus | None = None,
    offset: Offset = 0,
) -> Response:
    invoices, total = invoicing.list_invoices(db, limit=PAGE_SIZE, offset=offset, status=status)
    uninvoiced = select(PurchaseOrderLine.order_id).where(
        PurchaseOrderLine.received_quantity > PurchaseOrderLine.invoiced_quantity
    )
    waiting = db.scalars(
        select(PurchaseOrder).where(PurchaseOrder.id.in_(uninvoiced)).order_by(PurchaseOrder.id)
    )
    context = {
        "invoices": invoices,
        "waiting": list(waiting),
        "suppliers": supplier_names(db),
        "total": total,
        "status": status.value if status else "",
        "statuses": list(InvoiceStatus),
        "offset": offset,
        "page_size": PAGE_SIZE,
    }
    return render(request, "purchasing_invoices.html", context, user=user)


def _invoice_page(
    request: Request, db: Session, user: User, invoice_id: int, shown: Shown
) -> Response:
    invoice = invoicing.get_invoice(db, invoice_id)
    order = service.get_order(db, invoice.order_id)
    order_lines = {li.id: li for li in order.lines}
    net_by_rate, _tax, _gross = invoicing.totals(invoice.lines)
    rates = []
    for rate, net in sorted(net_by_rate.items(), reverse=True):
        tax = round_cents(net * rate / Decimal(100))
        rates.append((rate, net, tax, net + tax))
    open_amount = invoice.gross_total - invoice.paid_total
    payments = db.scalars(
        select(SupplierPayment)
        .where(SupplierPayment.invoice_id == invoice_id)
        .order_by(SupplierPayment.id)
    )
    context = {
        "invoice": invoice,
        "order": order,
        "supplier": service.get_supplier(db, invoice.supplier_id),
        "order_lines": order_lines,
        "articles": names_of(db, {li.article_id for li in order.lines}),
        "rates": rates,
        "open_amount": open_amount,
        "payments": list(payments),
        **shown.context(),
    }
    if not shown.failed:
        amount = f"{open_amount:.2f}".replace(".", ",")
        context["values"] = {"amount": amount, "payment_date": business_date().isoformat()}
    return render(request, "purchasing_invoice.html", context, user=user, status_code=shown.status)


@router.get("/incoming-invoices/{invoice_id}")
def invoice_page(
    invoice_id: ObjectId,
    request: Request,
    db: DbSession,
    user: Bookkeeper,
    done: Literal["booked", "paid"] | None = None,
) -> Response:
    notices = {
        "booked": "The invoice is booked (posted to FIBU).",
        "paid": "The payment is booked.",
    }
    return _invoice_page(request, db, user, invoice_id, Shown(notice=notices.get(done or "")))


@router.post("/incoming-invoices/{invoice_id}/payments", dependencies=[CsrfChecked])
def pay_invoice(
    invoice_id: ObjectId, request: Request, db: DbSession, user: Bookkeeper, form: PostedForm
) -> Response:
    invoicing.get_invoice(db, invoice_id)
    values = form_fields(form)

    def book() -> None:
        data = {
            "amount": money(values.get("amount", "")),
            "payment_date": date_input(values.get("payment_date", "")),
        }
        body = validated(PaymentCreate, data)
        invoicing.pay_invoice(db, invoice_id=invoice_id, actor=user, values=dict(body))

    shown = run_form(db, book, "payment", values)
    if shown.failed:
        return _invoice_page(request, db, user, invoice_id, shown)
    return RedirectResponse(f"/incoming-invoices/{invoice_id}?done=paid", status_code=303)
