"""Purchasing API: suppliers, purchase orders, goods receipts, incoming invoices, payments.

The flow is linked in the OpenAPI schema: order → place → receipt → invoice → payment.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from erp.auth.models import Role, User
from erp.deps import Allow, DbSession
from erp.openapi_links import conflict, created, with_link
from erp.purchasing import invoicing, service
from erp.purchasing.models import InvoiceStatus, OrderStatus
from erp.purchasing.schemas import (
    InvoiceCreate,
    InvoiceRead,
    OrderCreate,
    OrderRead,
    PaymentCreate,
    PaymentRead,
    ReceiptCreate,
    ReceiptRead,
    SupplierCreate,
    SupplierRead,
)
from erp.schemas import ObjectId, Page, PageParams, page_params

router = APIRouter(tags=["purchasing"])
# Warehouse staff order and receive; accounting books invoices and payments; admin does all.
Buyer = Annotated[User, Depends(Allow(Role.admin, Role.warehouse, Role.accounting))]
Receiver = Annotated[User, Depends(Allow(Role.admin, Role.warehouse))]
Bookkeeper = Annotated[User, Depends(Allow(Role.admin, Role.accounting))]
Paging = Annotated[PageParams, Depends(page_params)]
ORDER_STATE = conflict("The order is not in a state that allows this")


@router.get("/suppliers")
def list_suppliers(_user: Buyer, db: DbSession, page: Paging) -> Page[SupplierRead]:
    """Suppliers by name."""
    rows, total = service.list_suppliers(db, limit=page.limit, offset=page.offset)
    items = [SupplierRead.model_validate(s) for s in rows]
    return Page[SupplierRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/suppliers",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created("supplier", "supplier_id", GetSupplier="getSupplier"),
        **conflict("No Kreditor number left"),
    },
)
def create_supplier(
    body: SupplierCreate, user: Bookkeeper, db: DbSession, response: Response
) -> SupplierRead:
    """A supplier with the next free Kreditor account (opened in FIBU)."""
    supplier = service.create_supplier(db, actor=user, values=body.model_dump())
    response.headers["Location"] = f"/api/v1/suppliers/{supplier.id}"
    return SupplierRead.model_validate(supplier)


@router.get("/suppliers/{supplier_id}")
def get_supplier(supplier_id: ObjectId, _user: Buyer, db: DbSession) -> SupplierRead:
    """One supplier."""
    return SupplierRead.model_validate(service.get_supplier(db, supplier_id))


@router.get("/purchase-orders")
def list_purchase_orders(
    _user: Buyer, db: DbSession, page: Paging, status: OrderStatus | None = None
) -> Page[OrderRead]:
    """Purchase orders, newest first."""
    rows, total = service.list_orders(db, limit=page.limit, offset=page.offset, status=status)
    items = [OrderRead.model_validate(o) for o in rows]
    return Page[OrderRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/purchase-orders",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created(
            "purchase order",
            "order_id",
            GetOrder="getPurchaseOrder",
            PlaceOrder="placePurchaseOrder",
            DeleteOrder="deletePurchaseOrder",
        ),
        404: {"description": "No such supplier or article"},
    },
)
def create_purchase_order(
    body: OrderCreate, user: Receiver, db: DbSession, response: Response
) -> OrderRead:
    """A draft order; prices default to the articles' purchase prices."""
    values = body.model_dump(exclude={"lines"})
    values["lines"] = [
        {"article_id": li.article_id, "quantity": li.quantity, "unit_price": li.unit_price}
        for li in body.lines
    ]
    order = service.create_order(db, actor=user, values=values)
    response.headers["Location"] = f"/api/v1/purchase-orders/{order.id}"
    return OrderRead.model_validate(order)


@router.get("/purchase-orders/{order_id}")
def get_purchase_order(order_id: ObjectId, _user: Buyer, db: DbSession) -> OrderRead:
    """One order with its lines and what was received and invoiced."""
    return OrderRead.model_validate(service.get_order(db, order_id))


