"""Money: ``Decimal`` only, rounded once, half-up, to cents, and stored as integer cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Dialect
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest net of one document line: whole documents stay far inside 64-bit cents.
MAX_LINE_NET = Decimal("999999999999.99")


class MoneyError(ValueError):
    """A value that cannot be an amount of money."""


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Build an exact Decimal; floats (and bools) are refused because they are not exact."""
    if isinstance(value, bool | float):
        raise MoneyError(f"refusing inexact {type(value).__name__} {value!r}; use Decimal or str")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation as exc:
            raise MoneyError(f"not a number: {value!r}") from exc
    else:
        raise MoneyError(f"refusing {type(value).__name__}")
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return result


def round_cents(value: Decimal | int | str) -> Decimal:
    """Commercial rounding (kaufmännisch): half-up to two decimals."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def is_cents(value: Decimal) -> bool:
    """True when ``value`` has no digits below the cent."""
    return value == value.quantize(CENT)


class Cents(TypeDecorator[Decimal]):
    """Stores a Decimal amount exactly as integer cents (SQLite's NUMERIC goes through float)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        amount = to_decimal(value)
        if not is_cents(amount):
            raise MoneyError(f"{amount} has digits below the cent; round before storing")
        return int(amount.scaleb(2))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-2).quantize(CENT)
