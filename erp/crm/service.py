"""Customers and contacts: numbering, VAT ids, archive rules, search."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from erp import audit
from erp.auth.models import User
from erp.crm.models import Activity, Contact, Customer, Opportunity
from erp.crm.rules import normalize_vat_id, vat_id_problem
from erp.errors import Conflict, DomainError, NotFound
from erp.sales.models import SalesOrder
from erp.sequences import next_number
from erp.text_search import contains_any_case
from erp.timeutil import utcnow

DEBITOR_FIRST, DEBITOR_LAST = 10000, 69999  # SKR03 personal accounts for customers
CUSTOMER_FIRST = 10001
AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])


class CustomerNotFound(NotFound):
    slug = "customer-not-found"


class ContactNotFound(NotFound):
    slug = "contact-not-found"


class InvalidVatId(DomainError):
    status, title, slug = 422, "Invalid VAT id", "invalid-vat-id"


class CustomerArchived(Conflict):
    slug = "customer-archived"


class CustomerInUse(Conflict):
    slug = "customer-in-use"


class ContactArchived(Conflict):
    slug = "contact-archived"


def _clean_vat_id(values: dict[str, Any]) -> dict[str, Any]:
    raw = values.get("vat_id")
    if raw:
        problem = vat_id_problem(raw)
        if problem:
            raise InvalidVatId(problem)
        values["vat_id"] = normalize_vat_id(raw)
    return values


def get_customer(session: Session, *, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(f"customer {customer_id} does not exist")
    return customer


def active_customer(session: Session, *, customer_id: int) -> Customer:
    """The customer, refusing archived ones: nothing new is attached to those."""
    customer = get_customer(session, customer_id=customer_id)
    if customer.archived:
        raise CustomerArchived(f"customer {customer.number} is archived")
    return customer


def create_customer(session: Session, *, actor: User, values: dict[str, Any]) -> Customer:
    """Create a customer with the next customer number and Debitor account."""
    values = _clean_vat_id(dict(values))
    customer = Customer(
        **values,
        number=f"K{next_number(session, 'customer', first=CUSTOMER_FIRST, last=99999)}",
        debitor_account=next_number(session, "debitor", first=DEBITOR_FIRST, last=DEBITOR_LAST),
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    session.add(customer)
    session.flush()
    audit.record(
        session,
        entity="customer",
        entity_id=customer.id,
        action="create",
        user_id=actor.id,
        changes=values,
    )
    return customer


def update_customer(
    session: Session, *, customer_id: int, actor: User, values: dict[str, Any]
) -> Customer:
    customer = active_customer(session, customer_id=customer_id)
    update_record(
        session, customer, entity="customer", values=_clean_vat_id(dict(values)), actor=actor
    )
    return customer


def set_customer_archived(
    session: Session, *, customer_id: int, actor: User, archived: bool
) -> Customer:
    """Archive (or restore) a customer; archived customers stay readable."""
    customer = get_customer(session, customer_id=customer_id)
    if customer.archived != archived:
        customer.archived_at = utcnow() if archived else None
        customer.updated_at, customer.updated_by_id = utcnow(), actor.id
        audit.record(
            session,
            entity="customer",
            entity_id=customer.id,
            action="archive" if archived else "restore",
            user_id=actor.id,
        )
    session.flush()
    return customer


def customer_is_referenced(session: Session, *, customer_id: int) -> bool:
    references = (Contact, Opportunity, Activity, SalesOrder)
    return any(
        session.scalar(select(exists().where(model.customer_id == customer_id)))
        for model in references
    )


def delete_customer(session: Session, *, customer_id: int, actor: User) -> None:
    """Delete a customer nothing refers to yet (a typo); otherwise archive it instead."""
    customer = get_customer(session, customer_id=customer_id)
    if customer_is_referenced(session, customer_id=customer_id):
        raise CustomerInUse(
            f"customer {customer.number} has contacts, opportunities, activities or orders;"
            " archive it"
        )
    audit.record(
        session,
        entity="customer",
        entity_id=customer.id,
        action="delete",
        user_id=actor.id,
        changes={"number": customer.number, "name": customer.name},
    )
    session.delete(customer)
    session.flush()


# The list's statements per shape of search (which filters are given), built once with bind
# parameters: building a statement per request cost as much as running it.
SearchShape = tuple[bool, bool, bool, bool]  # query, query is a Debitor number, city, archived


def _search(
    query: str | None, city: str | None, include_archived: bool
) -> tuple[SearchShape, dict[str, Any]]:
    params: dict[str, Any] = {}
    query = query or ""
    if query:
        params["pattern"] = f"%{query.lower()}%"
    by_debitor = query.isdigit() and len(query) <= 9  # a Debitor has five digits
    if by_debitor:
        params["debitor"] = int(query)
    if city:
        params["city"] = city.lower()
    return (bool(query), by_debitor, bool(city), include_archived), params


def _filtered(stmt: AnySelect, shape: SearchShape) -> AnySelect:
    has_query, by_debitor, has_city, include_archived = shape
    if not include_archived:
        stmt = stmt.where(Customer.archived_at.is_(None))
    if has_query:
        conditions: list[ColumnElement[bool]] = [
            contains_any_case(Customer.name, bindparam("pattern")),
            contains_any_case(Customer.number, bindparam("pattern")),
        ]
        if by_debitor:
            conditions.append(Customer.debitor_account == bindparam("debitor"))
        stmt = stmt.where(or_(*conditions))
    if has_city:
        stmt = stmt.where(func.lower(Customer.city) == bindparam("city"))
    return stmt


PAGE: dict[str, Any] = {"limit": bindparam("limit"), "offset": bindparam("offset")}


@functools.cache
def _customers_statement(shape: SearchShape) -> Select[*tuple[Customer]]:
    stmt = _filtered(select(Customer), shape).order_by(*CUSTOMER_ORDER)
    return stmt.limit(PAGE["limit"]).offset(PAGE["offset"])


@functools.cache
def _rows_statement(shape: SearchShape) -> Select[*tuple[Any, ...]]:
    stmt = _filtered(select(*CUSTOMER_COLUMNS), shape).order_by(*CUSTOMER_ORDER)
    return stmt.limit(PAGE["limit"]).offset(PAGE["offset"])


@functools.cache
def _count_statement(shape: SearchShape) -> Select[*tuple[int]]:
    return _filtered(select(func.count()).select_from(Customer), shape)


def search_customers(
    session: Session,
    *,
    limit: int,
    offset: int,
    query: str | None = None,
    city: str | None = None,
    include_archived: bool = False,
) -> tuple[list[Customer], int]:
    """Customers by name, number or Debitor account, ordered by name then number."""
    shape, params = _search(query, city, include_archived)
    rows = list(
        session.scalars(_customers_statement(shape), {**params, "limit": limit, "offset": offset})
    )
    return rows, _total(session, shape, params, limit, offset, len(rows))


# What the API shows of a customer, read as plain rows: no ORM objects to build and track on
# the busiest list.
CUSTOMER_COLUMNS = (
    Customer.id,
    Customer.number,
    Customer.debitor_account,
    Customer.name,
    Customer.street,
    Customer.postal_code,
    Customer.city,
    Customer.country,
    Customer.vat_id,
    Customer.email,
    Customer.phone,
    Customer.payment_terms_days,
    Customer.credit_limit,
    Customer.archived_at.is_not(None).label("archived"),
    Customer.created_at,
    Customer.updated_at,
)
CUSTOMER_ORDER = (Customer.name, Customer.number)


def customer_rows(
    session: Session,
    *,
    limit: int,
    offset: int,
    query: str | None = None,
    city: str | None = None,
    include_archived: bool = False,
) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
    """``search_customers`` as rows of ``CUSTOMER_COLUMNS`` (for the API's list)."""
    shape, params = _search(query, city, include_archived)
    page = {**params, "limit": limit, "offset": offset}
    rows = session.execute(_rows_statement(shape), page).all()
    return rows, _total(session, shape, params, limit, offset, len(rows))


def _total(
    session: Session,
    shape: SearchShape,
    params: dict[str, Any],
    limit: int,
    offset: int,
    found: int,
) -> int:
    """All matches: known from the page itself when it is not full (a narrow search, the last
    page), else counted — a second scan of the table that narrow searches need not pay."""
    if found < limit and (found or not offset):
        return offset + found
    return session.scalar(_count_statement(shape), params) or 0


# Contacts -------------------------------------------------------------------------------


def get_contact(session: Session, *, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise ContactNotFound(f"contact {contact_id} does not exist")
    return contact


def list_contacts(
    session: Session, *, customer_id: int, include_archived: bool = False
) -> list[Contact]:
    get_customer(session, customer_id=customer_id)
    stmt = select(Contact).where(Contact.customer_id == customer_id)
    if not include_archived:
        stmt = stmt.where(Contact.archived_at.is_(None))
    return list(session.scalars(stmt.order_by(Contact.name, Contact.id)))


def create_contact(
    session: Session, *, customer_id: int, actor: User, values: dict[str, Any]
) -> Contact:
    active_customer(session, customer_id=customer_id)
    contact = Contact(
        customer_id=customer_id, created_by_id=actor.id, updated_by_id=actor.id, **values
    )
    session.add(contact)
    session.flush()
    audit.record(
        session,
        entity="contact",
        entity_id=contact.id,
        action="create",
        user_id=actor.id,
        changes={"customer_id": customer_id, **values},
    )
    return contact


def update_contact(
    session: Session, *, contact_id: int, actor: User, values: dict[str, Any]
) -> Contact:
    contact = get_contact(session, contact_id=contact_id)
    if contact.archived:
        raise ContactArchived(f"contact {contact_id} is archived")
    active_customer(session, customer_id=contact.customer_id)
    update_record(session, contact, entity="contact", values=values, actor=actor)
    return contact


def update_record(
    session: Session,
    record: Customer | Contact | Opportunity | Activity,
    *,
    entity: str,
    values: dict[str, Any],
    actor: User,
) -> dict[str, Any]:
    """Apply ``values``; stamp and audit what really changed (returned as old → new)."""
    changed = audit.apply_changes(record, values)
    if changed:
        record.updated_at, record.updated_by_id = utcnow(), actor.id
        audit.record(
            session,
            entity=entity,
            entity_id=record.id,
            action="update",
            user_id=actor.id,
            changes=changed,
        )
    session.flush()
    return changed


def archive_record(
    session: Session, record: Contact | Opportunity | Activity, *, entity: str, actor: User
) -> None:
    """Archive once (archiving again changes nothing); the record stays readable."""
    if record.archived_at is None:
        now = utcnow()
        record.archived_at = now
        record.updated_at, record.updated_by_id = now, actor.id
        audit.record(
            session, entity=entity, entity_id=record.id, action="archive", user_id=actor.id
        )
    session.flush()


def archive_contact(session: Session, *, contact_id: int, actor: User) -> Contact:
    contact = get_contact(session, contact_id=contact_id)
    archive_record(session, contact, entity="contact", actor=actor)
    return contact


def customers_by_id(session: Session, ids: set[int]) -> list[Customer]:
    """Several customers in one query (for lists that show customer names)."""
    if not ids:
        return []
    return list(session.scalars(select(Customer).where(Customer.id.in_(ids))))
