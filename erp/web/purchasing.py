"""Procure-to-pay pages: suppliers, purchase orders (draft → ordered → received), goods
receipts, incoming invoices and their payments.

Warehouse staff order and receive; accounting creates suppliers, books the supplier's invoice
for what was received and pays it; admins do all. Orders are readable by all three (the
accountant books the invoice on the order's page).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp.auth.models import Role, User
from erp.deps import DbSession
from erp.errors import DomainError
from erp.money import ZERO, round_cents
from erp.purchasing import invoicing, service
from erp.purchasing.models import (
    GoodsReceipt,
    IncomingInvoice,
    OrderStatus,
    PurchaseOrder,
)
from erp.purchasing.schemas import (
    InvoiceCreate,
    OrderCreate,
    ReceiptCreate,
    SupplierCreate,
)
from erp.schemas import MAX_ID, ObjectId
from erp.stock import service as stock
from erp.timeutil import business_date
from erp.web.fibu import FormProblem, date_input, form_fields
from erp.web.forms import PostedForm, errors_by_field, int_input, optional
from erp.web.security import CsrfChecked, WebAllow
from erp.web.stock import IdFilter, Shown, money, names_of, run_form, validated, warehouse_codes
from erp.web.templating import render

router = APIRouter(include_in_schema=False)
Buyer = Annotated[User, Depends(WebAllow(Role.admin, Role.warehouse, Role.accounting))]
Receiver = Annotated[User, Depends(WebAllow(Role.admin, Role.warehouse))]
Bookkeeper = Annotated[User, Depends(WebAllow(Role.admin, Role.accounting))]
RECEIVERS = frozenset({Role.admin, Role.warehouse})
BOOKKEEPERS = frozenset({Role.admin, Role.accounting})
PAGE_SIZE = 20
LINE_ROWS = 5  # article rows on the order form; empty rows are ignored
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
SUPPLIER_FIELDS = ("name", "street", "postal_code", "city", "country", "vat_id", "email")
ORDER_NOTICES = {
    "created": "The draft order is saved: place it to send it.",
    "placed": "The order is placed.",
    "received": "The goods receipt is booked: the stock went up.",
}
LINE_LABELS = {"article_id": "Article", "quantity": "Quantity", "unit_price": "Unit price"}


def _line_errors(exc: ValidationError, keys: list[str]) -> dict[str, str]:
    """Errors of a form with line rows: by the row's key; the rest by field."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ("form",)
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        if loc[0] == "lines" and len(loc) > 2 and isinstance(loc[1], int):
            errors.setdefault(keys[loc[1]], f"{LINE_LABELS.get(str(loc[2]), loc[2])}: {message}")
        elif loc[0] == "lines":
            errors.setdefault("lines", "Enter at least one line.")
    for field, message in errors_by_field(exc).items():
        if field != "lines":
            errors.setdefault(field, message)
    return errors


# suppliers -----------------------------------------------------------------------------
@router.get("/suppliers")
def suppliers_page(
    request: Request, db: DbSession, user: Buyer, created: IdFilter = None
) -> Response:
    suppliers, total = service.list_suppliers(db, limit=500, offset=0)
    new = service.get_supplier(db, created) if created else None
    context = {
        "suppliers": suppliers,
        "total": total,
        "can_write": bool(user.roles & BOOKKEEPERS),
        "notice": f"{new.name} is created with Kreditor {new.kreditor_account}." if new else None,
    }
    return render(request, "purchasing_suppliers.html", context, user=user)


