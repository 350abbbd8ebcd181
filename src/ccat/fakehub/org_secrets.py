"""Organisation secrets: who may use each, and which are shared with a repository.

Guarded by its own lock; nothing here knows about HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ccat.fakehub.records import StoredSecret
from ccat.fakehub.repository import Repository
from ccat.fakehub.timestamps import iso
from ccat.pat.github_rules import is_secret_name

Visibility = Literal["all", "private", "selected"]


@dataclass(frozen=True)
class OrgSecretWrite:
    """An organisation secret to create or replace, as a test (or the emulator's command
    line) asks for it: `selected` names the repositories (full names) a `selected`
    secret is shared with; times are epoch seconds, `updated_at` None meaning now and
    `created_at` None meaning kept (or `updated_at` for a new secret)."""

    org: str
    name: str
    value: str
    visibility: Visibility = "all"
    selected: tuple[str, ...] = ()
    updated_at: int | None = None
    created_at: int | None = None


@dataclass(frozen=True)
class OrgSecret:
    """An organisation secret: its value, who may use it, and its timestamps."""

    org: str
    name: str
    value: str
    visibility: Visibility
    selected: Sequence[Repository]
    created_at: int
    updated_at: int
    selected_names: frozenset[str]  # lower-case full names, for O(1) checks

    def shared_with(self, repository: Repository) -> bool:
        """Whether the repository may use it (every emulated repository is private)."""
        if repository.owner.lower() != self.org.lower():
            return False
        return self.visibility != "selected" or repository.full_name.lower() in self.selected_names

    def record(self) -> StoredSecret:
        """The secret as the test API shows it."""
        return StoredSecret(self.name, self.value, iso(self.created_at), iso(self.updated_at))


class OrgSecrets:
    """Every organisation's secrets, safe to use from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_org: dict[str, dict[str, OrgSecret]] = {}  # lower-case org -> NAME -> secret

    def has(self, org: str) -> bool:
        """Whether the organisation has (or had) a secret."""
        with self._lock:
            return org.lower() in self._by_org

    def put(self, write: OrgSecretWrite, selected: Sequence[Repository]) -> None:
        """Create or replace a secret, shared with the `selected` repositories (those
        `write.selected` names).

        ValueError for a bad name or visibility, or selected repositories with another
        visibility or of another owner.
        """
        if not is_secret_name(write.name):
            raise ValueError(f"not a secret name: {write.name!r}")
        if write.visibility not in ("all", "private", "selected"):
            raise ValueError(f"visibility is all, private or selected, not {write.visibility!r}")
        if selected and write.visibility != "selected":
            raise ValueError("selected repositories need visibility 'selected'")
        for repository in selected:
            if repository.owner.lower() != write.org.lower():
                raise ValueError(f"{repository.full_name} does not belong to {write.org}")
        updated = int(time.time()) if write.updated_at is None else write.updated_at
        names = frozenset(r.full_name.lower() for r in selected)
        name = write.name.upper()
        with self._lock:
            of_org = self._by_org.setdefault(write.org.lower(), {})
            existing = of_org.get(name)
            created = write.created_at
            if created is None:
                created = updated if existing is None else existing.created_at
            of_org[name] = OrgSecret(
                write.org,
                name,
                write.value,
                write.visibility,
                tuple(selected),
                created,
                updated,
                names,
            )

    def secret(self, org: str, name: str) -> OrgSecret | None:
        """The secret (both names matched case-insensitively), or None."""
        with self._lock:
            return self._by_org.get(org.lower(), {}).get(name.upper())

    def delete(self, org: str, name: str) -> bool:
        """Remove a secret; True when it existed."""
        with self._lock:
            return self._by_org.get(org.lower(), {}).pop(name.upper(), None) is not None

    def shared_with(self, repository: Repository) -> list[OrgSecret]:
        """The secrets of the repository's organisation it may use, ordered by name."""
        with self._lock:
            available = self._by_org.get(repository.owner.lower(), {})
            ordered = [available[key] for key in sorted(available)]
        return [secret for secret in ordered if secret.shared_with(repository)]
