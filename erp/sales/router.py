"""Sales API: orders, deliveries, invoices (and corrections), incoming payments.

The flow is linked in the OpenAPI schema: order → confirm → delivery → invoice → payment.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from erp.auth.models import Role, User
from erp.deps import Allow, DbSession
from erp.openapi_links import conflict, created, with_link
from erp.sales import delivery, invoicing, service
from erp.sales.models import SalesInvoiceStatus, SalesOrderStatus
from erp.sales.schemas import (
    CorrectionCreate,
    CustomerPaymentCreate,
    CustomerPaymentRead,
    DeliveryCreate,
    DeliveryRead,
    SalesInvoiceCreate,
    SalesInvoiceRead,
    SalesOrderCreate,
    SalesOrderRead,
)
from erp.schemas import IsoDate, ObjectId, OptionalIdQuery, Page, PageParams, page_params

router = APIRouter(tags=["sales"])
# Sales takes orders; the warehouse ships them; accounting invoices and books payments; admin
# does all. Everyone in the flow reads orders.
OrderReader = Annotated[
    User, Depends(Allow(Role.admin, Role.sales, Role.warehouse, Role.accounting))
]
Seller = Annotated[User, Depends(Allow(Role.admin, Role.sales))]
Shipper = Annotated[User, Depends(Allow(Role.admin, Role.warehouse))]
Biller = Annotated[User, Depends(Allow(Role.admin, Role.accounting))]
Paging = Annotated[PageParams, Depends(page_params)]
ORDER_STATE = conflict("The order is not in a state that allows this")
BY_ID = {"order_id": "$response.body#/id"}


@router.get("/sales-orders")
def list_sales_orders(
    _user: OrderReader,
    db: DbSession,
    page: Paging,
    status: SalesOrderStatus | None = None,
    customer_id: OptionalIdQuery = None,
    billable: Annotated[
        bool | None, Query(description="true: orders with goods delivered and not invoiced")
    ] = None,
) -> Page[SalesOrderRead]:
    """Sales orders, newest first."""
    rows, total = service.list_orders(
        db,
        limit=page.limit,
        offset=page.offset,
        status=status,
        customer_id=customer_id,
        billable=billable,
    )
    items = [SalesOrderRead.model_validate(o) for o in rows]
    return Page[SalesOrderRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/sales-orders",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created(
            "sales order",
            "order_id",
            GetOrder="getSalesOrder",
            ConfirmOrder="confirmSalesOrder",
            DeleteOrder="deleteSalesOrder",
        ),
        404: {"description": "No such customer, warehouse or article"},
        **conflict("The customer is archived"),
    },
)
def create_sales_order(
    body: SalesOrderCreate, user: Seller, db: DbSession, response: Response
) -> SalesOrderRead:
    """A draft order; prices default to the articles' sales prices."""
    values = body.model_dump(exclude={"lines"})
    values["lines"] = [
        {"article_id": li.article_id, "quantity": li.quantity, "unit_price": li.unit_price}
        for li in body.lines
    ]
    order = service.create_order(db, actor=user, values=values)
    response.headers["Location"] = f"/api/v1/sales-orders/{order.id}"
    return SalesOrderRead.model_validate(order)


@router.get("/sales-orders/{order_id}")
def get_sales_order(order_id: ObjectId, _user: OrderReader, db: DbSession) -> SalesOrderRead:
    """One order with its lines and what was delivered, invoiced and cancelled."""
    return SalesOrderRead.model_validate(service.get_order(db, order_id))


@router.post(
    "/sales-orders/{order_id}/confirm",
    responses={
        **conflict(
            "The order is not a draft, stock is not available, the credit limit would be "
            "exceeded, or the customer is archived"
        ),
        **with_link(
            with_link(
                {200: {"description": "The order was confirmed and its stock reserved"}},
                200,
                "DeliverOrder",
                "createDelivery",
                **BY_ID,
            ),
            200,
            "CancelOrder",
            "cancelSalesOrder",
            **BY_ID,
        ),
    },
)
def confirm_sales_order(order_id: ObjectId, user: Seller, db: DbSession) -> SalesOrderRead:
    """draft → confirmed: credit checked, stock reserved, the order numbered."""
    return SalesOrderRead.model_validate(service.confirm_order(db, order_id=order_id, actor=user))


@router.post("/sales-orders/{order_id}/cancel", responses=ORDER_STATE)
def cancel_sales_order(order_id: ObjectId, user: Seller, db: DbSession) -> SalesOrderRead:
    """Cancel what is not delivered yet; its reservation is released."""
    return SalesOrderRead.model_validate(service.cancel_order(db, order_id=order_id, actor=user))


@router.delete(
    "/sales-orders/{order_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ORDER_STATE
)
def delete_sales_order(order_id: ObjectId, user: Seller, db: DbSession) -> None:
    """Delete a draft order."""
    service.delete_draft(db, order_id=order_id, actor=user)