def _supplier_form(
    request: Request, user: User, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    context = {"values": values, "errors": errors}
    return render(request, "purchasing_supplier_form.html", context, user=user, status_code=status)


@router.get("/suppliers/new")
def new_supplier_page(request: Request, user: Bookkeeper) -> Response:
    return _supplier_form(request, user, {"country": "DE", "payment_terms_days": "30"}, {}, 200)


@router.post("/suppliers/new", dependencies=[CsrfChecked])
def create_supplier(
    request: Request, db: DbSession, user: Bookkeeper, form: PostedForm
) -> Response:
    values = form_fields(form)
    data: dict[str, Any] = {k: values.get(k, "") for k in SUPPLIER_FIELDS}
    data |= {
        "country": (data["country"] or "DE").upper(),
        "vat_id": optional(data["vat_id"]),
        "email": optional(data["email"]),
        "payment_terms_days": int_input(values.get("payment_terms_days", "") or "30"),
    }
    try:
        body = validated(SupplierCreate, data)
        with db.begin_nested():
            supplier = service.create_supplier(db, actor=user, values=body.model_dump())
    except FormProblem as exc:
        return _supplier_form(request, user, values, exc.errors, 422)
    except DomainError as exc:
        return _supplier_form(request, user, values, {"name": exc.detail}, exc.status)
    return RedirectResponse(f"/suppliers?created={supplier.id}", status_code=303)


# purchase orders -----------------------------------------------------------------------
def order_total(order: PurchaseOrder) -> Decimal:
    return sum((round_cents(li.unit_price * li.quantity) for li in order.lines), ZERO)


def supplier_names(db: Session) -> dict[int, str]:
    suppliers, _ = service.list_suppliers(db, limit=500, offset=0)
    return {s.id: s.name for s in suppliers}


@router.get("/purchase-orders")
def orders_page(
    request: Request,
    db: DbSession,
    user: Buyer,
    status: OrderStatus | None = None,
    offset: Offset = 0,
    done: Literal["deleted"] | None = None,
) -> Response:
    orders, total = service.list_orders(db, limit=PAGE_SIZE, offset=offset, status=status)
    context = {
        "orders": orders,
        "totals": {o.id: order_total(o) for o in orders},
        "suppliers": supplier_names(db),
        "total": total,
        "status": status.value if status else "",
        "statuses": list(OrderStatus),
        "offset": offset,
        "page_size": PAGE_SIZE,
        "can_write": bool(user.roles & RECEIVERS),
        "notice": "The draft order is deleted." if done else None,
    }
    return render(request, "purchasing_orders.html", context, user=user)


def _order_form(
    request: Request,
    db: Session,
    user: User,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    articles, _ = stock.list_articles(db, limit=500, offset=0, active=True)
    context = {
        "values": values,
        "errors": errors,
        "suppliers": supplier_names(db),
        "articles": articles,
        "rows": range(1, LINE_ROWS + 1),
    }
    return render(request, "purchasing_order_form.html", context, user=user, status_code=status)


@router.get("/purchase-orders/new")
def new_order_page(request: Request, db: DbSession, user: Receiver) -> Response:
    values = {"order_date": business_date().isoformat()}
    return _order_form(request, db, user, values, {}, 200)


def order_values(db: Session, values: dict[str, str]) -> dict[str, Any]:
    """The service's values from the order form; a FormProblem names the fields to correct."""
    errors: dict[str, str] = {}
    lines: list[dict[str, Any]] = []
    keys: list[str] = []
    for row in range(1, LINE_ROWS + 1):
        sku, quantity, price = (values.get(f"{k}_{row}", "") for k in ("sku", "quantity", "price"))
        if not (sku or quantity or price):
            continue
        article = stock.article_by_sku(db, sku.upper()) if sku else None
        if article is None:
            errors[f"line_{row}"] = f"Article: no article has the SKU {sku!r}."
            continue
        lines.append(
            {
                "article_id": article.id,
                "quantity": int_input(quantity),
                "unit_price": money(price) if price else None,
            }
        )
        keys.append(f"line_{row}")
    data = {
        "supplier_id": int_input(values.get("supplier_id", "")),
        "order_date": date_input(values.get("order_date", "")),
        "expected_date": date_input(values.get("expected_date", "")) or None,
        "lines": lines,
    }
    try:
        body = OrderCreate.model_validate(data)
    except ValidationError as exc:
        found = _line_errors(exc, keys)
        if errors:
            found.pop("lines", None)
        raise FormProblem(errors | found) from exc
    if errors:
        raise FormProblem(errors)
    return {**body.model_dump(exclude={"lines"}), "lines": [dict(li) for li in body.lines]}


@router.post("/purchase-orders/new", dependencies=[CsrfChecked])
def create_order(request: Request, db: DbSession, user: Receiver, form: PostedForm) -> Response:
    values = form_fields(form)
    try:
        checked = order_values(db, values)
        with db.begin_nested():
            order = service.create_order(db, actor=user, values=checked)
    except FormProblem as exc:
        return _order_form(request, db, user, values, exc.errors, 422)
    except DomainError as exc:
        return _order_form(request, db, user, values, {"form": exc.detail}, exc.status)
    return RedirectResponse(f"/purchase-orders/{order.id}?done=created", status_code=303)


def _order_page(request: Request, db: Session, user: User, order_id: int, shown: Shown) -> Response:
    order = service.get_order(db, order_id)
    receivable = order.status in (OrderStatus.ordered, OrderStatus.partially_received)
    context = {
        "order": order,
        "supplier": service.get_supplier(db, order.supplier_id),
        "articles": names_of(db, {li.article_id for li in order.lines}),
        "total": order_total(order),
        "receipts": list(db.scalars(select(GoodsReceipt).where(GoodsReceipt.order_id == order_id))),
        "invoices": list(
            db.scalars(select(IncomingInvoice).where(IncomingInvoice.order_id == order_id))
        ),
        "codes": warehouse_codes(db),
        "warehouses": stock.list_warehouses(db, active=True),
        "can_write": bool(user.roles & RECEIVERS),
        "can_receive": receivable and bool(user.roles & RECEIVERS),
        "can_invoice": bool(user.roles & BOOKKEEPERS)
        and any(li.received_quantity > li.invoiced_quantity for li in order.lines),
        "today": business_date().isoformat(),
        **shown.context(),
    }
    return render(request, "purchasing_order.html", context, user=user, status_code=shown.status)


@router.get("/purchase-orders/{order_id}")
def order_page(
    order_id: ObjectId,
    request: Request,
    db: DbSession,
    user: Buyer,
    done: Literal["created", "placed", "received"] | None = None,
) -> Response:
    return _order_page(request, db, user, order_id, Shown(notice=ORDER_NOTICES.get(done or "")))


def _after(
    request: Request, db: Session, user: User, order_id: int, shown: Shown, target: str
) -> Response:
    """The order page with the refusal next to its form, or on to ``target`` when booked."""
    if shown.failed:
        return _order_page(request, db, user, order_id, shown)
    return RedirectResponse(target, status_code=303)


@router.post("/purchase-orders/{order_id}/place", dependencies=[CsrfChecked])
def place_order(order_id: ObjectId, request: Request, db: DbSession, user: Receiver) -> Response:
    shown = run_form(
        db, lambda: service.place_order(db, order_id=order_id, actor=user), "place", {}
    )
    return _after(request, db, user, order_id, shown, f"/purchase-orders/{order_id}?done=placed")


@router.post("/purchase-orders/{order_id}/delete", dependencies=[CsrfChecked])
def delete_order(order_id: ObjectId, request: Request, db: DbSession, user: Receiver) -> Response:
    shown = run_form(
        db, lambda: service.delete_draft(db, order_id=order_id, actor=user), "place", {}
    )
    return _after(request, db, user, order_id, shown, "/purchase-orders?done=deleted")


@router.post("/purchase-orders/{order_id}/receipts", dependencies=[CsrfChecked])
def receive_goods(
    order_id: ObjectId, request: Request, db: DbSession, user: Receiver, form: PostedForm
) -> Response:
    """Goods receipt: the quantities typed per open line, into one warehouse."""
    order = service.get_order(db, order_id)
    values = form_fields(form)

    def book() -> None:
        lines, keys = [], []
        for line in sorted(order.lines, key=lambda li: li.article_id):  # the ledger's lock order
            raw = values.get(f"qty_{line.id}", "")
            if raw not in ("", "0"):
                lines.append({"order_line_id": line.id, "quantity": int_input(raw)})
                keys.append(f"line {line.position}")
        data = {
            "warehouse_id": int_input(values.get("warehouse_id", "")),
            "receipt_date": date_input(values.get("receipt_date", "")),
            "lines": lines,
        }
        try:
            body = ReceiptCreate.model_validate(data)
        except ValidationError as exc:
            raise FormProblem(_line_errors(exc, keys)) from exc
        checked = body.model_dump()
        service.receive_goods(db, order_id=order_id, actor=user, values=checked)

    shown = run_form(db, book, "receive", values)
    return _after(request, db, user, order_id, shown, f"/purchase-orders/{order_id}?done=received")


@router.post("/purchase-orders/{order_id}/invoices", dependencies=[CsrfChecked])
def create_invoice(
    order_id: ObjectId, request: Request, db: DbSession, user: Bookkeeper, form: PostedForm
) -> Response:
    """Book the supplier's invoice for what was received and not yet invoiced."""
    service.get_order(db, order_id)
    values = form_fields(form)
    booked: list[IncomingInvoice] = []

    def book() -> None:
        data = {
            "supplier_reference": values.get("supplier_reference", ""),
            "invoice_date": date_input(values.get("invoice_date", "")),
            "service_date": date_input(values.get("service_date", "")) or None,
            "due_date": date_input(values.get("due_date", "")) or None,
        }
        body = validated(InvoiceCreate, data)
        booked.append(
            invoicing.create_invoice(db, order_id=order_id, actor=user, values=body.model_dump())
        )

    shown = run_form(db, book, "invoice", values)
    target = f"/incoming-invoices/{booked[0].id}?done=booked" if booked else ""
    return _after(request, db, user, order_id, shown, target)
