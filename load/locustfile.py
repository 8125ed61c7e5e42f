"""Locust entry point: ``locust -f load/locustfile.py`` (``python -m load`` runs it for you)."""

from load.personas.accountant import AccountantUser
from load.personas.admin import AdminUser
from load.personas.sales import SalesUser
from load.personas.warehouse import WarehouseUser
from load.personas.web import WebUser

__all__ = ["AccountantUser", "AdminUser", "SalesUser", "WarehouseUser", "WebUser"]
