"""FIBU fixtures: an accountant, a customer with its Debitor, and a ``book`` helper."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import Role, User
from erp.crm import service as crm_service
from erp.crm.models import Customer
from erp.deps import Services
from erp.fibu import journal
from erp.fibu.models import JournalEntry
from tests.conftest import PASSWORD
from tests.unit.crm.conftest import customer_values

Book = Callable[..., JournalEntry]


@pytest.fixture
def accountant(db: Session, services: Services) -> User:
    return auth_service.register_user(
        db,
        hasher=services.hasher,
        email="anna@firma.test",
        full_name="Anna Buchhalterin",
        password=PASSWORD,
        roles=frozenset({Role.accounting}),
    )


@pytest.fixture
def debitor(db: Session, accountant: User) -> int:
    """The Debitor account number of a fresh customer (the first: 10000)."""
    customer: Customer = crm_service.create_customer(db, actor=accountant, values=customer_values())
    return customer.debitor_account


def line(account: int, debit: str = "0", credit: str = "0", **extra: Any) -> dict[str, Any]:
    return {"account": account, "debit": Decimal(debit), "credit": Decimal(credit), **extra}


@pytest.fixture
def book(db: Session, accountant: User) -> Book:
    """``book(day, lines, document="RE-1", text="…", post=True, **header)``: one entry."""

    def make(
        day: date,
        lines: list[dict[str, Any]],
        document: str = "B-1",
        text: str = "Buchung",
        post: bool = True,
        **header: Any,
    ) -> JournalEntry:
        values = {
            "document_number": document,
            "document_date": day,
            "posting_date": day,
            "text": text,
            "lines": lines,
            **header,
        }
        return journal.create_entry(db, actor=accountant, values=values, post=post)

    return make
