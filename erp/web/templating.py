"""Jinja2 rendering with what every page needs: the user, the navigation and CSRF."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from erp import __version__
from erp.auth.models import Role, User
from erp.deps import get_services
from erp.telemetry.sentry import browser_config
from erp.web.security import CSRF_FIELD, csrf_token, store_csrf_cookie

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def format_eur(amount: Decimal | None) -> str:
    """German notation: 1.234,50 €."""
    if amount is None:
        return ""
    text = f"{amount:,.2f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"{text} €"


templates.env.filters["eur"] = format_eur


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: frozenset[Role]  # empty: every signed-in user

    def visible_to(self, user: User) -> bool:
        return not self.roles or bool(user.roles & self.roles)


# The one list of top-level pages; each domain adds its entry here.
NAVIGATION: list[NavItem] = [
    NavItem("Dashboard", "/", frozenset()),
    NavItem("Customers", "/customers", frozenset({Role.admin, Role.sales, Role.accounting})),
    NavItem("Pipeline", "/pipeline", frozenset({Role.admin, Role.sales})),
    NavItem("Sales orders", "/sales-orders", frozenset({Role.admin, Role.sales, Role.warehouse})),
    NavItem("Invoices", "/invoices", frozenset({Role.admin, Role.accounting})),
    NavItem("Journal", "/fibu/journal", frozenset({Role.admin, Role.accounting})),
    NavItem("Reports", "/fibu/trial-balance", frozenset({Role.admin, Role.accounting})),
    NavItem("Stock", "/stock", frozenset({Role.admin, Role.warehouse})),
    NavItem("Purchase orders", "/purchase-orders", frozenset({Role.admin, Role.warehouse})),
    NavItem("Suppliers", "/suppliers", frozenset({Role.admin, Role.accounting})),
    NavItem("Incoming invoices", "/incoming-invoices", frozenset({Role.admin, Role.accounting})),
    NavItem("Users & roles", "/admin/users", frozenset({Role.admin})),
]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: User | None = None,
    status_code: int = 200,
) -> Response:
    services = get_services(request)
    page_context: dict[str, Any] = {
        "user": user,
        "nav": [item for item in NAVIGATION if user is not None and item.visible_to(user)],
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request, services),
        "version": __version__,
        "sentry": browser_config(services.settings),  # None: no browser SDK on the page
        "errors": {},
        "values": {},
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, page_context, status_code=status_code)
    store_csrf_cookie(request, response)
    if user is not None:
        # Signed-in pages never come back from a cache (back button after logout).
        response.headers["Cache-Control"] = "no-store"
    return response
