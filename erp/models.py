"""Imports every domain's models so that Base.metadata knows all tables (Alembic, tests)."""

from erp import audit, sequences
from erp.auth import models as auth_models
from erp.crm import models as crm_models
from erp.fibu import models as fibu_models
from erp.purchasing import models as purchasing_models
from erp.sales import models as sales_models
from erp.stock import models as stock_models

__all__ = [
    "audit",
    "auth_models",
    "crm_models",
    "fibu_models",
    "purchasing_models",
    "sales_models",
    "sequences",
    "stock_models",
]
