from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from erp.config import Environment, Settings


def build(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize("environment", [Environment.production, Environment.test])
@pytest.mark.parametrize("secret", ["changeme", "secret", "short-but-not-default"])
def test_weak_secret_is_refused_outside_development(environment: Environment, secret: str) -> None:
    with pytest.raises(ValidationError, match="refused outside development"):
        build(environment=environment, secret_key=secret)


def test_weak_secret_is_tolerated_in_development() -> None:
    assert (
        build(environment=Environment.development, secret_key="dev").effective_secret_key == "dev"
    )


def test_missing_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = build(data_dir=tmp_path).effective_secret_key
    second = build(data_dir=tmp_path).effective_secret_key
    assert first == second
    assert len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_cheap_password_hashing_is_only_allowed_in_test() -> None:
    with pytest.raises(ValidationError, match="OWASP"):
        build(environment=Environment.production, secret_key="x" * 40, argon2_memory_kib=1024)
    assert build(environment=Environment.test, argon2_memory_kib=1024).argon2_memory_kib == 1024


def test_default_database_is_sqlite_under_data_dir(tmp_path: Path) -> None:
    settings = build(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/valeo.sqlite3"
    assert settings.is_sqlite


def test_environment_variables_configure_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VALEO_DATABASE_URL", "postgresql://u@127.0.0.1/x")
    monkeypatch.setenv("VALEO_ENVIRONMENT", "test")
    settings = Settings(_env_file=None)
    assert settings.environment is Environment.test
    assert not settings.is_sqlite
