"""Logging set-up: one format, level from settings; request bodies are never logged."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_valeo", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._valeo = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
