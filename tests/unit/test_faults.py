"""The test-only fault switch."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from erp.app import create_app
from erp.faults import parse_faults
from tests.conftest import make_settings


def test_faults_are_refused_outside_the_test_environment(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="test-only"):
        make_settings(
            tmp_path,
            environment="production",
            faults="delay:/api:10",
            argon2_memory_kib=65536,
            argon2_time_cost=3,
        )
    with pytest.raises(ValidationError, match="test-only"):
        make_settings(
            tmp_path,
            environment="development",
            faults="delay:/api:10",
            argon2_memory_kib=65536,
            argon2_time_cost=3,
        )


@pytest.mark.parametrize("spec", ["slow:/api:5", "delay:api:5", "delay:/api:x", "error:/api:200"])
def test_malformed_fault_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        parse_faults(spec)


def test_error_fault_answers_the_status_on_matching_paths_only(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, faults="error:/api/v1/auth/me:503")
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/auth/me").status_code == 503
        assert client.get("/health/live").status_code == 200


def test_delay_fault_sleeps_the_declared_time(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr("erp.faults.asyncio.sleep", fake_sleep)
    settings = make_settings(tmp_path, database_url, faults="delay:/health:600")
    with TestClient(create_app(settings)) as client:
        assert client.get("/health/live").status_code == 200
        client.get("/api/v1/auth/me")
    assert slept == [0.6]
