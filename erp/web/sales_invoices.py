"""Order-to-cash pages, the money side: outgoing invoices, incoming payments, correcting
invoices (Stornorechnungen), and the printable invoice with what §14(4) UStG requires.

Accounting and admins only, as in the API.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp.auth.models import User
from erp.deps import DbSession
from erp.sales import invoicing, service
from erp.sales.models import (
    InvoiceKind,
    OutgoingInvoice,
    SalesInvoiceStatus,
)
from erp.sales.schemas import CorrectionCreate, CustomerPaymentCreate
from erp.schemas import ObjectId
from erp.timeutil import business_date
from erp.web.fibu import date_input, form_fields
from erp.web.forms import PostedForm
from erp.web.purchasing import PAGE_SIZE, Offset
from erp.web.sales import Biller, customer_names
from erp.web.security import CsrfChecked
from erp.web.stock import Shown, money, run_form, validated
from erp.web.templating import render

router = APIRouter(include_in_schema=False)
SELLER_FIELDS = ("name", "street", "postal_code", "city", "country", "tax_number", "vat_id")


def seller_of(invoice: OutgoingInvoice) -> SimpleNamespace:
    """The company as it stood on the invoice (not as it is now)."""
    return SimpleNamespace(**{f: getattr(invoice, f"seller_{f}") for f in SELLER_FIELDS})


INVOICE_NOTICES = {
    "created": "The invoice is issued and posted to FIBU.",
    "paid": "The payment is booked.",
    "corrected": "The correcting invoice (Stornorechnung) is issued and posted.",
}


@router.get("/invoices")
def invoices_page(
    request: Request,
    db: DbSession,
    user: Biller,
    status: SalesInvoiceStatus | None = None,
    overdue: bool = False,
    offset: Offset = 0,
) -> Response:
    today = business_date()
    invoices, total = invoicing.list_invoices(
        db,
        limit=PAGE_SIZE,
        offset=offset,
        status=status,
        overdue_on=today if overdue else None,
    )
    # the oldest first, one page of them: the list is a work queue
    waiting, _ = service.list_orders(
        db, limit=PAGE_SIZE, offset=0, billable=True, oldest_first=True
    )
    context = {
        "invoices": invoices,
        "waiting": waiting,
        "customers": customer_names(db, {o.customer_id for o in waiting}),
        "total": total,
        "status": status.value if status else "",
        "statuses": list(SalesInvoiceStatus),
        "overdue": overdue,
        "today": today,
        "offset": offset,
        "page_size": PAGE_SIZE,
    }
    return render(request, "sales_invoices.html", context, user=user)


def _related(db: Session, invoice: OutgoingInvoice) -> dict[str, Any]:
    """The order, the invoice this one corrects, and the correction of this one."""
    corrected_by = db.scalar(
        select(OutgoingInvoice).where(OutgoingInvoice.corrects_id == invoice.id)
    )
    return {
        "order": service.get_order(db, invoice.order_id),
        "original": invoicing.get_invoice(db, invoice.corrects_id) if invoice.corrects_id else None,
        "corrected_by": corrected_by,
    }


def _invoice_page(
    request: Request, db: Session, user: User, invoice_id: int, shown: Shown
) -> Response:
    invoice = invoicing.get_invoice(db, invoice_id)
    today = business_date()
    context = {
        "invoice": invoice,
        **_related(db, invoice),
        "can_pay": invoice.status in invoicing.OPEN,
        "can_correct": invoice.kind is InvoiceKind.invoice
        and invoice.status is SalesInvoiceStatus.open,
        "overdue": invoice.status in invoicing.OPEN and invoice.due_date < today,
        "today": today.isoformat(),
        "open_amount": f"{invoice.open_amount:.2f}".replace(".", ","),
        **shown.context(),
    }
    return render(request, "sales_invoice.html", context, user=user, status_code=shown.status)


@router.get("/invoices/{invoice_id}")
def invoice_page(
    invoice_id: ObjectId,
    request: Request,
    db: DbSession,
    user: Biller,
    done: Literal["created", "paid", "corrected"] | None = None,
) -> Response:
    shown = Shown(notice=INVOICE_NOTICES.get(done or ""))
    return _invoice_page(request, db, user, invoice_id, shown)


@router.post("/invoices/{invoice_id}/payments", dependencies=[CsrfChecked])
def book_payment(
    invoice_id: ObjectId, request: Request, db: DbSession, user: Biller, form: PostedForm
) -> Response:
    """An incoming payment to the bank against the invoice's open item."""
    invoicing.get_invoice(db, invoice_id)
    values = form_fields(form)

    def book() -> None:
        data = {
            "amount": money(values.get("amount", "")),
            "payment_date": date_input(values.get("payment_date", "")),
        }
        body = validated(CustomerPaymentCreate, data)
        invoicing.book_payment(db, invoice_id=invoice_id, actor=user, values=dict(body))

    shown = run_form(db, book, "payment", values)
    if shown.failed:
        return _invoice_page(request, db, user, invoice_id, shown)
    return RedirectResponse(f"/invoices/{invoice_id}?done=paid", status_code=303)


@router.post("/invoices/{invoice_id}/correction", dependencies=[CsrfChecked])
def correct_invoice(
    invoice_id: ObjectId, request: Request, db: DbSession, user: Biller, form: PostedForm
) -> Response:
    """Stornorechnung: the unpaid invoice negated as a new document with its reason."""
    invoicing.get_invoice(db, invoice_id)
    values = form_fields(form)
    issued: list[OutgoingInvoice] = []

    def book() -> None:
        data = {
            "invoice_date": date_input(values.get("invoice_date", "")),
            "reason": values.get("reason", ""),
        }
        body = validated(CorrectionCreate, data)
        issued.append(
            invoicing.correct_invoice(
                db, invoice_id=invoice_id, actor=user, values=body.model_dump()
            )
        )

    shown = run_form(db, book, "correction", values)
    if shown.failed:
        return _invoice_page(request, db, user, invoice_id, shown)
    return RedirectResponse(f"/invoices/{issued[0].id}?done=corrected", status_code=303)


@router.get("/invoices/{invoice_id}/print")
def print_page(invoice_id: ObjectId, request: Request, db: DbSession, user: Biller) -> Response:
    """The invoice as the customer gets it: §14(4) UStG data, a print stylesheet, no menus."""
    invoice = invoicing.get_invoice(db, invoice_id)
    original = invoicing.get_invoice(db, invoice.corrects_id) if invoice.corrects_id else None
    context = {
        "invoice": invoice,
        "original": original,
        "company": seller_of(invoice),
        "order": service.get_order(db, invoice.order_id),
    }
    return render(request, "sales_invoice_print.html", context, user=user)
