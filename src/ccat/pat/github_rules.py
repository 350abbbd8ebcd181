"""GitHub's documented rules that both sides of the wire follow: ccat (its inputs, its
request budget) and the emulator (`ccat.fakehub`), which must agree with each other and
with GitHub. Written once here; it imports nothing, so that the emulator does not load
the client to know them.

- A secret name (GitHub's "Naming your secrets"): letters, digits and underscores,
  not starting with a digit or with `GITHUB_` (in any case); GitHub stores it upper case.
- A REST request's cost against the secondary rate limit: 1 point for a read (`GET`,
  `HEAD`, `OPTIONS`), 5 for a request that changes something; GitHub.com allows
  `POINTS_PER_MINUTE` points in a window of `POINTS_WINDOW` seconds.
"""

from __future__ import annotations

import re
from typing import Final

POINTS_PER_MINUTE: Final = 900
POINTS_WINDOW: Final = 60.0
READ_POINTS: Final = 1
WRITE_POINTS: Final = 5
_READS = frozenset({"GET", "HEAD", "OPTIONS"})

_SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def points_of(method: str) -> int:
    """What GitHub charges for a request: reads 1 point, anything that changes state 5."""
    return READ_POINTS if method.upper() in _READS else WRITE_POINTS


def is_secret_name(name: str) -> bool:
    """Whether GitHub accepts `name` as a secret's name (any length: GitHub gives none)."""
    return _SECRET_NAME.fullmatch(name) is not None and not name.upper().startswith("GITHUB_")
