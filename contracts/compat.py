"""API compatibility against the committed snapshot ``contracts/openapi.json``.

Breaking: a removed operation, a removed or retyped response field, a new required request
field. Update the snapshot deliberately with ``python -m contracts.compat --update``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).parent / "openapi.json"
METHODS = ("get", "put", "post", "patch", "delete")


def load_snapshot(path: Path = SNAPSHOT) -> dict[str, Any]:
    if not path.exists():
        return {"paths": {}, "components": {"schemas": {}}}
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return _resolve(spec, spec["components"]["schemas"][ref.rsplit("/", 1)[-1]])
    return schema


def _kind(spec: dict[str, Any], schema: dict[str, Any]) -> str:
    resolved = _resolve(spec, schema)
    variants = resolved.get("anyOf") or resolved.get("oneOf")
    if variants:
        return "|".join(sorted(_kind(spec, v) for v in variants))
    return str(resolved.get("type", "object" if "properties" in resolved else "any"))


def _fields(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, str]:
    resolved = _resolve(spec, schema)
    return {name: _kind(spec, prop) for name, prop in resolved.get("properties", {}).items()}


def _operations(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{m.upper()} {p}": op
        for p, ops in spec.get("paths", {}).items()
        for m, op in ops.items()
        if m in METHODS
    }


def _json_schema(content: dict[str, Any] | None) -> dict[str, Any] | None:
    media = (content or {}).get("application/json")
    return media.get("schema") if media else None


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    old_ops, new_ops = _operations(old), _operations(new)
    for name, old_op in old_ops.items():
        new_op = new_ops.get(name)
        if new_op is None:
            changes.append(f"{name}: operation removed")
            continue
        for status, response in old_op.get("responses", {}).items():
            old_schema = _json_schema(response.get("content"))
            new_schema = _json_schema(new_op.get("responses", {}).get(status, {}).get("content"))
            if old_schema is None:
                continue
            before = _fields(old, old_schema)
            after = _fields(new, new_schema) if new_schema else {}
            for field, kind in before.items():
                if field not in after:
                    changes.append(f"{name} {status}: response field {field!r} removed")
                elif after[field] != kind:
                    changes.append(
                        f"{name} {status}: response field {field!r} {kind} → {after[field]}"
                    )
        old_body = _json_schema(old_op.get("requestBody", {}).get("content"))
        new_body = _json_schema(new_op.get("requestBody", {}).get("content"))
        if new_body is not None:
            required_before = (
                set(_resolve(old, old_body).get("required", [])) if old_body else set()
            )
            for field in sorted(set(_resolve(new, new_body).get("required", [])) - required_before):
                changes.append(f"{name}: new required request field {field!r}")
    return changes


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.compat")
    parser.add_argument(
        "--update", action="store_true", help="write the current schema as the snapshot"
    )
    args = parser.parse_args()
    from erp.app import create_app

    current = create_app().openapi()
    if args.update:
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"snapshot written: {SNAPSHOT}")
        return 0
    changes = breaking_changes(load_snapshot(), current)
    for change in changes:
        print(change)
    return 1 if changes else 0


if __name__ == "__main__":
    raise SystemExit(main())