@router.post(
    "/purchase-orders/{order_id}/place",
    responses={
        **ORDER_STATE,
        **with_link(
            {200: {"description": "The order was placed"}},
            200,
            "ReceiveGoods",
            "receiveGoods",
            order_id="$response.body#/id",
        ),
    },
)
def place_purchase_order(order_id: ObjectId, user: Receiver, db: DbSession) -> OrderRead:
    """draft → ordered: the order gets its number."""
    return OrderRead.model_validate(service.place_order(db, order_id=order_id, actor=user))


@router.delete(
    "/purchase-orders/{order_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ORDER_STATE
)
def delete_purchase_order(order_id: ObjectId, user: Receiver, db: DbSession) -> None:
    """Delete a draft order."""
    service.delete_draft(db, order_id=order_id, actor=user)


@router.post(
    "/purchase-orders/{order_id}/receipts",
    status_code=status.HTTP_201_CREATED,
    responses={
        **with_link(
            created("goods receipt", "receipt_id", GetReceipt="getGoodsReceipt"),
            201,
            "InvoiceOrder",
            "createIncomingInvoice",
            order_id="$response.body#/order_id",
        ),
        **conflict("The order is not open, or more is received than is open"),
    },
)
def receive_goods(
    order_id: ObjectId, body: ReceiptCreate, user: Receiver, db: DbSession, response: Response
) -> ReceiptRead:
    """Receive (part of) an order into a warehouse: stock goes up, in one transaction."""
    values = body.model_dump(exclude={"lines"})
    values["lines"] = [line.model_dump() for line in body.lines]
    receipt = service.receive_goods(db, order_id=order_id, actor=user, values=values)
    response.headers["Location"] = f"/api/v1/goods-receipts/{receipt.id}"
    return ReceiptRead.model_validate(receipt)


@router.get("/goods-receipts/{receipt_id}")
def get_goods_receipt(receipt_id: ObjectId, _user: Buyer, db: DbSession) -> ReceiptRead:
    """One goods receipt with its stock movements."""
    return ReceiptRead.model_validate(service.get_receipt(db, receipt_id))


@router.post(
    "/purchase-orders/{order_id}/invoices",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created(
            "incoming invoice",
            "invoice_id",
            GetInvoice="getIncomingInvoice",
            PayInvoice="payIncomingInvoice",
        ),
        **conflict(
            "Nothing received to invoice, the supplier's number is booked, or the period is closed"
        ),
    },
)
def create_incoming_invoice(
    order_id: ObjectId, body: InvoiceCreate, user: Bookkeeper, db: DbSession, response: Response
) -> InvoiceRead:
    """Book the supplier's invoice for what was received (Wareneingang, Vorsteuer, Kreditor)."""
    invoice = invoicing.create_invoice(db, order_id=order_id, actor=user, values=body.model_dump())
    response.headers["Location"] = f"/api/v1/incoming-invoices/{invoice.id}"
    return InvoiceRead.model_validate(invoice)


@router.get("/incoming-invoices")
def list_incoming_invoices(
    _user: Bookkeeper, db: DbSession, page: Paging, status: InvoiceStatus | None = None
) -> Page[InvoiceRead]:
    """Incoming invoices, newest first."""
    rows, total = invoicing.list_invoices(db, limit=page.limit, offset=page.offset, status=status)
    items = [InvoiceRead.model_validate(i) for i in rows]
    return Page[InvoiceRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/incoming-invoices/{invoice_id}")
def get_incoming_invoice(invoice_id: ObjectId, _user: Bookkeeper, db: DbSession) -> InvoiceRead:
    """One incoming invoice with its lines and what is paid."""
    return InvoiceRead.model_validate(invoicing.get_invoice(db, invoice_id))


@router.post(
    "/incoming-invoices/{invoice_id}/payments",
    status_code=status.HTTP_201_CREATED,
    responses={
        **conflict("The invoice is paid, the amount exceeds what is open, or the period is closed")
    },
)
def pay_incoming_invoice(
    invoice_id: ObjectId, body: PaymentCreate, user: Bookkeeper, db: DbSession
) -> PaymentRead:
    """Pay (part of) an invoice from the bank; it clears the Kreditor's open item."""
    return PaymentRead.model_validate(
        invoicing.pay_invoice(
            db,
            invoice_id=invoice_id,
            actor=user,
            values={"amount": body.amount, "payment_date": body.payment_date},
        )
    )
