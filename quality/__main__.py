"""``python -m quality run [--only …] [--skip …]``."""

from quality.run import main

raise SystemExit(main())
