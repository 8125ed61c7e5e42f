"""Gapless number ranges (customer numbers, Debitor accounts, later document numbers).

A number is drawn inside the business transaction that uses it: the row is locked (FOR UPDATE
on PostgreSQL; SQLite's write transactions are already exclusive), so a rolled-back operation
gives its number back and concurrent operations never draw the same one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, String, bindparam, select, update
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


# Built once: the draw runs for every document, and a prebuilt statement skips SQLAlchemy's
# statement construction and cache-key work. One conditional UPDATE … RETURNING both locks the
# row and draws; "evaluate" keeps a NumberRange already in the session in step, as before.
_DRAW = (
    update(NumberRange)
    .where(NumberRange.name == bindparam("range"), NumberRange.next_value <= NumberRange.last_value)
    .values(next_value=NumberRange.next_value + 1)
    .returning(NumberRange.next_value)
    .execution_options(synchronize_session="evaluate")
)
# populate_existing: _DRAW does not refresh a NumberRange already in the session.
_RANGE = (
    select(NumberRange)
    .where(NumberRange.name == bindparam("range"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def next_number(session: Session, name: str, *, first: int, last: int) -> int:
    """Draw the next number of range ``name`` (created on first use as ``first``..``last``)."""
    drawn = session.execute(_DRAW, {"range": name}).scalar_one_or_none()
    if drawn is not None:
        return int(drawn) - 1
    # Not drawn: the range is new or exhausted (rare; the row lock as before).
    number_range = session.scalar(_RANGE, {"range": name})
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
