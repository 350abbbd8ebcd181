"""What the emulated GitHub knows: repositories, their keys and secrets, and the request log.

Everything here is guarded by one lock, because handler threads and the test's own
thread use it at the same time. Nothing here knows about HTTP.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from ccat.fakehub.records import StoredSecret

_SECRET_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
MAX_ENCRYPTED_VALUE = 48 * 1024


def iso(epoch: int) -> str:
    """ISO-8601 UTC with second resolution, as GitHub writes timestamps."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse_time(value: str | datetime) -> int:
    """Epoch seconds of an ISO-8601 string ("…Z" accepted) or an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return int(value.timestamp())


class SecretRejected(Exception):
    """A PUT the real GitHub would refuse with 422; the message is GitHub-style."""


@dataclass
class _Secret:
    name: str
    value: str
    created_at: int
    updated_at: int

    def record(self) -> StoredSecret:
        return StoredSecret(self.name, self.value, iso(self.created_at), iso(self.updated_at))


@dataclass
class Repository:
    """One repository: its canonical name, id, libsodium key pair and secrets."""

    full_name: str
    id: int
    created_at: int
    key: PrivateKey
    key_id: str
    secrets: dict[str, _Secret] = field(default_factory=dict)

    @property
    def public_key(self) -> str:
        """The base64 public key, as `GET …/secrets/public-key` returns it."""
        return base64.b64encode(bytes(self.key.public_key)).decode("ascii")


def _new_key() -> tuple[PrivateKey, str]:
    # GitHub's key ids are opaque decimal strings.
    return PrivateKey.generate(), str(10**17 + secrets.randbelow(9 * 10**17))


class HubState:
    """The repositories and secrets of the emulated GitHub, safe to use from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._repositories: dict[str, Repository] = {}

    # -- repositories -------------------------------------------------------------------

    def add_repository(self, full_name: str) -> None:
        """Add `owner/repo` (a no-op when a repository of that name, in any case, exists)."""
        if not _REPOSITORY.match(full_name):
            raise ValueError(f"not an owner/repo name: {full_name!r}")
        with self.lock:
            if full_name.lower() in self._repositories:
                return
            key, key_id = _new_key()
            self._repositories[full_name.lower()] = Repository(
                full_name=full_name,
                id=1_000_000 + len(self._repositories),
                created_at=int(time.time()) - 86400,
                key=key,
                key_id=key_id,
            )

    @property
    def repository_names(self) -> list[str]:
        """Canonical names of every repository, in the order they were added."""
        with self.lock:
            return [r.full_name for r in self._repositories.values()]

    def find(self, full_name: str) -> Repository | None:
        """The repository of that name, matched case-insensitively, or None."""
        with self.lock:
            return self._repositories.get(full_name.lower())

    def _get(self, full_name: str) -> Repository:
        repository = self._repositories.get(full_name.lower())
        if repository is None:
            raise KeyError(f"no repository {full_name!r} in the hub")
        return repository

    def public_key(self, full_name: str) -> tuple[str, str]:
        """`(key_id, base64 public key)` of a repository; KeyError when unknown."""
        with self.lock:
            repository = self._get(full_name)
            return repository.key_id, repository.public_key

    def rotate_public_key(self, full_name: str) -> tuple[str, str]:
        """Give a repository a new key pair (values sealed for the old one become invalid)."""
        with self.lock:
            repository = self._get(full_name)
            repository.key, repository.key_id = _new_key()
            return repository.key_id, repository.public_key

    # -- secrets ------------------------------------------------------------------------

    def set_plain(self, full_name: str, name: str, value: str, updated_at: int | None) -> None:
        """Store a plaintext secret directly, as if it had been written at `updated_at`."""
        with self.lock:
            self._write(self._get(full_name), name, value, updated_at)

    def put_sealed(self, full_name: str, name: str, encrypted_value: str, key_id: str) -> bool:
        """Decrypt and store a sealed value; True when the secret was created.

        Raises SecretRejected with GitHub's kind of message when GitHub would answer 422.
        """
        if not _SECRET_NAME.match(name.upper()) or name.upper().startswith("GITHUB_"):
            raise SecretRejected(
                "Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) "
                "or underscores (_), must not start with a number or GITHUB_."
            )
        if len(encrypted_value) > MAX_ENCRYPTED_VALUE:
            raise SecretRejected("Secret value is too large (the limit is 48 KB).")
        with self.lock:
            repository = self._get(full_name)
            key = repository.key if key_id == repository.key_id else None
        if key is None:
            raise SecretRejected(f"Bad request - key_id {key_id!r} does not match the public key.")
        try:
            # Decrypting outside the lock keeps concurrent writers from queueing on it.
            plain = SealedBox(key).decrypt(base64.b64decode(encrypted_value, validate=True))
            value = plain.decode("utf-8")
        except (binascii.Error, CryptoError, UnicodeDecodeError, ValueError) as exc:
            raise SecretRejected(
                "Bad request - encrypted_value is not a value sealed for this key."
            ) from exc
        with self.lock:
            return self._write(repository, name, value, None)

    def _write(self, repository: Repository, name: str, value: str, at: int | None) -> bool:
        now = int(time.time()) if at is None else at
        existing = repository.secrets.get(name.upper())
        if existing is None:
            repository.secrets[name.upper()] = _Secret(name.upper(), value, now, now)
            return True
        existing.value = value
        # Two writes within one second must not make updated_at go backwards.
        existing.updated_at = now if at is not None else max(now, existing.updated_at)
        return False

    def secret(self, full_name: str, name: str) -> StoredSecret | None:
        """The stored secret (name matched case-insensitively), or None."""
        with self.lock:
            repository = self._repositories.get(full_name.lower())
            if repository is None:
                return None
            stored = repository.secrets.get(name.upper())
            return None if stored is None else stored.record()

    def secrets(self, full_name: str) -> list[StoredSecret]:
        """Every secret of a repository, ordered by name as GitHub lists them."""
        with self.lock:
            repository = self._get(full_name)
            return [repository.secrets[k].record() for k in sorted(repository.secrets)]

    def delete_secret(self, full_name: str, name: str) -> bool:
        """Remove a secret; True when it existed."""
        with self.lock:
            return self._get(full_name).secrets.pop(name.upper(), None) is not None
