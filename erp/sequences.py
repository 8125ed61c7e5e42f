"""Gapless number ranges (customer numbers, Debitor accounts, later document numbers).

A number is drawn inside the business transaction that uses it: the row is locked (FOR UPDATE
on PostgreSQL; SQLite's write transactions are already exclusive), so a rolled-back operation
gives its number back and concurrent operations never draw the same one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from erp.db import Base
from erp.errors import Conflict


class NumberRangeExhausted(Conflict):
    slug = "number-range-exhausted"


class NumberRange(Base):
    __tablename__ = "number_range"
    __table_args__ = (CheckConstraint("next_value <= last_value + 1", name="within_range"),)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_value: Mapped[int]
    last_value: Mapped[int]


def next_number(session: Session, name: str, *, first: int, last: int) -> int:
    """Draw the next number of range ``name`` (created on first use as ``first``..``last``)."""
    number_range = session.scalar(
        select(NumberRange).where(NumberRange.name == name).with_for_update()
    )
    if number_range is None:
        number_range = NumberRange(name=name, next_value=first, last_value=last)
        session.add(number_range)
    value = number_range.next_value
    if value > number_range.last_value:
        raise NumberRangeExhausted(f"number range {name} is exhausted at {number_range.last_value}")
    number_range.next_value = value + 1
    session.flush()
    return value


DOCUMENT_NUMBERS = (1, 99_999)


def document_number(session: Session, prefix: str, day: date) -> str:
    """A business document's number, gapless per kind and year: ``RE2026-00001``."""
    n = next_number(
        session, f"{prefix}-{day.year}", first=DOCUMENT_NUMBERS[0], last=DOCUMENT_NUMBERS[1]
    )
    return f"{prefix}{day.year}-{n:05d}"
