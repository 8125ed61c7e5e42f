"""``python -m erp``: the command line."""

from erp.cli import main

raise SystemExit(main())
