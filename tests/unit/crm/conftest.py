from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from erp.auth import service as auth_service
from erp.auth.models import Role, User
from erp.crm import service
from erp.crm.models import Customer
from erp.deps import Services
from tests.conftest import PASSWORD


@pytest.fixture
def seller(db: Session, services: Services) -> User:
    return auth_service.register_user(
        db,
        hasher=services.hasher,
        email="sven@firma.test",
        full_name="Sven",
        password=PASSWORD,
        roles=frozenset({Role.sales}),
    )


def customer_values(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Müller GmbH",
        "street": "Hauptstr. 1",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "vat_id": None,
        "email": None,
        "phone": None,
        "payment_terms_days": 14,
        "credit_limit": Decimal("5000.00"),
        **overrides,
    }


@pytest.fixture
def customer(db: Session, seller: User) -> Customer:
    return service.create_customer(db, actor=seller, values=customer_values())
