"""What a store holds of the secret in one repository (`Copy`), and a (repository,
store) pair a rotation writes (`Pair`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ccat.pat.stores.store import Store

CopyState = Literal["present", "missing", "error", "not checked"]


@dataclass(frozen=True)
class Copy:
    """The secret in one store of a repository: `present` with its `updated_at`,
    `missing` (only ever the Actions copy: elsewhere a copy is tracked where it
    exists), `error` when the store answered something else, `not checked` when the
    credential may not read the store (HTTP 403, `accepted_permissions` as GitHub said).

    `family_store` is set instead of `store` for a store that is not one place: the
    environments of a repository whose list could not be read."""

    store: Store | None
    state: CopyState
    updated_at: str | None = None
    error: str | None = None
    http_status: int | None = None
    accepted_permissions: str | None = None
    family: str | None = None  # `environments` when `store` is None

    @property
    def name(self) -> str:
        """The store's name in output (`environments` for the list itself)."""
        return self.store.name if self.store is not None else self.family or "?"


def pair_label(repository: str, store: str) -> str:
    """`ccatobs/ops-db` for its Actions copy, `ccatobs/ops-db (dependabot)` otherwise."""
    return repository if store == "actions" else f"{repository} ({store})"


@dataclass(frozen=True)
class Pair:
    """A (repository, store) a rotation writes; `key` identifies it in any case."""

    repository: str
    store: str = "actions"

    @property
    def key(self) -> tuple[str, str]:
        """Repository names and environment names ignore case on GitHub."""
        return self.repository.casefold(), self.store.casefold()

    @property
    def label(self) -> str:
        """How reports name the pair (see `pair_label`)."""
        return pair_label(self.repository, self.store)
