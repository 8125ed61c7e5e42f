"""The garbage collector of a long-lived server process.

CPython's cyclic collector walks every tracked object on a full collection: after start-up
that is the whole import graph, the route table and SQLAlchemy's mappers (about 230,000
objects), a walk of ~0.2 s here that stopped every request — a dozen times a minute under the
declared load, 4 % of the server's CPU. ``settle`` moves what start-up built into the
permanent generation (``gc.freeze``: never walked again, never freed — it lives as long as the
process anyway) and lets the youngest generation grow before it is collected: a request
allocates a few thousand objects, most of them freed by reference counting alone.
"""

from __future__ import annotations

import gc

# (youngest, middle, oldest): collect the youngest after this many net allocations, the
# middle after so many youngest collections, the oldest after so many middle ones.
SERVER_THRESHOLDS = (20_000, 20, 20)


def settle() -> None:
    """Freeze what start-up built and raise the collection thresholds (servers only)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVER_THRESHOLDS)
