"""CRM API: customers and their contacts."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.orm import Session

from erp import audit
from erp.auth.models import Role, User
from erp.crm import service
from erp.crm.schemas import (
    ContactCreate,
    ContactRead,
    ContactUpdate,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    HistoryEntry,
)
from erp.deps import Allow, DbSession
from erp.openapi_links import conflict, created
from erp.schemas import ObjectId, Page, PageParams, page_params

router = APIRouter(tags=["crm"])
CustomerReader = Annotated[User, Depends(Allow(Role.admin, Role.sales, Role.accounting))]
CrmWriter = Annotated[User, Depends(Allow(Role.admin, Role.sales))]
CONFLICT = conflict("The customer is archived")


def _page(items: list[CustomerRead], total: int, page: PageParams) -> Page[CustomerRead]:
    return Page[CustomerRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/customers")
def list_customers(
    _user: CustomerReader,
    db: DbSession,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=100, description="Name, number or Debitor")] = None,
    city: Annotated[str | None, Query(max_length=100)] = None,
    include_archived: bool = False,
) -> Page[CustomerRead]:
    """Customers, ordered by name; archived ones only on request."""
    rows, total = service.customer_rows(
        db,
        limit=page.limit,
        offset=page.offset,
        query=q,
        city=city,
        include_archived=include_archived,
    )
    return Page[CustomerRead].model_validate(
        {"items": rows, "total": total, "limit": page.limit, "offset": page.offset},
        from_attributes=True,
    )


@router.post(
    "/customers",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created(
            "customer",
            "customer_id",
            GetCustomer="getCustomer",
            UpdateCustomer="updateCustomer",
            ArchiveCustomer="archiveCustomer",
        ),
        409: {"description": "The number range is exhausted"},
        422: {"description": "Invalid fields or VAT id"},
    },
)
def create_customer(
    body: CustomerCreate, user: CrmWriter, db: DbSession, response: Response
) -> CustomerRead:
    """Create a customer; number and Debitor account are assigned."""
    customer = service.create_customer(db, actor=user, values=body.model_dump())
    response.headers["Location"] = f"/api/v1/customers/{customer.id}"
    return CustomerRead.model_validate(customer)


@router.get("/customers/{customer_id}")
def get_customer(customer_id: ObjectId, _user: CustomerReader, db: DbSession) -> CustomerRead:
    """One customer, archived or not."""
    return CustomerRead.model_validate(service.get_customer(db, customer_id=customer_id))


@router.patch("/customers/{customer_id}", responses=CONFLICT)
def update_customer(
    customer_id: ObjectId, body: CustomerUpdate, user: CrmWriter, db: DbSession
) -> CustomerRead:
    """Change the fields sent; archived customers cannot change."""
    customer = service.update_customer(
        db, customer_id=customer_id, actor=user, values=body.changes()
    )
    return CustomerRead.model_validate(customer)


@router.post("/customers/{customer_id}/archive")
def archive_customer(customer_id: ObjectId, user: CrmWriter, db: DbSession) -> CustomerRead:
    """Archive: the customer stays readable but takes no new contacts, deals or activities."""
    customer = service.set_customer_archived(db, customer_id=customer_id, actor=user, archived=True)
    return CustomerRead.model_validate(customer)


@router.post("/customers/{customer_id}/restore")
def restore_customer(customer_id: ObjectId, user: CrmWriter, db: DbSession) -> CustomerRead:
    """Undo an archive."""
    customer = service.set_customer_archived(
        db, customer_id=customer_id, actor=user, archived=False
    )
    return CustomerRead.model_validate(customer)


@router.delete(
    "/customers/{customer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "Something refers to the customer: archive it instead"}},
)
def delete_customer(customer_id: ObjectId, user: CrmWriter, db: DbSession) -> None:
    """Delete a customer nothing refers to (e.g. a duplicate typed by mistake)."""
    service.delete_customer(db, customer_id=customer_id, actor=user)


@router.get("/customers/{customer_id}/history")
def customer_history(
    customer_id: ObjectId, _user: CustomerReader, db: DbSession
) -> list[HistoryEntry]:
    """Every change to the customer: who, when, what."""
    service.get_customer(db, customer_id=customer_id)
    return _history(db, "customer", customer_id)


def _history(db: Session, entity: str, entity_id: int) -> list[HistoryEntry]:
    return [
        HistoryEntry(action=e.action, changes=json.loads(e.changes), user_id=e.user_id, at=e.at)
        for e in audit.history(db, entity=entity, entity_id=entity_id)
    ]


# Contacts -------------------------------------------------------------------------------


@router.get("/customers/{customer_id}/contacts")
def list_contacts(
    customer_id: ObjectId, _user: CrmWriter, db: DbSession, include_archived: bool = False
) -> list[ContactRead]:
    """The customer's contacts by name."""
    contacts = service.list_contacts(db, customer_id=customer_id, include_archived=include_archived)
    return [ContactRead.model_validate(c) for c in contacts]


@router.post(
    "/customers/{customer_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    responses={
        **created(
            "contact",
            "contact_id",
            GetContact="getContact",
            UpdateContact="updateContact",
            ArchiveContact="archiveContact",
        ),
        **CONFLICT,
    },
)
def create_contact(
    customer_id: ObjectId, body: ContactCreate, user: CrmWriter, db: DbSession, response: Response
) -> ContactRead:
    """Add a contact person to an active customer."""
    contact = service.create_contact(
        db, customer_id=customer_id, actor=user, values=body.model_dump()
    )
    response.headers["Location"] = f"/api/v1/contacts/{contact.id}"
    return ContactRead.model_validate(contact)


@router.get("/contacts/{contact_id}")
def get_contact(contact_id: ObjectId, _user: CrmWriter, db: DbSession) -> ContactRead:
    """One contact, archived or not."""
    return ContactRead.model_validate(service.get_contact(db, contact_id=contact_id))


@router.patch(
    "/contacts/{contact_id}", responses=conflict("The contact or its customer is archived")
)
def update_contact(
    contact_id: ObjectId, body: ContactUpdate, user: CrmWriter, db: DbSession
) -> ContactRead:
    """Change the fields sent."""
    contact = service.update_contact(db, contact_id=contact_id, actor=user, values=body.changes())
    return ContactRead.model_validate(contact)


@router.post("/contacts/{contact_id}/archive")
def archive_contact(contact_id: ObjectId, user: CrmWriter, db: DbSession) -> ContactRead:
    """Archive a contact (e.g. the person left the company)."""
    return ContactRead.model_validate(
        service.archive_contact(db, contact_id=contact_id, actor=user)
    )
