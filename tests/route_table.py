"""The app's route table at collection time, for tests generated from it."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fastapi.routing import RouteContext

from erp.app import create_app
from erp.deps import AccessRule
from erp.openapi import access_of
from erp.routes import endpoint_routes
from erp.web.security import CsrfChecked
from tests.conftest import make_settings


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    access: AccessRule | str | None
    is_api: bool
    has_body: bool
    checks_csrf: bool

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, object_id: int) -> str:
        return re.sub(r"\{[^}]+\}", str(object_id), self.path)


def _checks_csrf(route: RouteContext) -> bool:
    return any(dep.call is CsrfChecked.dependency for dep in route.dependant.dependencies)


def _endpoints() -> list[Endpoint]:
    app = create_app(make_settings(Path(tempfile.mkdtemp(prefix="valeo-routes-")), "sqlite://"))
    endpoints = []
    for route in endpoint_routes(app.routes):
        path = str(route.path_format)
        for method in sorted(route.methods or ()):
            endpoints.append(
                Endpoint(
                    method=method,
                    path=path,
                    access=access_of(route.dependant),
                    is_api=path.startswith("/api/"),
                    has_body=route.body_field is not None,
                    checks_csrf=_checks_csrf(route),
                )
            )
    return endpoints


ENDPOINTS = _endpoints()
PROTECTED = [e for e in ENDPOINTS if isinstance(e.access, AccessRule)]
