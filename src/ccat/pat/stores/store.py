"""`Store`: one place a workflow run reads a secret from, with its endpoints and the
permission the operator credential needs there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

StoreKind = Literal["actions", "dependabot", "environment"]
ENVIRONMENT_PREFIX = "environment:"
# GitHub's limit on an environment's name.
MAX_ENVIRONMENT_NAME = 255


def is_environment_name(name: str) -> bool:
    """Whether `name` can be a deployment environment's: 1-255 printable characters
    (GitHub's limit), no space at either end. One rule for ccat and its emulator."""
    return 0 < len(name) <= MAX_ENVIRONMENT_NAME and name.isprintable() and name.strip() == name


@dataclass(frozen=True)
class Store:
    """Actions, Dependabot, or the deployment environment `environment` (its name as
    GitHub gives it) of a repository. Each has its own public key and endpoints."""

    kind: StoreKind
    environment: str | None = None

    def __post_init__(self) -> None:
        if (self.kind == "environment") != (self.environment is not None):
            raise ValueError("an environment store, and only one, names its environment")

    @classmethod
    def environment_named(cls, name: str) -> Store:
        """The store of the environment `name`."""
        return cls("environment", name)

    @classmethod
    def parse(cls, name: str) -> Store:
        """The store named `actions`, `dependabot` or `environment:NAME`; ValueError for
        anything else (an environment's name is 1-255 printable characters)."""
        if name in ("actions", "dependabot"):
            return cls(name)  # type: ignore[arg-type]
        if name.startswith(ENVIRONMENT_PREFIX):
            environment = name[len(ENVIRONMENT_PREFIX) :]
            if is_environment_name(environment):
                return cls.environment_named(environment)
        raise ValueError(f"not a store: {name!r} (actions, dependabot or environment:NAME)")

    @property
    def name(self) -> str:
        """`actions`, `dependabot` or `environment:NAME`: the name in every output."""
        if self.environment is not None:
            return ENVIRONMENT_PREFIX + self.environment
        return self.kind

    @property
    def order(self) -> tuple[int, str]:
        """Where the store comes in a repository's pairs: Actions, Dependabot, then
        environments by name (SPEC §10)."""
        rank = {"actions": 0, "dependabot": 1, "environment": 2}[self.kind]
        return rank, (self.environment or "").casefold()

    def secrets_path(self, repository: str) -> str:
        """The REST path of the store's secrets in `repository` (`owner/name`)."""
        if self.environment is not None:
            # GitHub asks for the name URL-encoded, a slash as %2F.
            return f"/repos/{repository}/environments/{quote(self.environment, safe='')}/secrets"
        return f"/repos/{repository}/{self.kind}/secrets"

    @property
    def permission(self) -> str:
        """The fine-grained permission (as `X-Accepted-GitHub-Permissions` names it) the
        operator credential needs to read the store; `write` to rotate."""
        return {"actions": "secrets", "dependabot": "dependabot_secrets"}.get(
            self.kind, "environments"
        )

    @property
    def title(self) -> str:
        """`Actions`, `Dependabot`, `environment production`: for sentences."""
        if self.environment is not None:
            return f"environment {self.environment}"
        return self.kind.capitalize()


ACTIONS = Store("actions")
DEPENDABOT = Store("dependabot")
