"""What the emulated GitHub knows: repositories, their stores (Actions, Dependabot, one per
environment: keys and secrets) and workflow runs, and
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
from ccat.fakehub.repository import (
    ACTIONS,
    ENVIRONMENT,
    Environment,
    Repository,
    SecretBox,
    StoredValue,
    new_key,
)
from ccat.pat.github_rules import is_secret_name
from ccat.pat.stores import is_environment_name

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
        self._environment_ids = 0

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
            self._owners.add(full_name.split("/", 1)[0].lower())
            self._repositories[full_name.lower()] = Repository(
                full_name=full_name,
                id=1_000_000 + len(self._repositories),
                created_at=int(time.time()) - 86400,
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

    def _box(self, repository: Repository, store: str) -> SecretBox:
        box = repository.box(store)
        if box is None:
            raise KeyError(f"{repository.full_name} has no environment {store[12:]!r}")
        return box

    def public_key(self, full_name: str, store: str = ACTIONS) -> tuple[str, str]:
        """`(key_id, base64 public key)` of a repository's store; KeyError when unknown."""
        with self.lock:
            box = self._box(self._get(full_name), store)
            return box.key_id, box.public_key

    def rotate_public_key(self, full_name: str, store: str = ACTIONS) -> tuple[str, str]:
        """Give a store a new key pair (values sealed for the old one become invalid)."""
        with self.lock:
            box = self._box(self._get(full_name), store)
            box.key, box.key_id = new_key()
            return box.key_id, box.public_key

    # -- environments -------------------------------------------------------------------

    def add_environment(self, full_name: str, name: str) -> Environment:
        """Create a deployment environment (a no-op when one of that name, in any case,
        exists); returns it. ValueError for a name GitHub would refuse."""
        if not is_environment_name(name):
            raise ValueError(f"not an environment name: {name!r}")
        with self.lock:
            repository = self._get(full_name)
            found = repository.environments.get(name.lower())
            if found is None:
                found = Environment(
                    name, 2_000_000 + self._environment_ids, int(time.time()), SecretBox.new()
                )
                self._environment_ids += 1
                repository.environments[name.lower()] = found
            return found

    def environments(self, full_name: str) -> list[Environment]:
        """A repository's environments, ordered by name as GitHub lists them."""
        with self.lock:
            repository = self._get(full_name)
            return [repository.environments[k] for k in sorted(repository.environments)]

    def find_environment(self, repository: Repository, name: str) -> Environment | None:
        """The environment of that name (any case), or None."""
        with self.lock:
            return repository.environments.get(name.lower())

    # -- secrets ------------------------------------------------------------------------

    def set_plain(
        self,
        full_name: str,
        name: str,
        value: str,
        updated_at: int | None,
        created_at: int | None = None,
        store: str = ACTIONS,
    ) -> None:
        """Store a plaintext secret directly in `store` (an environment is created when
        it does not exist), as if written at `updated_at` (now when None) and first
        created at `created_at` (when None: kept, or `updated_at` for a new one)."""
        if store.startswith(ENVIRONMENT):
            self.add_environment(full_name, store[len(ENVIRONMENT) :])
        with self.lock:
            box = self._box(self._get(full_name), store)
            self._write(box, name, value, updated_at)
            if created_at is not None:
                box.secrets[name.upper()].created_at = created_at

    def set_workflow_runs(self, full_name: str, count: int) -> None:
        """How many workflow runs a repository has (their documents are made when asked)."""
        if count < 0:
            raise ValueError("a repository has 0 or more workflow runs")
        with self.lock:
            self._get(full_name).workflow_runs = count

    def put_sealed(
        self, full_name: str, name: str, encrypted_value: str, key_id: str, store: str = ACTIONS
    ) -> bool:
        """Decrypt and store a sealed value in `store`; True when the secret was created.

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
            box = self._box(self._get(full_name), store)
            key = box.key if key_id == box.key_id else None
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
            return self._write(box, name, value, None)

    def _write(self, box: SecretBox, name: str, value: str, at: int | None) -> bool:
        now = int(time.time()) if at is None else at
        existing = box.secrets.get(name.upper())
        if existing is None:
            box.secrets[name.upper()] = StoredValue(name.upper(), value, now, now)
            return True
        existing.value = value
        # Two writes within one second must not make updated_at go backwards.
        existing.updated_at = now if at is not None else max(now, existing.updated_at)
        return False

    def secret(self, full_name: str, name: str, store: str = ACTIONS) -> StoredSecret | None:
        """The stored secret (name matched case-insensitively), or None (also for an
        unknown repository or environment)."""
        with self.lock:
            repository = self._repositories.get(full_name.lower())
            box = None if repository is None else repository.box(store)
            stored = None if box is None else box.secrets.get(name.upper())
            return None if stored is None else stored.record()

    def secrets(self, full_name: str, store: str = ACTIONS) -> list[StoredSecret]:
        """Every secret of a repository's store, ordered by name as GitHub lists them."""
        with self.lock:
            box = self._box(self._get(full_name), store)
            return [box.secrets[k].record() for k in sorted(box.secrets)]

    def delete_secret(self, full_name: str, name: str, store: str = ACTIONS) -> bool:
        """Remove a secret; True when it existed."""
        with self.lock:
            box = self._box(self._get(full_name), store)
            return box.secrets.pop(name.upper(), None) is not None

    # -- organisations ------------------------------------------------------------------

    def repositories_of(self, org: str) -> list[Repository]:
        """The organisation's repositories, in the order added."""
        with self.lock:
            return [r for r in self._repositories.values() if r.owner.lower() == org.lower()]

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
