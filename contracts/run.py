"""``python -m contracts [--deep]``: fuzz the API of a live, seeded server once per role.

Each role's run uses its own bearer token, so declared 403s are exercised too. Results:
``<output>/<role>/junit.xml`` from Schemathesis, ``<output>/findings.json`` (operation,
check, message, curl reproduction) and the API-compatibility check against the committed
snapshot. Exit codes: 0 no failure, 1 failures or breaking changes, 2 could not run.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx

from contracts.compat import breaking_changes, load_snapshot
from quality.config import load
from quality.live_server import LiveServer, LiveServerError

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).parent / "schemathesis.toml"
DEMO_PASSWORD = "valeo-demo-2026"
# Admin last: its run may change other users' roles and states.
ROLES = ("warehouse", "accounting", "sales", "admin")
DEEP_EXAMPLES = 200
CURL = re.compile(r"curl -X .*")


def token(base_url: str, role: str) -> str:
    reply = httpx.post(
        f"{base_url}/api/v1/auth/login",
        timeout=30,
        json={"email": f"{role}@valeo.test", "password": DEMO_PASSWORD},
    )
    reply.raise_for_status()
    value: str = reply.json()["access_token"]
    return value


def fuzz(base_url: str, bearer: str, out: Path, deep: bool) -> int:
    shutil.rmtree(out, ignore_errors=True)  # reports carry timestamps: never read an old one
    out.mkdir(parents=True)
    st = Path(sys.executable).with_name("st")
    argv = [
        str(st),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/api/v1/openapi.json",
        "-H",
        f"Authorization: Bearer {bearer}",
        "--report",
        "junit",
        "--report-dir",
        str(out),
        "--no-color",
    ]
    if deep:
        argv += ["--max-examples", str(DEEP_EXAMPLES)]
    with (out / "schemathesis.log").open("w", encoding="utf-8") as log:
        return subprocess.call(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def findings(role: str, report_dir: Path) -> tuple[int, list[dict[str, str]]]:
    """(test cases, failures) from Schemathesis' JUnit report (named junit-<time>.xml)."""
    cases, found = 0, list[dict[str, str]]()
    for junit in sorted(report_dir.glob("junit*.xml")):
        more_cases, more_found = _read_junit(role, junit)
        cases, found = cases + more_cases, found + more_found
    return cases, found


def _read_junit(role: str, junit: Path) -> tuple[int, list[dict[str, str]]]:
    root = ET.parse(junit).getroot()  # noqa: S314  (our own tool's file)
    cases, found = 0, []
    for case in root.iter("testcase"):
        cases += 1
        for failure in [*case.findall("failure"), *case.findall("error")]:
            text = (failure.text or failure.get("message") or "").strip()
            curl = CURL.search(text)
            first = next(
                (
                    line.strip("- ").strip()
                    for line in text.splitlines()
                    if line.strip().startswith("- ST")
                ),
                text.splitlines()[0] if text else "",
            )
            found.append(
                {
                    "role": role,
                    "operation": case.get("name", "?"),
                    "check": first,
                    "message": text[:2000],
                    "curl": curl.group(0) if curl else "",
                }
            )
    return cases, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts")
    parser.add_argument(
        "--deep", action="store_true", help=f"{DEEP_EXAMPLES} examples per operation"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "latest" / "contracts")
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    summary: dict[str, object] = {"roles": {}, "findings": [], "breaking_changes": []}
    try:
        with LiveServer(load(ROOT), args.output / "server") as server:
            spec = httpx.get(f"{server.url}/api/v1/openapi.json", timeout=30).json()
            summary["operations"] = sum(len(ops) for ops in spec["paths"].values())
            summary["breaking_changes"] = breaking_changes(load_snapshot(), spec)
            # All tokens first: the fuzzer learns the demo e-mails from responses and then
            # (rightly) gets those accounts locked by the login throttle.
            tokens = {role: token(server.url, role) for role in ROLES}
            for role in ROLES:
                code = fuzz(server.url, tokens[role], args.output / role, args.deep)
                cases, found = findings(role, args.output / role)
                if code == 1 and not found:  # never let a report we cannot read pass
                    found = [
                        {
                            "role": role,
                            "operation": "?",
                            "check": "schemathesis failed",
                            "message": "exit code 1; see its log",
                            "curl": "",
                        }
                    ]
                summary["roles"][role] = {"exit_code": code, "operations_reported": cases}  # type: ignore[index]
                summary["findings"] += found  # type: ignore[operator]
                if code not in (0, 1):
                    raise RuntimeError(f"schemathesis ({role}) exited {code}; see its log")
    except (LiveServerError, RuntimeError, httpx.HTTPError) as exc:
        summary["error"] = str(exc)
        (args.output / "findings.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        print(f"contracts could not run: {exc}", file=sys.stderr)
        return 2
    (args.output / "findings.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    failures = len(summary["findings"]) + len(summary["breaking_changes"])  # type: ignore[arg-type]
    print(f"contracts: {summary['operations']} operations, {failures} failures", file=sys.stderr)
    return 1 if failures else 0
