"""The load suite's database: a seeded SQLite template, built once per code state and copied.

Seeding thousands of customers, articles and sales orders through the services takes a
minute; copying a file takes milliseconds. The template's name carries the volume and a hash
of the ERP's code and the volume, so a change to models, migrations or the demo data builds a
new one.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from quality.config import QualityConfig
from quality.live_server import resolve


@dataclass(frozen=True)
class Volume:
    """What ``seed-demo`` adds to the demo data: customers, stocked articles, sales orders."""

    customers: int = 0
    articles: int = 0
    orders: int = 0

    def seed_args(self) -> list[str]:
        return [
            *("--customers", str(self.customers)),
            *("--articles", str(self.articles)),
            *("--orders", str(self.orders)),
        ]

    @property
    def label(self) -> str:
        return f"{self.customers}c-{self.articles}a-{self.orders}o"


def code_fingerprint(root: Path, volume: Volume) -> str:
    digest = hashlib.sha256(
        f"customers={volume.customers} articles={volume.articles} orders={volume.orders}".encode()
    )
    for path in sorted((root / "erp").rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def template(config: QualityConfig, volume: Volume, cache: Path, log: Path) -> Path:
    """The template for ``volume``, built when missing."""
    cache.mkdir(parents=True, exist_ok=True)
    name = f"load-{volume.label}-{code_fingerprint(config.root, volume)}.sqlite3"
    target = cache / name
    if target.exists():
        return target
    building = target.with_suffix(f".building-{os.getpid()}")  # concurrent builders don't mix
    # One template per volume: an older code state's copy is dead weight. Other volumes stay
    # (a benchmark and a load run may use different ones at the same time).
    for stale in cache.glob(f"load-{volume.label}-*.sqlite3"):
        stale.unlink(missing_ok=True)
    prefix = config.app.env_prefix
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")},
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}DATABASE_URL": f"sqlite:///{building}",
        f"{prefix}DATA_DIR": str(cache),
    }
    with log.open("ab") as stream:
        subprocess.run(
            [*resolve(config.app.seed), *volume.seed_args()],
            cwd=config.root,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            check=True,
        )
    with sqlite3.connect(building) as connection:  # fold the WAL into the file itself
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    connection.close()
    building.rename(target)
    return target
