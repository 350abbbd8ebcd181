"""What a rotation is given and what it gives back: its options, the plan preflight
makes, and the outcome. Records only; the engine is `ccat.pat.rotation.engine`."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol

import anyio

from ccat.pat.graph import Graph
from ccat.pat.journal import Journal, RotationRun, TargetRecord, TokenKind
from ccat.pat.settings import DEFAULTS
from ccat.pat.stores import Pair, StoreSelection

# Types only: the client (httpx) is loaded where a connection is made, not by
# those who only read these records (`ccat pat journal`, the renderers).
if TYPE_CHECKING:
    from ccat.pat.github import GitHubClient, PublicKey, User


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PlanItem:
    """What the rotation does to one (repository, store) pair; `note` says why, when it
    is not obvious."""

    repository: str
    action: Literal["set", "skip"]
    note: str | None = None
    store: str = "actions"

    @property
    def pair(self) -> Pair:
        """The (repository, store) pair."""
        return Pair(self.repository, self.store)

    @property
    def label(self) -> str:
        """`ccatobs/ops-db`, or `ccatobs/ops-db (dependabot)`."""
        return self.pair.label


@dataclass(frozen=True)
class TokenCheck:
    """What preflight learnt of a token from `GET /user` (never the token itself)."""

    login: str
    expires_at: str | None
    kind: TokenKind
    # GitHub's expiry header as sent, when it could not be read: the expiry is unknown.
    expiry_unreadable: str | None = None

    @classmethod
    def of(cls, user: User, kind: TokenKind) -> TokenCheck:
        """From GitHub's answer and the token's kind (by its prefix)."""
        return cls(user.login, user.expires_at, kind, user.expiry_unreadable)


@dataclass(frozen=True)
class Preflight:
    """What preflight established: who the operator and the new token are, every key.

    `new_token` is None for a dry run without a token (nothing about it was checked).
    """

    operator: str
    new_token: TokenCheck | None
    # Each pair's public key, by `Pair.key` (names in any case).
    keys: Mapping[tuple[str, str], PublicKey]


@dataclass(frozen=True)
class Plan:
    """The rotation about to happen: each target's action and what preflight found."""

    items: tuple[PlanItem, ...]
    preflight: Preflight

    @property
    def to_set(self) -> tuple[str, ...]:
        """The pairs that will be written, in order, by their labels."""
        return tuple(item.label for item in self.items if item.action == "set")

    @property
    def pairs_to_set(self) -> tuple[Pair, ...]:
        """The pairs that will be written, in order."""
        return tuple(item.pair for item in self.items if item.action == "set")

    @property
    def repositories(self) -> int:
        """How many repositories the plan touches."""
        return len({item.repository.casefold() for item in self.items})


@dataclass(frozen=True)
class WriteFailure:
    """The write that stopped the run, with what to do about it."""

    record: TargetRecord
    hint: str | None


@dataclass(frozen=True)
class RotationOutcome:
    """The result of a rotation; `run` is None for a dry run or a declined plan.

    After the first write every way out has one, with `run` as known in memory (exact,
    even where the journal on disk lags): `journal_error` when the journal could not be
    written (`unjournaled`: the known outcomes it lacks), `interrupted` (the signal's
    name) when a signal stopped the writes, `error` for an error nobody expected.
    """

    plan: Plan
    run: RotationRun | None
    dry_run: bool = False
    declined: bool = False
    previous_unfinished: RotationRun | None = None
    dropped: tuple[str, ...] = ()
    failure: WriteFailure | None = None
    journal_error: str | None = None
    unjournaled: tuple[str, ...] = ()
    interrupted: str | None = None
    error: str | None = None

    selection: tuple[str, ...] | None = None

    @property
    def completed(self) -> bool:
        """Every target is updated and the journal says so."""
        return (
            self.run is not None
            and self.run.state == "completed"
            and self.journal_error is None
            and self.interrupted is None
            and self.error is None
        )

    @property
    def selection_updated(self) -> bool:
        """With `--repo`: every selected repository is updated, though the run may have
        other targets left (`rotate --resume --repo` finishing a part of a run)."""
        if self.run is None or self.selection is None or self.failure is not None:
            return False
        wanted = {repository.lower() for repository in self.selection}
        chosen = [t for t in self.run.targets if t.repository.lower() in wanted]
        return bool(chosen) and all(t.state == "updated" for t in chosen)


class RotateListener(Protocol):
    """Progress of a rotation (the CLI draws it on a terminal, and prints each write)."""

    def preflight_checked(self, done: int, total: int) -> None:
        """One more preflight check finished."""

    def write_started(self, repository: str, number: int, total: int) -> None:
        """Write `number` of `total` is about to be sent (its start is journaled);
        `repository` is the pair's label."""

    def write_finished(self, record: TargetRecord) -> None:
        """A write's outcome is durably journaled; safe to report."""


@dataclass(frozen=True)
class RotateOptions:
    """Everything a rotation needs; filled by the CLI, or by a test.

    `connect` opens the GitHub client (a factory: parsing can be tested without
    connecting). `operator_token` is only compared with the new token, never sent from
    here. `new_token` None is allowed for a dry run only.
    """

    connect: Callable[[], AbstractAsyncContextManager[GitHubClient]]
    journal: Journal
    graph: Graph
    secret: str
    api_url: str
    operator_token: str = field(repr=False)
    new_token: str | None = field(repr=False)
    operator_source: str = "the operator credential"
    concurrency: int = DEFAULTS.concurrency
    write_interval: float = DEFAULTS.write_interval
    resume: bool = False
    dry_run: bool = False
    # `--repo`: only these repositories (full names) are written; a new run's targets
    # are these, a resumed run keeps its others for later. None: the whole graph.
    selection: tuple[str, ...] | None = None
    # `--stores`: the families of stores written besides Actions (SPEC §10); a resumed
    # run keeps its own.
    stores: StoreSelection = field(default_factory=lambda: StoreSelection(("actions",)))
    listener: RotateListener | None = None
    clock: Callable[[], datetime] = _utc_now
    # The pacing's clock and sleep, like the transport's `Timing`: a test replaces both so
    # that the write interval is asserted in the clock's time, not waited for.
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep
