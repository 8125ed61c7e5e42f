"""Models of the tax API: the UStVA report and the DATEV export's dates.

Amounts are ``MoneyTotal`` (signed strings with two decimals); the UStVA's bases are whole
euros, as the form takes them, and are published as integers.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from erp.fibu.ustva import UStVA
from erp.schemas import MoneyTotal, ReadModel

# DATEV takes dates of 2000–2099 only; the pattern says so, the parser checks the calendar.
BATCH_DATE_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _batch_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(BATCH_DATE_PATTERN, value):
        raise ValueError("date must be a string YYYY-MM-DD between 2000 and 2099")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a calendar date: {value}") from exc


BatchDate = Annotated[
    date,
    BeforeValidator(_batch_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": BATCH_DATE_PATTERN}),
]


class OutputTaxRead(ReadModel):
    """Output tax at one rate: the form's figures next to the booked tax."""

    kz: str = Field(description="Kennzahl of the net base: 81 (19 %) or 86 (7 %)")
    rate: int = Field(description="Tax rate in percent")
    base_exact: MoneyTotal = Field(description="Net base as booked, with cents")
    base: int = Field(description="The Kennzahl: the net base in whole euros, cents dropped")
    derived_tax: MoneyTotal = Field(description="base × rate, half-up to cents: declared")
    booked_tax: MoneyTotal = Field(description="Output tax booked on the tax account")
    rounding_difference: MoneyTotal = Field(description="booked_tax − derived_tax")


class UStVARead(ReadModel):
    """Umsatzsteuer-Voranmeldung of a month or a quarter (Sollversteuerung: by the
    Leistungsdatum of the posted entries)."""

    year: int
    month: int | None
    quarter: int | None
    date_from: date = Field(description="First day of the period")
    date_to: date = Field(description="Last day of the period")
    kz81: int = Field(description="Kz 81: revenue at 19 %, whole euros")
    kz81_tax: MoneyTotal = Field(description="Tax on Kz 81")
    kz86: int = Field(description="Kz 86: revenue at 7 %, whole euros")
    kz86_tax: MoneyTotal = Field(description="Tax on Kz 86")
    kz66: MoneyTotal = Field(description="Kz 66: deductible input tax (Vorsteuer)")
    kz83: MoneyTotal = Field(description="Kz 83: remaining payment; negative: a refund")
    output_tax: list[OutputTaxRead]

    @classmethod
    def of(cls, report: UStVA) -> UStVARead:
        period = report.period
        return cls(
            year=period.year,
            month=period.month,
            quarter=period.quarter,
            date_from=period.first_day,
            date_to=period.last_day,
            kz81=report.kz81,
            kz81_tax=report.kz81_tax,
            kz86=report.kz86,
            kz86_tax=report.kz86_tax,
            kz66=report.kz66,
            kz83=report.kz83,
            output_tax=[OutputTaxRead.model_validate(o) for o in report.output],
        )
