"""A local stand-in for Sentry's ingest: receives the real SDKs' envelopes over HTTP.

``with SentryReceiver() as receiver:`` listens on a free 127.0.0.1 port; ``receiver.dsn``
points an SDK (Python or browser) at it. It accepts ``POST /api/<project>/envelope/``,
undoes ``Content-Encoding`` (gzip, deflate, br when the ``brotli`` module is installed),
parses the envelope and keeps every item. It answers CORS, because the browser SDK posts
from the page's origin to another port.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar

PUBLIC_KEY = "valeotestpublickey"
PROJECT = "42"


class EnvelopeError(ValueError):
    """The body is not a well-formed envelope."""


@dataclass(frozen=True)
class Item:
    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        return str(self.headers.get("type", ""))

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass(frozen=True)
class Envelope:
    project: str
    request_headers: dict[str, str]
    raw: bytes  # the decoded body, for "does this secret appear anywhere?"
    headers: dict[str, Any]
    items: list[Item] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        """Error events (item type ``event``), parsed."""
        return [item.json() for item in self.items if item.type == "event"]


def decode_body(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "br":
        try:
            import brotli  # type: ignore[import-not-found]  # optional: locust's venv has it
        except ImportError as exc:
            raise EnvelopeError("brotli body but the brotli module is not installed") from exc
        decoded: bytes = brotli.decompress(body)
        return decoded
    raise EnvelopeError(f"unknown Content-Encoding {encoding!r}")


def parse_envelope(data: bytes) -> tuple[dict[str, Any], list[Item]]:
    """Header line, then (item header line, payload) pairs; a payload's ``length`` is in
    bytes and may be absent (then the payload runs to the end of its line)."""
    header_line, _, rest = data.partition(b"\n")
    try:
        headers = json.loads(header_line) if header_line.strip() else {}
    except ValueError as exc:
        raise EnvelopeError("envelope header is not JSON") from exc
    items: list[Item] = []
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        if not item_line.strip():
            continue
        try:
            item_headers = json.loads(item_line)
        except ValueError as exc:
            raise EnvelopeError("item header is not JSON") from exc
        length = item_headers.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            if len(rest) < length:
                raise EnvelopeError("item payload shorter than its length")
            payload, rest = rest[:length], rest[length:]
            rest = rest.removeprefix(b"\n")
        items.append(Item(item_headers, payload))
    return headers, items


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    CORS: ClassVar[dict[str, str]] = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "*",
        "Access-Control-Max-Age": "600",
    }

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in self.CORS.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_OPTIONS(self) -> None:  # CORS preflight
        self._answer(204)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) != 3 or parts[0] != "api" or parts[2] != "envelope":
            self._answer(404, b'{"detail":"not an envelope endpoint"}')
            return
        try:
            data = decode_body(body, self.headers.get("Content-Encoding", ""))
            headers, items = parse_envelope(data)
        except (EnvelopeError, OSError, zlib.error) as exc:
            self.server.receiver.errors.append(str(exc))
            self._answer(400, json.dumps({"detail": str(exc)}).encode())
            return
        envelope = Envelope(parts[1], dict(self.headers.items()), data, headers, items)
        self.server.receiver.add(envelope)
        self._answer(200, json.dumps({"id": headers.get("event_id")}).encode())

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests look at what arrived, not at an access log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: SentryReceiver


class SentryReceiver:
    """The envelopes that arrived, in order; thread-safe."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.errors: list[str] = []
        self._changed = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        port: int = self._server.server_address[1]
        return port

    @property
    def dsn(self) -> str:
        return f"http://{PUBLIC_KEY}@127.0.0.1:{self.port}/{PROJECT}"

    def add(self, envelope: Envelope) -> None:
        with self._changed:
            self.envelopes.append(envelope)
            self._changed.notify_all()

    def events(self) -> list[dict[str, Any]]:
        with self._changed:
            return [event for envelope in self.envelopes for event in envelope.events()]

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first event (received so far or within ``timeout`` s) that ``predicate`` admits."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for envelope in self.envelopes:
                    for event in envelope.events():
                        if predicate(event):
                            return event
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [e.get("exception", e.get("message")) for e in self.events()]
                    raise TimeoutError(
                        f"no matching event within {timeout:g} s; received: {seen!r}; "
                        f"errors: {self.errors!r}"
                    )
                self._changed.wait(left)

    def start(self) -> SentryReceiver:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sentry-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> SentryReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
