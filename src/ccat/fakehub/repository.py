"""One emulated repository: its name, id, libsodium key pair and stored secrets. Its own
module, so that the hub's state and the organisation secrets (which name repositories)
both use it without importing each other."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from nacl.public import PrivateKey

from ccat.fakehub.records import StoredSecret
from ccat.fakehub.timestamps import iso


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
class Repository:
    """One repository: its canonical name, id, libsodium key pair and secrets."""

    full_name: str
    id: int
    created_at: int
    key: PrivateKey
    key_id: str
    secrets: dict[str, StoredValue] = field(default_factory=dict)
    workflow_runs: int = 0

    @property
    def owner(self) -> str:
        """The owner (organisation) part of the full name."""
        return self.full_name.split("/", 1)[0]

    @property
    def public_key(self) -> str:
        """The base64 public key, as `GET …/secrets/public-key` returns it."""
        return base64.b64encode(bytes(self.key.public_key)).decode("ascii")


def new_key() -> tuple[PrivateKey, str]:
    """A fresh libsodium key pair and a key id in GitHub's form."""
    # GitHub's key ids are opaque decimal strings.
    return PrivateKey.generate(), str(10**17 + secrets.randbelow(9 * 10**17))
