"""One emulated repository: its name, id, and its secret stores — Actions, Dependabot and
one per deployment environment — each a `SecretBox` with its own libsodium key pair. Its
own module, so that the hub's state and the organisation secrets (which name
repositories) both use it without importing each other."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from nacl.public import PrivateKey

from ccat.fakehub.records import StoredSecret
from ccat.fakehub.timestamps import iso

ACTIONS = "actions"
DEPENDABOT = "dependabot"
ENVIRONMENT = "environment:"


@dataclass
class StoredValue:
    """A secret as the emulator keeps it: the decrypted value (so tests can check it) and
    its times (epoch seconds)."""

    name: str
    value: str
    created_at: int
    updated_at: int

    def record(self) -> StoredSecret:
        """The record tests read (times in ISO-8601)."""
        return StoredSecret(self.name, self.value, iso(self.created_at), iso(self.updated_at))


@dataclass
class SecretBox:
    """One store of secrets: its key pair (GitHub keeps one per store) and its secrets."""

    key: PrivateKey
    key_id: str
    secrets: dict[str, StoredValue] = field(default_factory=dict)

    @classmethod
    def new(cls) -> SecretBox:
        """An empty store with a fresh key pair."""
        key, key_id = new_key()
        return cls(key, key_id)

    @property
    def public_key(self) -> str:
        """The base64 public key, as `GET …/secrets/public-key` returns it."""
        return base64.b64encode(bytes(self.key.public_key)).decode("ascii")


@dataclass
class Environment:
    """A deployment environment: its name as created, id, time and secret store."""

    name: str
    id: int
    created_at: int
    box: SecretBox


@dataclass
class Repository:
    """One repository: its canonical name, id, stores and workflow runs."""

    full_name: str
    id: int
    created_at: int
    actions: SecretBox = field(default_factory=SecretBox.new)
    dependabot: SecretBox = field(default_factory=SecretBox.new)
    environments: dict[str, Environment] = field(default_factory=dict)  # lower-case name
    workflow_runs: int = 0

    @property
    def owner(self) -> str:
        """The owner (organisation) part of the full name."""
        return self.full_name.split("/", 1)[0]

    def box(self, store: str) -> SecretBox | None:
        """The store named `actions`, `dependabot` or `environment:NAME` (the name in any
        case), or None when there is no such environment."""
        if store == ACTIONS:
            return self.actions
        if store == DEPENDABOT:
            return self.dependabot
        if store.startswith(ENVIRONMENT):
            environment = self.environments.get(store[len(ENVIRONMENT) :].lower())
            return None if environment is None else environment.box
        raise ValueError(f"not a store: {store!r} (actions, dependabot or environment:NAME)")


def new_key() -> tuple[PrivateKey, str]:
    """A fresh libsodium key pair and a key id in GitHub's form."""
    # GitHub's key ids are opaque decimal strings.
    return PrivateKey.generate(), str(10**17 + secrets.randbelow(9 * 10**17))
