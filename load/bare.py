"""The yardstick for ``python -m load.bench``: FastAPI's cheapest JSON endpoint.

It is served by the ERP's own ``serve`` command (erp.cli.cmd_serve) with only the application
swapped, so every uvicorn setting — event loop and HTTP parser, access log, log level, workers,
proxy headers — is the ERP's, now and after any change to it; the ratio ERP ÷ bare then
measures the ERP's own work, not a different server set-up.

``python -m load.bare --port 8001`` (the options of ``python -m erp serve``).
``python -m load.bare --app erp-without-telemetry …`` serves the ERP itself without its
telemetry middleware (request ids and log lines, metrics): the yardstick for their overhead.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any
from unittest import mock

import uvicorn
from fastapi import FastAPI

from erp import cli

PATH = "/hello"
APPS = {"bare": "load.bare:create_app", "erp-without-telemetry": "load.bare:erp_without_telemetry"}


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get(PATH)
    async def hello() -> dict[str, str]:
        return {"message": "hello", "service": "bare"}

    return app


def erp_without_telemetry() -> FastAPI:
    """The ERP as ``erp.app.create_app`` builds it, less the telemetry middleware."""
    from erp.app import create_server_app as create_erp
    from erp.telemetry import TELEMETRY_MIDDLEWARE

    app = create_erp()
    kept = [m for m in app.user_middleware if m.cls not in TELEMETRY_MIDDLEWARE]
    if len(kept) != len(app.user_middleware) - len(TELEMETRY_MIDDLEWARE):
        raise RuntimeError("the ERP's telemetry middleware were not all found to remove")
    app.user_middleware[:] = kept
    return app


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    name = "bare"
    if args[:1] == ["--app"]:
        name, args = args[1], args[2:]
    serve = uvicorn.run

    def serve_swapped(_app: Any, **settings: Any) -> None:
        serve(APPS[name], **{**settings, "factory": True})

    # --no-migrate: the database (if any) is prepared; the app factory is the only difference.
    with mock.patch.object(uvicorn, "run", serve_swapped):
        return cli.main(["serve", "--no-migrate", *args])


if __name__ == "__main__":
    raise SystemExit(main())
