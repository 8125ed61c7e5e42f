"""The change log: who changed which record, when, and what."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from erp.db import Base
from erp.timeutil import utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(40))
    changes: Mapped[str] = mapped_column(Text, default="{}")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def record(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    action: str,
    user_id: int | None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Append one entry; part of the caller's transaction, so it exists iff the change does."""
    payload = {key: _plain(value) for key, value in (changes or {}).items()}
    session.add(
        AuditEntry(
            entity=entity,
            entity_id=entity_id,
            action=action,
            changes=json.dumps(payload, sort_keys=True, ensure_ascii=False),
            user_id=user_id,
        )
    )


def apply_changes(target: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Set attributes and return ``{field: [old, new]}`` for the ones that really changed."""
    changed: dict[str, Any] = {}
    for field, new in values.items():
        old = getattr(target, field)
        if old != new:
            setattr(target, field, new)
            changed[field] = [_plain(old), _plain(new)]
    return changed


def history(session: Session, *, entity: str, entity_id: int) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(session.scalars(stmt))
