"""Imports every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

from erp.auth import models as auth_models

__all__ = ["auth_models"]
