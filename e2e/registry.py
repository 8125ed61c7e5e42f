"""The critical-path registry (critical_paths.toml) and the results of a run."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

REGISTRY = Path(__file__).parent / "critical_paths.toml"


@dataclass(frozen=True)
class CriticalPath:
    id: str
    title: str
    roles: tuple[str, ...]
    outcome: str


def load_registry(path: Path = REGISTRY) -> dict[str, CriticalPath]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    paths: dict[str, CriticalPath] = {}
    for entry in data.get("path", []):
        path_id = str(entry["id"])
        if path_id in paths:
            raise ValueError(f"critical path {path_id!r} is declared twice in {path}")
        paths[path_id] = CriticalPath(
            id=path_id,
            title=str(entry["title"]),
            roles=tuple(entry.get("roles", ())),
            outcome=str(entry["outcome"]),
        )
    return paths
