"""Liveness and readiness for runners, supervisors and load balancers."""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel
from sqlalchemy import text

from erp import __version__
from erp.deps import ServicesDep, public
from erp.migrate import current_revision, head_revision

router = APIRouter(prefix="/health", tags=["health"], dependencies=[Depends(public)])
STARTED = time.monotonic()


class Dependency(BaseModel):
    name: str
    ok: bool
    detail: str


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    version: str
    uptime_seconds: float
    dependencies: list[Dependency] = []


@router.get("/live")
def live() -> Health:
    """The process is up and serving."""
    return Health(
        status="ok", version=__version__, uptime_seconds=round(time.monotonic() - STARTED, 3)
    )


@router.get("/ready", responses={503: {"model": Health, "description": "A dependency is down"}})
def ready(services: ServicesDep, response: Response) -> Health:
    """Database reachable and migrated to head."""
    engine = services.database.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = current_revision(engine), head_revision()
        database = Dependency(
            name="database",
            ok=current == head,
            detail="at head" if current == head else f"at {current}, head is {head}",
        )
    except Exception as exc:  # any failure means "not ready", reported without secrets
        database = Dependency(name="database", ok=False, detail=type(exc).__name__)
    status = "ok" if database.ok else "unavailable"
    if not database.ok:
        response.status_code = 503
    return Health(
        status=status,
        version=__version__,
        uptime_seconds=round(time.monotonic() - STARTED, 3),
        dependencies=[database],
    )