@router.post(
    "/sales-orders/{order_id}/deliveries",
    status_code=status.HTTP_201_CREATED,
    responses={
        **with_link(
            created("delivery", "delivery_id", GetDelivery="getDelivery"),
            201,
            "InvoiceOrder",
            "createInvoice",
            order_id="$response.body#/order_id",
        ),
        **conflict("The order is not open, or more is delivered than is open"),
    },
)
def create_delivery(
    order_id: ObjectId, body: DeliveryCreate, user: Shipper, db: DbSession, response: Response
) -> DeliveryRead:
    """Ship (part of) a confirmed order: reserved stock goes out, in one transaction."""
    values = {
        "delivery_date": body.delivery_date,
        "lines": None if body.lines is None else [li.model_dump() for li in body.lines],
    }
    shipped = delivery.deliver(db, order_id=order_id, actor=user, values=values)
    response.headers["Location"] = f"/api/v1/deliveries/{shipped.id}"
    return DeliveryRead.model_validate(shipped)


@router.get("/deliveries/{delivery_id}")
def get_delivery(delivery_id: ObjectId, _user: OrderReader, db: DbSession) -> DeliveryRead:
    """One delivery (Lieferschein) with its stock movements."""
    return DeliveryRead.model_validate(delivery.get_delivery(db, delivery_id))


@router.post(
    "/sales-orders/{order_id}/invoices",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created(
            "invoice",
            "invoice_id",
            GetInvoice="getInvoice",
            BookPayment="bookPayment",
            CorrectInvoice="correctInvoice",
        ),
        **conflict(
            "Nothing delivered to invoice, invoice data incomplete (§14 UStG), or the period "
            "is closed"
        ),
    },
)
def create_invoice(
    order_id: ObjectId, body: SalesInvoiceCreate, user: Biller, db: DbSession, response: Response
) -> SalesInvoiceRead:
    """Invoice what was delivered and post it (Debitor, Erlöse, Umsatzsteuer per rate)."""
    invoice = invoicing.create_invoice(db, order_id=order_id, actor=user, values=body.model_dump())
    response.headers["Location"] = f"/api/v1/invoices/{invoice.id}"
    return SalesInvoiceRead.model_validate(invoice)


@router.get("/invoices")
def list_invoices(
    _user: Biller,
    db: DbSession,
    page: Paging,
    status: SalesInvoiceStatus | None = None,
    customer_id: OptionalIdQuery = None,
    overdue_on: Annotated[
        IsoDate | None, Query(description="Open invoices due before this day")
    ] = None,
) -> Page[SalesInvoiceRead]:
    """Outgoing invoices, newest first; ``overdue_on`` keeps the open ones due before it."""
    rows, total = invoicing.list_invoices(
        db,
        limit=page.limit,
        offset=page.offset,
        status=status,
        customer_id=customer_id,
        overdue_on=overdue_on,
    )
    items = [SalesInvoiceRead.model_validate(i) for i in rows]
    return Page[SalesInvoiceRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/invoices/{invoice_id}")
def get_invoice(invoice_id: ObjectId, _user: Biller, db: DbSession) -> SalesInvoiceRead:
    """One invoice with its lines, VAT per rate and payments."""
    return SalesInvoiceRead.model_validate(invoicing.get_invoice(db, invoice_id))


@router.post(
    "/invoices/{invoice_id}/correction",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created("correcting invoice", "invoice_id", GetCorrection="getInvoice"),
        **conflict("The invoice is paid, corrected, a correction itself, or the period is closed"),
    },
)
def correct_invoice(
    invoice_id: ObjectId,
    body: CorrectionCreate,
    user: Biller,
    db: DbSession,
    response: Response,
) -> SalesInvoiceRead:
    """Stornorechnung: the unpaid invoice negated as a new document; its open item clears."""
    correction = invoicing.correct_invoice(
        db, invoice_id=invoice_id, actor=user, values=body.model_dump()
    )
    response.headers["Location"] = f"/api/v1/invoices/{correction.id}"
    return SalesInvoiceRead.model_validate(correction)


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=status.HTTP_201_CREATED,
    responses={
        **conflict(
            "The invoice is paid or corrected, the amount exceeds what is open, or the period "
            "is closed"
        )
    },
)
def book_payment(
    invoice_id: ObjectId, body: CustomerPaymentCreate, user: Biller, db: DbSession
) -> CustomerPaymentRead:
    """An incoming payment (Bank against Debitor) clearing (part of) the invoice's open item."""
    return CustomerPaymentRead.model_validate(
        invoicing.book_payment(
            db,
            invoice_id=invoice_id,
            actor=user,
            values={"amount": body.amount, "payment_date": body.payment_date},
        )
    )
