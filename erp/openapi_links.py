"""OpenAPI links from a create operation to the operations on what it created."""

from __future__ import annotations

from typing import Any


def created(resource: str, id_param: str, **operations: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a 201 that links to ``operations`` (link name -> operationId)."""
    links = {
        name: {
            "operationId": operation_id,
            "parameters": {id_param: "$response.body#/id"},
            "description": f"{name} the {resource} just created",
        }
        for name, operation_id in operations.items()
    }
    return {
        201: {
            "description": f"The {resource} was created",
            "headers": {
                "Location": {
                    "required": True,
                    "description": f"URL of the new {resource}",
                    "schema": {"type": "string"},
                }
            },
            "links": links,
        }
    }


Responses = dict[int | str, dict[str, Any]]


def conflict(description: str) -> Responses:
    """``responses=`` declaring the 409 an operation answers, in words."""
    return {409: {"description": description}}


def with_link(
    responses: Responses,
    status: int,
    name: str,
    operation: str,
    **params: str,
) -> Responses:
    """``responses`` with one more OpenAPI link on ``status``: the next step of the flow."""
    entry = responses[status]
    entry["links"] = {
        **entry.get("links", {}),
        name: {"operationId": operation, "parameters": params},
    }
    return responses
