from pathlib import Path

from fastapi.testclient import TestClient

from erp import migrate
from erp.app import create_app
from tests.conftest import make_settings


def test_ready_is_503_while_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health/ready")
        assert client.get("/health/live").status_code == 200
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["dependencies"][0]["ok"] is False
    assert "nobody" not in response.text  # no connection details leak


def test_ready_is_503_until_migrations_reach_head(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    with TestClient(create_app(make_settings(tmp_path, url))) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert "head is" in response.json()["dependencies"][0]["detail"]
