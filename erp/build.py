"""What is running: the package version and the commit it was built from."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from erp import __version__

SOURCE_ROOT = Path(__file__).resolve().parent.parent
_SHA = re.compile(r"[0-9a-f]{40}")


@cache
def source_commit(root: Path = SOURCE_ROOT) -> str | None:
    """The checked-out commit, read from ``.git`` without running git (None outside a checkout)."""
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if _SHA.fullmatch(head):
            return head
        ref = head.removeprefix("ref: ").strip()
        loose = git / ref
        if loose.is_file():
            return loose.read_text(encoding="utf-8").strip()
        for line in (git / "packed-refs").read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and _SHA.fullmatch(sha):
                return sha
    except OSError:
        return None
    return None


def build_commit(configured: str | None) -> str:
    """``VALEO_COMMIT`` when set (images without ``.git``), else the checkout's, else unknown."""
    return configured or source_commit() or "unknown"


def release(configured_commit: str | None) -> str:
    commit = build_commit(configured_commit)
    return f"valeo@{__version__}" + ("" if commit == "unknown" else f"+{commit[:12]}")


VERSION = __version__
