"""``python -m resilience``: see resilience.run."""

from resilience.run import main

raise SystemExit(main())
