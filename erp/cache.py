"""A cache for read-mostly figures (reports): in-process, or Redis for several workers.

Nothing is ever invalidated: a figure is stored with the version of the data it was computed
from (e.g. the ledger's last posting numbers, see ``erp.fibu.reports``) and served only to a
caller that reads the same version. Read the version *before* computing: the figure is then at
least as new as its version, never older. One entry per figure and parameters (the newest
computation replaces it), so memory does not grow with the postings. Values are the JSON of a
pydantic model. Redis is an optimisation here, not a dependency: when it fails, the figure is
computed.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

import redis
from pydantic import BaseModel

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class FigureCache(Protocol):
    hits: int  # counted by ``remember`` (approximately: threads add without a lock)
    misses: int

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes) -> None: ...


class MemoryCache:
    """Least-recently-used entries of this process, at most ``max_bytes`` of values.

    Bounded by size, not count: a trial balance of 10,000 accounts is 2 MB of JSON, and
    every posting makes a new one.
    """

    def __init__(self, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()  # request threads share it

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            self.size += len(value) - (len(previous) if previous is not None else 0)
            self._entries[key] = value
            while self.size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.size -= len(evicted)


class RedisCache:
    """Entries in Redis, shared by every worker; each expires after ``ttl_seconds``."""

    def __init__(self, url: str, *, prefix: str = "valeo:figure:", ttl_seconds: int = 3600) -> None:
        # Short timeouts: a slow Redis must cost a request milliseconds, not seconds.
        self.client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self.prefix, self.ttl_seconds = prefix, ttl_seconds
        self.hits = self.misses = 0

    def get(self, key: str) -> bytes | None:
        try:
            value = self.client.get(self.prefix + key)
        except redis.RedisError as exc:
            log.warning("figure cache: Redis read failed (%s); computing", type(exc).__name__)
            value = None
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes) -> None:
        try:
            self.client.set(self.prefix + key, value, ex=self.ttl_seconds)
        except redis.RedisError as exc:
            log.warning("figure cache: Redis write failed (%s)", type(exc).__name__)


def build_cache(redis_url: str | None, max_mb: int) -> FigureCache:
    return RedisCache(redis_url) if redis_url else MemoryCache(max_mb * 1024 * 1024)


def remember(
    cache: FigureCache,
    model: type[M],
    key: tuple[Hashable, ...],
    version: str,
    compute: Callable[[], M],
) -> M:
    """The figure for ``key`` if it was cached at ``version``, else ``compute()``, stored."""
    computed: list[M] = []

    def compute_json() -> bytes:
        computed.append(compute())
        return computed[0].model_dump_json().encode()

    stored = remember_json(cache, model, key, version, compute_json)
    return computed[0] if computed else model.model_validate_json(stored)


def remember_json(
    cache: FigureCache,
    model: type[BaseModel],
    key: tuple[Hashable, ...],
    version: str,
    compute_json: Callable[[], bytes],
) -> bytes:
    """``remember`` for a caller that sends the figure on as JSON: a hit is returned as the
    stored bytes, never parsed and serialised again (a report of every account costs more to
    re-serialise than its version query)."""
    name = f"{model.__name__}:" + ":".join(str(part) for part in key)
    tag = version.encode() + b"\n"
    stored = cache.get(name)
    if stored is not None and stored.startswith(tag):
        cache.hits += 1
        return stored[len(tag) :]
    cache.misses += 1  # none, or computed at another version: not this caller's figure
    body = compute_json()
    cache.set(name, tag + body)
    return body
