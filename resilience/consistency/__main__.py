"""``python -m resilience.consistency URL``: the report as JSON; exit 0 when it holds, 1 on a
violation, 2 on a wrong call.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from resilience.consistency import check


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m resilience.consistency URL``: the report as JSON; 1 on a violation."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write("usage: python -m resilience.consistency DATABASE_URL\n")
        return 2
    report = check(args[0])
    sys.stdout.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
