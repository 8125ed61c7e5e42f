"""The yardstick for ``python -m load.bench``: FastAPI's cheapest JSON endpoint.

It is served by the ERP's own ``serve`` command (erp.cli.cmd_serve) with only the application
swapped, so every uvicorn setting — event loop and HTTP parser, access log, log level, workers,
proxy headers — is the ERP's, now and after any change to it; the ratio ERP ÷ bare then
measures the ERP's own work, not a different server set-up.

``python -m load.bare --port 8001`` (the options of ``python -m erp serve``).
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
APP = "load.bare:create_app"


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get(PATH)
    async def hello() -> dict[str, str]:
        return {"message": "hello", "service": "bare"}

    return app


def main(argv: Sequence[str] | None = None) -> int:
    serve = uvicorn.run

    def serve_bare(_app: Any, **settings: Any) -> None:
        serve(APP, **{**settings, "factory": True})

    # --no-migrate: there is no database to migrate; the app factory is the only difference.
    with mock.patch.object(uvicorn, "run", serve_bare):
        return cli.main(["serve", "--no-migrate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
