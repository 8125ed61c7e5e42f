"""FIBU tax API: the UStVA report and the DATEV Buchungsstapel export (accounting, admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from erp.auth.models import Role, User
from erp.deps import Allow, DbSession
from erp.fibu import datev, ustva
from erp.fibu.tax_schemas import BatchDate, UStVARead
from erp.openapi_links import Responses, conflict

router = APIRouter(tags=["fibu"])
Accountant = Annotated[User, Depends(Allow(Role.admin, Role.accounting))]
Year = Annotated[int, Query(ge=ustva.MIN_YEAR, le=ustva.MAX_YEAR, description="Calendar year")]
Month = Annotated[int | None, Query(ge=1, le=12, description="Month; or give quarter")]
Quarter = Annotated[int | None, Query(ge=1, le=4, description="Quarter; or give month")]
DateFrom = Annotated[BatchDate, Query(description="First posting date of the batch")]
DateTo = Annotated[BatchDate, Query(description="Last posting date, same fiscal and calendar year")]

CSV_FILE: Responses = {
    200: {
        "description": "The Buchungsstapel as a CSV file (DATEV-Format EXTF 700, Windows-1252)",
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "headers": {
            "Content-Disposition": {
                "required": True,
                "description": "attachment; filename=EXTF_Buchungsstapel_<from>_<to>.csv",
                "schema": {"type": "string"},
            }
        },
    },
    422: {"description": "Invalid fields, date_from after date_to, or several fiscal years"},
    **conflict("The journal exceeds DATEV's limits (99,999 rows, ten-digit amounts)"),
}


@router.get(
    "/reports/ustva",
    responses={422: {"description": "Invalid fields, or not exactly one of month and quarter"}},
)
def get_ustva(
    _user: Accountant,
    db: DbSession,
    year: Year,
    month: Month = None,
    quarter: Quarter = None,
) -> UStVARead:
    """Umsatzsteuer-Voranmeldung of a month or a quarter: Kz 81 and 86 (whole euros) with
    their tax, Kz 66 (Vorsteuer) and Kz 83, by the Leistungsdatum of the posted entries; the
    booked output tax and its rounding difference per rate."""
    period = ustva.tax_period(year, month=month, quarter=quarter)
    return UStVARead.of(ustva.ustva(db, period))


@router.get("/exports/datev", response_class=Response, responses=CSV_FILE)
def export_datev(
    _user: Accountant, db: DbSession, date_from: DateFrom, date_to: DateTo
) -> Response:
    """DATEV Buchungsstapel (EXTF) of the entries posted in the range, one row per business
    posting with the tax folded into the Automatikkonten, for the tax advisor's import."""
    export = datev.export_buchungsstapel(db, date_from=date_from, date_to=date_to)
    return Response(
        content=export.content,
        media_type=datev.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )
