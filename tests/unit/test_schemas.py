from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from erp.schemas import Email, IsoDate, Money, StrictModel


class Example(StrictModel):
    amount: Money
    day: IsoDate
    email: Email
    count: int


VALID = {"amount": "1234.50", "day": "2026-02-28", "email": "Anna@Firma.test", "count": 3}


def test_valid_input_is_parsed_exactly() -> None:
    model = Example.model_validate(VALID)
    assert model.amount == Decimal("1234.50")
    assert model.day == date(2026, 2, 28)
    assert model.email == "anna@firma.test"
    assert model.model_dump(mode="json")["amount"] == "1234.50"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", 12.5),  # a number, not a string: floats are never money
        ("amount", "12.5"),
        ("amount", "12.505"),
        ("amount", ""),
        ("amount", "١٢.٥٠"),  # other scripts' digits
        ("day", "2026-02-30"),
        ("day", "20260228"),
        ("day", 0),
        ("email", "no-at-sign"),
        ("email", "a@b"),
        ("count", False),
        ("count", "3"),
        ("count", 3.0),
    ],
)
def test_invalid_input_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Example.model_validate({**VALID, field: value})


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Example.model_validate({**VALID, "surprise": 1})


def test_published_schema_states_the_accepted_formats() -> None:
    schema = Example.model_json_schema()["properties"]
    assert schema["amount"]["type"] == "string"
    assert schema["amount"]["pattern"].startswith("^")
    assert schema["day"]["format"] == "date"
    assert "pattern" in schema["email"]
