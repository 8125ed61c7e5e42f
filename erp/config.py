"""One settings object for the whole ERP, read from ``VALEO_*`` variables and ``.env``."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from erp.faults import parse_faults

# Values that appear in tutorials and .env templates; refusing them outside development
# keeps a copied example from becoming a production secret.
WEAK_SECRETS = frozenset({"", "secret", "changeme", "change-me", "dev", "development", "valeo"})
MIN_SECRET_LENGTH = 32
# OWASP's floor for argon2id; only the test environment may go below it (speed).
ARGON2_MIN_MEMORY_KIB = 19_456
ARGON2_MIN_TIME_COST = 2


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Runtime configuration. Every field maps to ``VALEO_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="VALEO_", env_file=".env", extra="ignore")

    environment: Environment = Environment.development
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: an SQLite file under data_dir"
    )
    secret_key: str | None = Field(default=None, repr=False)
    log_level: str = "INFO"
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # Above OWASP's floor (19 MiB, t=2, p=1; ARGON2_MIN_*): ~80 ms of one core per login here.
    # RFC 9106's 64 MiB, t=3 cost ~210 ms, which under the declared load made the login the
    # slowest route (P95 800 ms: its hash shares the server's core with every other request)
    # and four logins a second enough to occupy a core. Stored hashes with other parameters
    # are re-hashed at their next login (erp.auth.passwords.Verification.new_hash).
    argon2_memory_kib: int = Field(default=32_768, ge=8)
    argon2_time_cost: int = Field(default=2, ge=1)
    cookie_secure: bool = False
    faults: str | None = Field(default=None, description="test only: see erp.faults")
    redis_url: str | None = Field(
        default=None, description="Redis for cached figures (shared by workers); else in-process"
    )
    cache_mb: int = Field(default=16, ge=1, description="in-process figure cache, in MB")
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one object per line (machines); text: for people"
    )
    commit: str | None = Field(
        default=None, description="the build's commit; default: read from the source checkout"
    )
    sentry_dsn: str | None = Field(
        default=None, repr=False, description="error tracking on when set (server and pages)"
    )
    sentry_browser_dsn: str | None = Field(
        default=None, repr=False, description="DSN for the pages' browser SDK; default sentry_dsn"
    )
    sentry_environment: str | None = Field(default=None, description="default: environment")
    sentry_release: str | None = Field(default=None, description="default: valeo@version+commit")
    sentry_sample_rate: float = Field(default=1.0, ge=0, le=1, description="share of errors sent")
    sentry_traces_sample_rate: float = Field(
        default=0.0, ge=0, le=1, description="share of requests traced (performance)"
    )

    @model_validator(mode="after")
    def _refuse_unsafe_outside_development(self) -> Self:
        key = self.secret_key
        weak = key is not None and (key.lower() in WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH)
        if weak and self.environment is not Environment.development:
            raise ValueError(
                f"VALEO_SECRET_KEY is a default or shorter than {MIN_SECRET_LENGTH} characters;"
                " refused outside development"
            )
        if self.faults and self.environment is not Environment.test:
            raise ValueError("VALEO_FAULTS is a test-only switch; refused outside test")
        if self.faults:
            parse_faults(self.faults)
        if self.environment is not Environment.test and (
            self.argon2_memory_kib < ARGON2_MIN_MEMORY_KIB
            or self.argon2_time_cost < ARGON2_MIN_TIME_COST
        ):
            raise ValueError("argon2 parameters below the OWASP minimum are only allowed in test")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'valeo.sqlite3').as_posix()}"

    @cached_property
    def effective_secret_key(self) -> str:
        """The configured secret, or one generated once and kept in ``data_dir``."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text(encoding="utf-8").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.touch(mode=0o600)
        key_file.write_text(key, encoding="utf-8")
        return key
