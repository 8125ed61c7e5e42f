"""The load suite's database: a seeded SQLite template, built once per code state and copied.

Seeding thousands of customers through the services takes seconds; copying a file takes
milliseconds. The template's name carries a hash of the ERP's code and the volume, so a
change to models, migrations or the demo data builds a new one.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from pathlib import Path

from quality.config import QualityConfig
from quality.live_server import resolve


def code_fingerprint(root: Path, customers: int) -> str:
    digest = hashlib.sha256(f"customers={customers}".encode())
    for path in sorted((root / "erp").rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def template(config: QualityConfig, customers: int, cache: Path, log: Path) -> Path:
    """The template for ``customers`` volume customers, built when missing."""
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"load-{customers}-{code_fingerprint(config.root, customers)}.sqlite3"
    if target.exists():
        return target
    building = target.with_suffix(".building")
    for stale in (building, *cache.glob("load-*")):
        stale.unlink(missing_ok=True)  # one template at a time: old ones are dead weight
    prefix = config.app.env_prefix
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")},
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}DATABASE_URL": f"sqlite:///{building}",
        f"{prefix}DATA_DIR": str(cache),
    }
    with log.open("ab") as stream:
        subprocess.run(
            [*resolve(config.app.seed), "--customers", str(customers)],
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
