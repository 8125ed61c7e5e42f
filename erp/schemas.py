"""Shared API types: strict request models, money, dates, e-mail, ids and pages.

Request models are strict (no ``false`` for a number, no ``"12"`` for an int) and refuse
unknown fields. FastAPI validates bodies in pydantic's python mode, where strict would also
refuse ISO date strings and decimal strings, so those types parse their strings themselves
and publish the exact pattern they accept.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from fastapi import Path, Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

from erp.money import to_decimal

MAX_ID = 2**31 - 1
MONEY_PATTERN = (
    r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$"  # not negative; signed amounts get their own type
)
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Special-use TLDs are allowed: they are syntactically valid and used in tests.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}$"
)


class StrictModel(BaseModel):
    """Base for request bodies: exactly what the schema says, nothing silently changed.

    Strings are not stripped: a stripped value can break the published limits (a 101-character
    city with a leading "\r" passed maxLength 100, a password of spaces became empty — found by
    Schemathesis). Pages strip their form fields; "not blank" is a published pattern.
    """

    model_config = ConfigDict(strict=True, extra="forbid")


def _drop_nulls_from_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    clearable: frozenset[str] = getattr(model, "clearable", frozenset())
    schema["minProperties"] = 1  # an update that changes nothing is a mistake (422)
    for name, prop in schema.get("properties", {}).items():
        prop.pop("default", None)
        if name in clearable:
            continue
        variants = prop.get("anyOf")
        if variants:
            kept = [v for v in variants if v.get("type") != "null"]
            prop.pop("anyOf")
            prop.update(kept[0] if len(kept) == 1 else {"anyOf": kept})


class PatchModel(StrictModel):
    """Base for partial updates: every field optional; only ``clearable`` ones take null.

    Apply ``changes()``: the fields the caller sent, nothing else.
    """

    model_config = ConfigDict(json_schema_extra=_drop_nulls_from_schema)
    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _refuse_null(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data:
            raise ValueError("send at least one field to change")
        if isinstance(data, dict):
            nulls = sorted(str(k) for k, v in data.items() if v is None and k not in cls.clearable)
            if nulls:
                raise ValueError(f"fields cannot be null: {', '.join(nulls)}")
        return data

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class ReadModel(BaseModel):
    """Base for response bodies, built from ORM objects or rows."""

    model_config = ConfigDict(from_attributes=True)


def _parse_money(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str) or not re.fullmatch(MONEY_PATTERN, value):
        raise ValueError("money must be a string with two decimals, e.g. '1234.50'")
    return to_decimal(value)


def _parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(DATE_PATTERN, value):
        raise ValueError("date must be a string YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a calendar date: {value}") from exc


def _check_email(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 254 or not re.fullmatch(EMAIL_PATTERN, value):
        raise ValueError("not an e-mail address")
    return value.lower()


def _json_integer(value: Any) -> Any:
    # JSON has one number type and JSON Schema counts 3.0 as an integer; 3.5 stays refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Put it after any Field(ge=…, le=…) in the same Annotated: placed before, pydantic publishes
# the bounds as raw "ge"/"le" keys instead of minimum/maximum (found by Schemathesis).
JSON_INTEGER = BeforeValidator(_json_integer)
Money = Annotated[
    Decimal,
    PlainValidator(_parse_money),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["1234.50"]}),
]
# Sums (reports, summaries) are not bounded by the per-record limit of Money.
MONEY_TOTAL_PATTERN = r"^-?(0|[1-9][0-9]*)\.[0-9]{2}$"
MoneyTotal = Annotated[
    Decimal,
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_TOTAL_PATTERN, "examples": ["1234567.50"]}),
]
IsoDate = Annotated[
    date,
    BeforeValidator(_parse_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
Email = Annotated[
    str,
    PlainValidator(_check_email),
    WithJsonSchema({"type": "string", "pattern": EMAIL_PATTERN, "maxLength": 254}),
]
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total number of matching records."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


async def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Records to skip")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)
