"""What the emulated GitHub knows: repositories, their keys, secrets and workflow runs, and
(in `orgs`) the organisations' secrets.

The repositories are guarded by one lock (the organisation secrets by their own),
because handler threads and the test's own thread use them at the same time. Nothing
here knows about HTTP.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import time
from collections.abc import Iterable

from nacl.exceptions import CryptoError
from nacl.public import SealedBox

from ccat.fakehub.org_secrets import OrgSecrets, OrgSecretWrite
from ccat.fakehub.records import StoredSecret
from ccat.fakehub.repository import Repository, StoredValue, new_key
from ccat.pat.github_rules import is_secret_name

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
MAX_ENCRYPTED_VALUE = 48 * 1024


class SecretRejected(Exception):
    """A PUT the real GitHub would refuse with 422; the message is GitHub-style."""


class HubState:
    """The repositories and secrets of the emulated GitHub, safe to use from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._repositories: dict[str, Repository] = {}
        self._owners: set[str] = set()  # lower-case owners of the repositories
        self._revoked: set[str] = set()  # credentials POST /credentials/revoke was given
        self.orgs = OrgSecrets()

    # -- revoked credentials ------------------------------------------------------------

    def revoke(self, credentials: Iterable[str]) -> None:
        """Revoke these credentials: GitHub rejects them from now on."""
        with self.lock:
            self._revoked.update(credentials)

    def is_revoked(self, token: str | None) -> bool:
        """Whether `token` was revoked."""
        with self.lock:
            return token in self._revoked

    @property
    def revoked(self) -> frozenset[str]:
        """Every credential a revocation named (known or not)."""
        with self.lock:
            return frozenset(self._revoked)

    # -- repositories -------------------------------------------------------------------

    def add_repository(self, full_name: str) -> None:
        """Add `owner/repo` (a no-op when a repository of that name, in any case, exists)."""
        if not _REPOSITORY.match(full_name):
            raise ValueError(f"not an owner/repo name: {full_name!r}")
        with self.lock:
            if full_name.lower() in self._repositories:
                return
            key, key_id = new_key()
            self._owners.add(full_name.split("/", 1)[0].lower())
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

    def repositories(self) -> list[Repository]:
        """Every repository, in the order they were added."""
        with self.lock:
            return list(self._repositories.values())

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
            repository.key, repository.key_id = new_key()
            return repository.key_id, repository.public_key

    # -- secrets ------------------------------------------------------------------------

    def set_plain(
        self,
        full_name: str,
        name: str,
        value: str,
        updated_at: int | None,
        created_at: int | None = None,
    ) -> None:
        """Store a plaintext secret directly, as if written at `updated_at` (now when None)
        and first created at `created_at` (when None: kept, or `updated_at` for a new one)."""
        with self.lock:
            repository = self._get(full_name)
            self._write(repository, name, value, updated_at)
            if created_at is not None:
                repository.secrets[name.upper()].created_at = created_at

    def set_workflow_runs(self, full_name: str, count: int) -> None:
        """How many workflow runs a repository has (their documents are made when asked)."""
        if count < 0:
            raise ValueError("a repository has 0 or more workflow runs")
        with self.lock:
            self._get(full_name).workflow_runs = count

    def put_sealed(self, full_name: str, name: str, encrypted_value: str, key_id: str) -> bool:
        """Decrypt and store a sealed value; True when the secret was created.

        Raises SecretRejected with GitHub's kind of message when GitHub would answer 422.
        """
        if not is_secret_name(name):
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
            repository.secrets[name.upper()] = StoredValue(name.upper(), value, now, now)
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

    # -- organisations ------------------------------------------------------------------

    def has_org(self, org: str) -> bool:
        """Whether the organisation exists: it owns a repository or has a secret."""
        with self.lock:
            owns = org.lower() in self._owners
        return owns or self.orgs.has(org)

    def set_org_secret(self, write: OrgSecretWrite) -> None:
        """Create or replace an organisation secret shared as `write.visibility` says.

        KeyError for an unknown selected repository; ValueError as `OrgSecrets.put`.
        """
        with self.lock:
            chosen = [self._get(full_name) for full_name in write.selected]
        self.orgs.put(write, chosen)
