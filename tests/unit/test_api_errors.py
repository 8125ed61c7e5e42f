"""Every error is RFC 9457 problem+json, through the in-process app."""

from fastapi.testclient import TestClient

from erp.app import create_app
from erp.config import Settings
from erp.errors import PROBLEM_MEDIA_TYPE
from tests.conftest import Account


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    return body  # type: ignore[no-any-return]


def test_missing_token_is_401_with_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_bogus_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"})
    assert "invalid" in assert_problem(response, 401)["detail"]


def test_405_lists_every_method_of_the_path(client: TestClient, admin: Account) -> None:
    response = client.delete("/api/v1/users/1", headers=admin.headers)
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET"
    response = client.get("/api/v1/auth/login")
    assert response.headers["allow"] == "POST"


def test_unknown_path_is_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_validation_errors_name_fields_and_never_echo_input(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", json={"email": "x@firma.test", "password": 12345, "extra": "s3cret"}
    )
    body = assert_problem(response, 422)
    locations = {tuple(e["loc"]) for e in body["errors"]}
    assert locations == {("body", "password"), ("body", "extra")}
    assert "s3cret" not in response.text
    assert "12345" not in response.text


def test_malformed_json_is_a_problem(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login", content=b'{"email":', headers={"content-type": "application/json"}
    )
    assert response.status_code in {400, 422}
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


def test_unexpected_errors_are_500_problems_without_details(settings: Settings) -> None:
    app = create_app(settings)  # its own app: the route added here must not leak

    @app.get("/api/v1/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("database password is hunter2")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
    body = assert_problem(response, 500)
    assert "hunter2" not in response.text
    assert body["detail"] == "An unexpected error occurred."


def test_out_of_range_ids_are_422_not_500(client: TestClient, admin: Account) -> None:
    for bad in ["0", "-1", str(2**63), "abc"]:
        assert_problem(client.get(f"/api/v1/users/{bad}", headers=admin.headers), 422)
    assert_problem(client.get("/api/v1/users/4242", headers=admin.headers), 404)
