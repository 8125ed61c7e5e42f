"""The API-compatibility check against the committed OpenAPI snapshot."""

import copy
import json
from pathlib import Path
from typing import Any

from contracts.compat import SNAPSHOT, breaking_changes, load_snapshot

BASE: dict[str, Any] = {
    "paths": {
        "/things/{id}": {
            "get": {
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    }
                }
            },
            "patch": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ThingUpdate"}}
                    }
                },
                "responses": {"200": {"description": "ok"}},
            },
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            },
            "ThingUpdate": {"type": "object", "properties": {"name": {"type": "string"}}},
        }
    },
}


def changed(mutate: Any) -> list[str]:
    new = copy.deepcopy(BASE)
    mutate(new)
    return breaking_changes(BASE, new)


def test_identical_schemas_have_no_breaking_change() -> None:
    assert breaking_changes(BASE, copy.deepcopy(BASE)) == []


def test_removed_operation_is_breaking() -> None:
    assert changed(lambda s: s["paths"]["/things/{id}"].pop("patch")) == [
        "PATCH /things/{id}: operation removed"
    ]


def test_removed_and_retyped_response_fields_are_breaking() -> None:
    def mutate(spec: dict[str, Any]) -> None:
        props = spec["components"]["schemas"]["Thing"]["properties"]
        props.pop("name")
        props["id"] = {"type": "string"}

    assert changed(mutate) == [
        "GET /things/{id} 200: response field 'id' integer → string",
        "GET /things/{id} 200: response field 'name' removed",
    ]


def test_new_required_request_field_is_breaking_new_optional_is_not() -> None:
    def optional(spec: dict[str, Any]) -> None:
        spec["components"]["schemas"]["ThingUpdate"]["properties"]["x"] = {"type": "string"}

    def required(spec: dict[str, Any]) -> None:
        optional(spec)
        spec["components"]["schemas"]["ThingUpdate"]["required"] = ["x"]

    assert changed(optional) == []
    assert changed(required) == ["PATCH /things/{id}: new required request field 'x'"]


def test_committed_snapshot_matches_the_app(tmp_path: Path) -> None:
    from erp.app import create_app
    from tests.conftest import make_settings

    current = create_app(make_settings(tmp_path, "sqlite://")).openapi()
    assert breaking_changes(load_snapshot(), current) == []
    assert json.loads(SNAPSHOT.read_text()) == json.loads(json.dumps(current)), (
        "contracts/openapi.json is stale: run `python -m contracts.compat --update` "
        "and review the diff"
    )
