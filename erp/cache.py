"""A cache for read-mostly figures (reports): in-process, or Redis for several workers.

Entries are never invalidated: the caller puts the version of the data a figure was computed
from into its key (e.g. the ledger's last posting numbers, see ``erp.fibu.reports``), so a
change makes a new key and an old entry simply ages out. Read the version *before* computing:
the figure is then at least as new as its key, never older. Values are the JSON of a pydantic
model. Redis is an optimisation here, not a dependency: when it fails, the figure is computed.
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
    hits: int
    misses: int

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes) -> None: ...


class MemoryCache:
    """Least-recently-used entries of this process, at most ``max_entries``."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self.hits = self.misses = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()  # request threads share it

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def set(self, key: str, value: bytes) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


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
        if not isinstance(value, bytes):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def set(self, key: str, value: bytes) -> None:
        try:
            self.client.set(self.prefix + key, value, ex=self.ttl_seconds)
        except redis.RedisError as exc:
            log.warning("figure cache: Redis write failed (%s)", type(exc).__name__)


def build_cache(redis_url: str | None, max_entries: int) -> FigureCache:
    return RedisCache(redis_url) if redis_url else MemoryCache(max_entries)


def remember(
    cache: FigureCache, model: type[M], key: tuple[Hashable, ...], compute: Callable[[], M]
) -> M:
    """The cached figure for ``key``, else ``compute()`` stored under it."""
    text = f"{model.__name__}:" + ":".join(str(part) for part in key)
    stored = cache.get(text)
    if stored is not None:
        return model.model_validate_json(stored)
    figure = compute()
    cache.set(text, figure.model_dump_json().encode())
    return figure
