"""GitHub's documented rules that both sides of the wire follow: ccat (its inputs, its
request budget) and the emulator (`ccat.fakehub`), which must agree with each other and
with GitHub. Written once here; it imports nothing, so that the emulator does not load
the client to know them.

- An organisation's login: 1-39 letters, digits or single inner hyphens; a repository's
  name: 1-100 of A-Z a-z 0-9 . _ - (but not `.` or `..`).
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
_ORG_NAME = re.compile(r"(?=.{1,39}$)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_REPOSITORY_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
ORG_NAME_RULE: Final = (
    "1-39 letters, digits or single hyphens, not starting or ending with a hyphen"
)
REPOSITORY_NAME_RULE: Final = "1-100 characters of A-Z a-z 0-9 . _ - (not '.' or '..')"


def points_of(method: str) -> int:
    """What GitHub charges for a request: reads 1 point, anything that changes state 5."""
    return READ_POINTS if method.upper() in _READS else WRITE_POINTS


def is_org_name(name: str) -> bool:
    """Whether `name` is a well-formed GitHub organisation (or user) login."""
    return _ORG_NAME.fullmatch(name) is not None


def is_repository_name(name: str) -> bool:
    """Whether `name` is a well-formed GitHub repository name (without its owner)."""
    return _REPOSITORY_NAME.fullmatch(name) is not None and name not in {".", ".."}


def is_secret_name(name: str) -> bool:
    """Whether GitHub accepts `name` as a secret's name (any length: GitHub gives none)."""
    return _SECRET_NAME.fullmatch(name) is not None and not name.upper().startswith("GITHUB_")
