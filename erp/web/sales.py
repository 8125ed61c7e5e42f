"""Order-to-cash pages, the order side: sales orders (draft → confirmed → delivered, or
cancelled), deliveries, and invoicing what was delivered.

Roles as in the API: sales takes orders, the warehouse ships them, accounting invoices them,
admins do all; everyone in the flow reads orders. Refusals of the domain (stock not
available, credit limit exceeded, …) are shown next to the form that was refused.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from erp.auth.models import Role, User
from erp.crm import service as crm
from erp.deps import DbSession
from erp.errors import DomainError
from erp.sales import delivery, invoicing, service
from erp.sales.models import Delivery, OutgoingInvoice, SalesOrder, SalesOrderStatus
from erp.sales.schemas import DeliveryCreate, SalesInvoiceCreate, SalesOrderCreate
from erp.schemas import ObjectId, OptionalIdQuery
from erp.stock import service as stock
from erp.timeutil import business_date
from erp.web.fibu import FormProblem, date_input, form_fields
from erp.web.forms import PostedForm, int_input
from erp.web.purchasing import LINE_ROWS, PAGE_SIZE, Offset, _line_errors
from erp.web.security import CsrfChecked, WebAllow
from erp.web.stock import Shown, money, names_of, run_form, validated, warehouse_codes
from erp.web.templating import render

router = APIRouter(include_in_schema=False)
CUSTOMER_CHOICES = 500  # in the order form's list; any other comes from its customer page
OrderReader = Annotated[
    User, Depends(WebAllow(Role.admin, Role.sales, Role.warehouse, Role.accounting))
]
Seller = Annotated[User, Depends(WebAllow(Role.admin, Role.sales))]
Shipper = Annotated[User, Depends(WebAllow(Role.admin, Role.warehouse))]
Biller = Annotated[User, Depends(WebAllow(Role.admin, Role.accounting))]
SELLERS = frozenset({Role.admin, Role.sales})
SHIPPERS = frozenset({Role.admin, Role.warehouse})
BILLERS = frozenset({Role.admin, Role.accounting})
CUSTOMER_READERS = frozenset({Role.admin, Role.sales, Role.accounting})
StatusFilter = SalesOrderStatus | Literal["open"] | None
ORDER_NOTICES = {
    "created": "The draft order is saved: confirm it to reserve its stock.",
    "confirmed": "The order is confirmed: its stock is reserved.",
    "cancelled": "The order is cancelled: what was not delivered is released.",
    "delivered": "The delivery is booked: the stock went out.",
}


# the list --------------------------------------------------------------------------------
def customer_names(db: Session, ids: set[int]) -> dict[int, str]:
    return {c.id: c.name for c in crm.customers_by_id(db, ids)}


def _orders(db: Session, status: StatusFilter, offset: int) -> tuple[list[SalesOrder], int]:
    """A page of orders; "open" is every confirmed order with something left to deliver."""
    if status == "open":
        stmt = select(SalesOrder).where(SalesOrder.status.in_(service.OPEN))
        total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        page = stmt.options(selectinload(SalesOrder.lines)).order_by(SalesOrder.id.desc())
        return list(db.scalars(page.limit(PAGE_SIZE).offset(offset))), total
    chosen = status if isinstance(status, SalesOrderStatus) else None
    return service.list_orders(db, limit=PAGE_SIZE, offset=offset, status=chosen)


@router.get("/sales-orders")
def orders_page(
    request: Request,
    db: DbSession,
    user: OrderReader,
    status: StatusFilter = None,
    offset: Offset = 0,
    done: Literal["deleted"] | None = None,
) -> Response:
    orders, total = _orders(db, status, offset)
    context = {
        "orders": orders,
        "customers": customer_names(db, {o.customer_id for o in orders}),
        "codes": warehouse_codes(db),
        "total": total,
        "status": status.value if isinstance(status, SalesOrderStatus) else status or "",
        "statuses": ["open", *(s.value for s in SalesOrderStatus)],
        "offset": offset,
        "page_size": PAGE_SIZE,
        "can_write": bool(user.roles & SELLERS),
        "notice": "The draft order is deleted." if done else None,
    }
    return render(request, "sales_orders.html", context, user=user)


# the new-order form ----------------------------------------------------------------------
def _order_form(
    request: Request,
    db: Session,
    user: User,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response:
    # The first customers by name, and the one chosen (e.g. coming from its page) in any case.
    customers, _ = crm.search_customers(db, limit=CUSTOMER_CHOICES, offset=0)
    chosen = int_input(values.get("customer_id", ""))
    if isinstance(chosen, int) and all(c.id != chosen for c in customers):
        customers[:0] = crm.customers_by_id(db, {chosen})
    articles, _ = stock.list_articles(db, limit=500, offset=0, active=True)
    context = {
        "values": values,
        "errors": errors,
        "customers": customers,
        "warehouses": stock.list_warehouses(db, active=True),
        "articles": articles,
        "rows": range(1, LINE_ROWS + 1),
    }
    return render(request, "sales_order_form.html", context, user=user, status_code=status)


@router.get("/sales-orders/new")
def new_order_page(
    request: Request, db: DbSession, user: Seller, customer_id: OptionalIdQuery = None
) -> Response:
    values = {"order_date": business_date().isoformat()}
    if customer_id is not None:
        values["customer_id"] = str(customer_id)
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
        "customer_id": int_input(values.get("customer_id", "")),
        "warehouse_id": int_input(values.get("warehouse_id", "")),
        "order_date": date_input(values.get("order_date", "")),
        "requested_date": date_input(values.get("requested_date", "")) or None,
        "customer_reference": values.get("customer_reference", ""),
        "lines": lines,
    }
    try:
        body = SalesOrderCreate.model_validate(data)
    except ValidationError as exc:
        found = _line_errors(exc, keys)
        if errors:
            found.pop("lines", None)
        raise FormProblem(errors | found) from exc
    if errors:
        raise FormProblem(errors)
    return {**body.model_dump(exclude={"lines"}), "lines": [dict(li) for li in body.lines]}


@router.post("/sales-orders/new", dependencies=[CsrfChecked])
def create_order(request: Request, db: DbSession, user: Seller, form: PostedForm) -> Response:
    values = form_fields(form)
    try:
        checked = order_values(db, values)
        with db.begin_nested():
            order = service.create_order(db, actor=user, values=checked)
    except FormProblem as exc:
        return _order_form(request, db, user, values, exc.errors, 422)
    except DomainError as exc:
        return _order_form(request, db, user, values, {"form": exc.detail}, exc.status)
    return RedirectResponse(f"/sales-orders/{order.id}?done=created", status_code=303)


# the order page and its actions ----------------------------------------------------------
def _order_page(request: Request, db: Session, user: User, order_id: int, shown: Shown) -> Response:
    order = service.get_order(db, order_id)
    is_open = order.status in service.OPEN
    by_order = (Delivery.order_id == order_id, OutgoingInvoice.order_id == order_id)
    context = {
        "order": order,
        "customer": crm.get_customer(db, customer_id=order.customer_id),
        "articles": names_of(db, {li.article_id for li in order.lines}),
        "warehouse": stock.get_warehouse(db, order.warehouse_id),
        "deliveries": list(db.scalars(select(Delivery).where(by_order[0]).order_by(Delivery.id))),
        "invoices": list(
            db.scalars(select(OutgoingInvoice).where(by_order[1]).order_by(OutgoingInvoice.id))
        ),
        "can_read_customer": bool(user.roles & CUSTOMER_READERS),
        "can_bill": bool(user.roles & BILLERS),
        "can_confirm": order.status is SalesOrderStatus.draft and bool(user.roles & SELLERS),
        "can_cancel": is_open and bool(user.roles & SELLERS),
        "can_deliver": is_open and bool(user.roles & SHIPPERS),
        "can_invoice": bool(user.roles & BILLERS)
        and any(li.delivered_quantity > li.invoiced_quantity for li in order.lines),
        "today": business_date().isoformat(),
        **shown.context(),
    }
    return render(request, "sales_order.html", context, user=user, status_code=shown.status)


@router.get("/sales-orders/{order_id}")
def order_page(
    order_id: ObjectId,
    request: Request,
    db: DbSession,
    user: OrderReader,
    done: Literal["created", "confirmed", "cancelled", "delivered"] | None = None,
) -> Response:
    return _order_page(request, db, user, order_id, Shown(notice=ORDER_NOTICES.get(done or "")))


def _after(
    request: Request, db: Session, user: User, order_id: int, shown: Shown, target: str
) -> Response:
    """The order page with the refusal next to its form, or on to ``target`` when booked."""
    if shown.failed:
        return _order_page(request, db, user, order_id, shown)
    return RedirectResponse(target, status_code=303)


@router.post("/sales-orders/{order_id}/confirm", dependencies=[CsrfChecked])
def confirm_order(order_id: ObjectId, request: Request, db: DbSession, user: Seller) -> Response:
    """Credit check and stock reservation; a refusal reserves nothing (savepoint)."""
    shown = run_form(
        db, lambda: service.confirm_order(db, order_id=order_id, actor=user), "confirm", {}
    )
    return _after(request, db, user, order_id, shown, f"/sales-orders/{order_id}?done=confirmed")


@router.post("/sales-orders/{order_id}/cancel", dependencies=[CsrfChecked])
def cancel_order(order_id: ObjectId, request: Request, db: DbSession, user: Seller) -> Response:
    shown = run_form(
        db, lambda: service.cancel_order(db, order_id=order_id, actor=user), "cancel", {}
    )
    return _after(request, db, user, order_id, shown, f"/sales-orders/{order_id}?done=cancelled")


@router.post("/sales-orders/{order_id}/delete", dependencies=[CsrfChecked])
def delete_order(order_id: ObjectId, request: Request, db: DbSession, user: Seller) -> Response:
    shown = run_form(
        db, lambda: service.delete_draft(db, order_id=order_id, actor=user), "confirm", {}
    )
    return _after(request, db, user, order_id, shown, "/sales-orders?done=deleted")


@router.post("/sales-orders/{order_id}/deliveries", dependencies=[CsrfChecked])
def deliver_order(
    order_id: ObjectId, request: Request, db: DbSession, user: Shipper, form: PostedForm
) -> Response:
    """A delivery (Lieferschein): the quantities typed per open line go out of the order's
    warehouse; a line left empty or at 0 is not shipped now."""
    order = service.get_order(db, order_id)
    values = form_fields(form)

    def book() -> None:
        lines, keys = [], []
        for line in order.lines:
            raw = values.get(f"qty_{line.id}", "")
            if raw not in ("", "0"):
                lines.append({"order_line_id": line.id, "quantity": int_input(raw)})
                keys.append(f"line {line.position}")
        data = {"delivery_date": date_input(values.get("delivery_date", "")), "lines": lines}
        try:
            body = DeliveryCreate.model_validate(data)
        except ValidationError as exc:
            raise FormProblem(_line_errors(exc, keys)) from exc
        delivery.deliver(db, order_id=order_id, actor=user, values=body.model_dump())

    shown = run_form(db, book, "deliver", values)
    return _after(request, db, user, order_id, shown, f"/sales-orders/{order_id}?done=delivered")


@router.post("/sales-orders/{order_id}/invoices", dependencies=[CsrfChecked])
def invoice_order(
    order_id: ObjectId, request: Request, db: DbSession, user: Biller, form: PostedForm
) -> Response:
    """Invoice what was delivered and not yet invoiced, and post it to FIBU."""
    service.get_order(db, order_id)
    values = form_fields(form)
    issued: list[OutgoingInvoice] = []

    def book() -> None:
        data = {
            "invoice_date": date_input(values.get("invoice_date", "")),
            "service_date": date_input(values.get("service_date", "")) or None,
            "due_date": date_input(values.get("due_date", "")) or None,
        }
        body = validated(SalesInvoiceCreate, data)
        issued.append(
            invoicing.create_invoice(db, order_id=order_id, actor=user, values=body.model_dump())
        )

    shown = run_form(db, book, "invoice", values)
    target = f"/invoices/{issued[0].id}?done=created" if issued else ""
    return _after(request, db, user, order_id, shown, target)
