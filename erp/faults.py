"""A test-only fault switch, to prove that the quality gates bite.

``VALEO_FAULTS="delay:/api/v1/customers:600,error:/api/v1/pipeline:503"`` delays (ms) or
fails (HTTP status) requests whose path starts with the given prefix. Settings refuse it
outside the ``test`` environment, so a production app can never start with a fault on.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

KINDS = ("delay", "error")


@dataclass(frozen=True)
class Fault:
    kind: str
    path_prefix: str
    value: int  # milliseconds for delay, HTTP status for error


def parse_faults(spec: str) -> list[Fault]:
    faults = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        kind, _, rest = item.partition(":")
        path, _, value = rest.rpartition(":")
        if kind not in KINDS or not path.startswith("/") or not value.isdigit():
            raise ValueError(f"fault {item!r} is not kind:/path:number with kind in {KINDS}")
        if kind == "error" and not 400 <= int(value) <= 599:
            raise ValueError(f"fault {item!r}: an error status must be 400–599")
        faults.append(Fault(kind, path, int(value)))
    return faults


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: list[Fault]) -> None:
        self.app, self.faults = app, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for fault in self.faults:
                if not scope["path"].startswith(fault.path_prefix):
                    continue
                if fault.kind == "delay":
                    await asyncio.sleep(fault.value / 1000)
                else:
                    body = json.dumps({"title": "Injected fault", "status": fault.value}).encode()
                    await send(
                        {
                            "type": "http.response.start",
                            "status": fault.value,
                            "headers": [(b"content-type", b"application/problem+json")],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)
