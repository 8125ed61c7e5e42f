import json
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from erp import audit
from erp.auth.models import User
from erp.crm import pipeline, service
from erp.crm.models import ActivityKind, Customer
from erp.sequences import NumberRange, NumberRangeExhausted
from tests.unit.crm.conftest import customer_values


def test_numbers_and_debitor_accounts_are_assigned_in_order(db: Session, seller: User) -> None:
    first = service.create_customer(db, actor=seller, values=customer_values())
    second = service.create_customer(db, actor=seller, values=customer_values(name="B AG"))
    assert (first.number, first.debitor_account) == ("K10001", 10000)
    assert (second.number, second.debitor_account) == ("K10002", 10001)


def test_debitor_range_ends_at_69999(db: Session, seller: User) -> None:
    service.create_customer(db, actor=seller, values=customer_values())
    debitor_range = db.get(NumberRange, "debitor")
    assert debitor_range is not None
    debitor_range.next_value = 69999
    last = service.create_customer(db, actor=seller, values=customer_values(name="Last"))
    assert last.debitor_account == 69999
    with pytest.raises(NumberRangeExhausted):
        service.create_customer(db, actor=seller, values=customer_values(name="Too many"))


def test_vat_id_is_checked_and_normalized(db: Session, seller: User) -> None:
    with pytest.raises(service.InvalidVatId, match="check digit"):
        service.create_customer(db, actor=seller, values=customer_values(vat_id="DE136695977"))
    customer = service.create_customer(
        db, actor=seller, values=customer_values(vat_id="de 136 695 976")
    )
    assert customer.vat_id == "DE136695976"


def test_updates_are_audited_with_old_and_new_values(
    db: Session, seller: User, customer: Customer
) -> None:
    service.update_customer(
        db,
        customer_id=customer.id,
        actor=seller,
        values={"city": "Potsdam", "credit_limit": Decimal("7500.00"), "name": customer.name},
    )
    entries = audit.history(db, entity="customer", entity_id=customer.id)
    assert [e.action for e in entries] == ["create", "update"]
    assert json.loads(entries[1].changes) == {
        "city": ["Berlin", "Potsdam"],
        "credit_limit": ["5000.00", "7500.00"],
    }
    assert entries[1].user_id == seller.id


def test_archived_customers_are_read_only_but_readable(
    db: Session, seller: User, customer: Customer
) -> None:
    service.set_customer_archived(db, customer_id=customer.id, actor=seller, archived=True)
    assert service.get_customer(db, customer_id=customer.id).archived
    with pytest.raises(service.CustomerArchived):
        service.update_customer(db, customer_id=customer.id, actor=seller, values={"city": "X"})
    with pytest.raises(service.CustomerArchived):
        service.create_contact(db, customer_id=customer.id, actor=seller, values={"name": "A"})
    with pytest.raises(service.CustomerArchived):
        pipeline.create_opportunity(
            db,
            actor=seller,
            values={"customer_id": customer.id, "title": "T", "expected_revenue": Decimal("1.00")},
        )
    service.set_customer_archived(db, customer_id=customer.id, actor=seller, archived=False)
    service.update_customer(db, customer_id=customer.id, actor=seller, values={"city": "X"})


def test_delete_only_while_nothing_refers_to_the_customer(
    db: Session, seller: User, customer: Customer
) -> None:
    pipeline.create_activity(
        db,
        actor=seller,
        values={"customer_id": customer.id, "kind": ActivityKind.call, "subject": "Hallo"},
    )
    with pytest.raises(service.CustomerInUse):
        service.delete_customer(db, customer_id=customer.id, actor=seller)
    typo = service.create_customer(db, actor=seller, values=customer_values(name="Dublette"))
    service.delete_customer(db, customer_id=typo.id, actor=seller)
    with pytest.raises(service.CustomerNotFound):
        service.get_customer(db, customer_id=typo.id)


def test_search_by_name_number_debitor_and_city(db: Session, seller: User) -> None:
    a = service.create_customer(db, actor=seller, values=customer_values(name="Alpha GmbH"))
    b = service.create_customer(
        db, actor=seller, values=customer_values(name="beta KG", city="Köln")
    )
    archived = service.create_customer(db, actor=seller, values=customer_values(name="Alphabet"))
    service.set_customer_archived(db, customer_id=archived.id, actor=seller, archived=True)

    def names(**kw: object) -> list[str]:
        rows, total = service.search_customers(db, limit=10, offset=0, **kw)  # type: ignore[arg-type]
        assert total == len(rows)
        return [c.name for c in rows]

    assert names(query="ALPHA") == ["Alpha GmbH"]
    assert names(query="alpha", include_archived=True) == ["Alpha GmbH", "Alphabet"]
    assert names(query=b.number.lower()) == ["beta KG"]
    assert names(query=str(a.debitor_account)) == ["Alpha GmbH"]
    assert names(city="köln") == ["beta KG"]
    assert names() == ["Alpha GmbH", "beta KG"]  # ordered by name


def test_the_total_is_exact_on_every_page_with_or_without_a_count(
    db: Session, seller: User
) -> None:
    for i in range(7):
        service.create_customer(db, actor=seller, values=customer_values(name=f"Seite {i}"))
    for query in ("seite", "SEITE 3", "nirgends"):
        expected = len(service.customer_rows(db, limit=100, offset=0, query=query)[0])
        for limit in range(1, 9):
            for offset in range(10):
                rows, total = service.customer_rows(db, limit=limit, offset=offset, query=query)
                assert total == expected, (query, limit, offset)
                assert len(rows) == max(0, min(limit, expected - offset))
                found, counted = service.search_customers(
                    db, limit=limit, offset=offset, query=query
                )
                assert (len(found), counted) == (len(rows), total)


def test_contacts_lifecycle(db: Session, seller: User, customer: Customer) -> None:
    contact = service.create_contact(
        db, customer_id=customer.id, actor=seller, values={"name": "Eva", "role": "Einkauf"}
    )
    service.update_contact(db, contact_id=contact.id, actor=seller, values={"phone": "+49 30 1"})
    assert [c.name for c in service.list_contacts(db, customer_id=customer.id)] == ["Eva"]
    service.archive_contact(db, contact_id=contact.id, actor=seller)
    assert service.list_contacts(db, customer_id=customer.id) == []
    assert len(service.list_contacts(db, customer_id=customer.id, include_archived=True)) == 1
    with pytest.raises(service.ContactArchived):
        service.update_contact(db, contact_id=contact.id, actor=seller, values={"role": "X"})
    with pytest.raises(service.ContactNotFound):
        service.get_contact(db, contact_id=999)
