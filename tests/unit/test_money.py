from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from erp.money import Cents, MoneyError, is_cents, round_cents, to_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.005", "0.01"),  # half-up, not banker's rounding
        ("0.015", "0.02"),
        ("0.025", "0.03"),
        ("2.675", "2.68"),
        ("-0.005", "-0.01"),  # half away from zero
        ("1.004", "1.00"),
        ("19.999", "20.00"),
        (7, "7.00"),
    ],
)
def test_round_cents_is_commercial_half_up(raw: str | int, expected: str) -> None:
    assert round_cents(raw) == Decimal(expected)
    assert str(round_cents(raw)) == expected


@pytest.mark.parametrize("bad", [0.1, True, float("nan"), "abc", "NaN", "Infinity", None])
def test_to_decimal_refuses_inexact_or_non_numbers(bad: object) -> None:
    with pytest.raises(MoneyError):
        to_decimal(bad)  # type: ignore[arg-type]


def test_is_cents() -> None:
    assert is_cents(Decimal("1.20"))
    assert not is_cents(Decimal("1.201"))


@pytest.fixture(scope="module")
def money_table():  # type: ignore[no-untyped-def]
    engine = create_engine("sqlite://")
    metadata = MetaData()
    table = Table("t", metadata, Column("id", Integer, primary_key=True), Column("amount", Cents))
    metadata.create_all(engine)
    yield engine, table
    engine.dispose()


@given(cents=st.integers(min_value=-(10**15), max_value=10**15))
def test_cents_column_round_trips_exactly(money_table, cents: int) -> None:  # type: ignore[no-untyped-def]
    engine, table = money_table
    amount = Decimal(cents).scaleb(-2)
    with engine.begin() as connection:
        row_id = connection.execute(insert(table).values(amount=amount)).inserted_primary_key[0]
        stored = connection.scalar(select(table.c.amount).where(table.c.id == row_id))
    assert stored == amount
    assert stored.as_tuple().exponent == -2


def test_cents_column_refuses_sub_cent_amounts(money_table) -> None:  # type: ignore[no-untyped-def]
    engine, table = money_table
    with pytest.raises(Exception, match="below the cent"), engine.begin() as connection:
        connection.execute(insert(table).values(amount=Decimal("1.005")))
