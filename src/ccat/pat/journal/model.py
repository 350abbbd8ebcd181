"""The journal's one model: the records of SPEC §5, as msgspec Structs.

The classes below are the single description of the journal document: `journal_codec`
decodes files strictly into them (types, enumerations, hex digits, no repository twice
in a run) and encodes them back in the same shape, key order included. Unknown keys
are ignored on reading, as a later version may add fields.

Records are immutable, except the two the rotation engine changes as it goes, and those
change only through their methods: a run (`put`, `finish`, `reopen`) and the document
(`start`). A target's progress is a new `TargetRecord` (`started`, `succeeded`,
`failed`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Annotated, Any, Final, Literal

import msgspec

from ccat.pat.stores import pair_label
from ccat.pat.times import iso

SCHEMA: Final = 1

TargetState = Literal["pending", "updated", "failed"]
RunState = Literal["running", "stopped", "interrupted", "completed"]
TokenKind = Literal["fine-grained", "classic", "other"]

_HEX_PATTERN = "^(?:[0-9a-fA-F]{2})+$"
HexDigits = Annotated[str, msgspec.Meta(pattern=_HEX_PATTERN)]


def new_run_id(now: datetime) -> str:
    """A run id that sorts by time and is unique enough: `20261125T190000Z-4f3a9c`."""
    return f"{iso(now).replace('-', '').replace(':', '')}-{secrets.token_hex(3)}"


def token_kind(token: str) -> TokenKind:
    """The kind of a GitHub token, from its prefix only (SPEC §4.2)."""
    if token.startswith("github_pat_"):
        return "fine-grained"
    if token.startswith("ghp_"):
        return "classic"
    return "other"


class _Record:
    """Mixed into every journal record: one way to see it as plain JSON values."""

    __slots__ = ()

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready dicts and lists, in the document's key order."""
        data = msgspec.to_builtins(self)
        assert isinstance(data, dict)
        return data


class Fingerprint(msgspec.Struct, _Record, frozen=True):
    """Salted SHA-256 of a token: recognises the same token on `--resume`, reveals nothing."""

    salt: HexDigits
    sha256: HexDigits

    @classmethod
    def of(cls, token: str, salt: bytes | None = None) -> Fingerprint:
        """Fingerprint `token` with `salt` (16 fresh random bytes when not given)."""
        salt = secrets.token_bytes(16) if salt is None else salt
        return cls(salt.hex(), hashlib.sha256(salt + token.encode("utf-8")).hexdigest())

    def matches(self, token: str) -> bool:
        """Whether `token` is the fingerprinted token (constant-time comparison)."""
        digest = hashlib.sha256(bytes.fromhex(self.salt) + token.encode("utf-8")).hexdigest()
        return hmac.compare_digest(digest, self.sha256)

    @property
    def short(self) -> str:
        """First 12 hex digits, for display."""
        return self.sha256[:12]


class TokenInfo(msgspec.Struct, _Record, frozen=True):
    """The new token as the journal knows it; `kind` is null in journals written before
    it was recorded."""

    fingerprint: Fingerprint
    login: str | None
    expires_at: str | None
    kind: TokenKind | None = None


class GraphFile(msgspec.Struct, _Record, frozen=True):
    """The dependency graph a run was planned from: its path and the SHA-256 of its bytes."""

    path: str
    sha256: str


class TargetRecord(msgspec.Struct, _Record, frozen=True):
    """One (repository, store) pair's progress in a run (SPEC §10). Each step of a write
    is a new record. `store` is `actions`, `dependabot` or `environment:NAME`; a
    journal written before stores existed has none, which reads as `actions`."""

    repository: str
    state: TargetState
    started_at: str | None
    finished_at: str | None
    http_status: int | None
    error: str | None
    store: str = "actions"

    @classmethod
    def pending(cls, repository: str, store: str = "actions") -> TargetRecord:
        """A target no write has been started for."""
        return cls(repository, "pending", None, None, None, None, store)

    @property
    def label(self) -> str:
        """`ccatobs/ops-db`, or `ccatobs/ops-db (dependabot)` for another store."""
        return pair_label(self.repository, self.store)

    @property
    def key(self) -> tuple[str, str]:
        """The pair, as GitHub compares names: in any case."""
        return self.repository.casefold(), self.store.casefold()

    def started(self, at: str) -> TargetRecord:
        """A write to it started at `at`; its outcome is not known yet."""
        return TargetRecord(self.repository, "pending", at, None, None, None, self.store)

    def succeeded(self, http_status: int, at: str) -> TargetRecord:
        """GitHub confirmed the write (`http_status` 201 or 204) at `at`."""
        return TargetRecord(
            self.repository, "updated", self.started_at, at, http_status, None, self.store
        )

    def failed(self, http_status: int | None, error: str, at: str) -> TargetRecord:
        """The write failed at `at` (`http_status` None when no answer came)."""
        return TargetRecord(
            self.repository, "failed", self.started_at, at, http_status, error, self.store
        )


class RotationRun(msgspec.Struct, _Record, dict=True, omit_defaults=True):
    """One rotation: its settings, the new token's fingerprint and every target's outcome.

    `selection` is the repositories `--repo` chose when the run started (its targets
    are then those, not the whole graph); absent (None) for a run of the whole graph,
    and in journals written before it was recorded. `stores` is the families of
    stores it writes (`--stores`); absent (None) in a journal written before stores
    existed, whose run wrote Actions only.
    The engine changes a run only through `put`, `finish` and `reopen`. Targets are
    found through an index by name (built when first needed, checked on every use), so
    that a run of 10,000 targets does not search its list for each of 20,000 saves.
    """

    run_id: str
    secret: str
    org: str
    api_url: str
    graph: GraphFile
    state: RunState
    started_at: str
    finished_at: str | None
    operator: str | None
    token: TokenInfo
    targets: list[TargetRecord]
    selection: list[str] | None = None
    stores: list[str] | None = None

    def __post_init__(self) -> None:
        _refuse_repeated_targets(self.targets)

    @property
    def store_families(self) -> list[str]:
        """The families of stores the run writes (`actions` alone before stores)."""
        return ["actions"] if self.stores is None else list(self.stores)

    def target(self, repository: str, store: str = "actions") -> TargetRecord | None:
        """The record for the pair (`org/name`, store), compared case-insensitively."""
        index = self._position(repository, store)
        return None if index is None else self.targets[index]

    def updated(self) -> list[str]:
        """Pairs recorded as updated, in target order, by their labels (a repository's
        name for its Actions copy)."""
        return [t.label for t in self.targets if t.state == "updated"]

    def not_updated(self) -> list[str]:
        """Pairs still pending or failed, in target order, by their labels."""
        return [t.label for t in self.targets if t.state != "updated"]

    def put(self, record: TargetRecord) -> None:
        """Replace the record of the pair of `record` (case-insensitive); KeyError if the
        run has no such target."""
        index = self._position(record.repository, record.store)
        if index is None:
            raise KeyError(f"{record.label} is not a target of run {self.run_id}")
        self.targets[index] = record

    def finish(self, state: RunState, at: str) -> None:
        """End the run in `state` at `at`."""
        self.state, self.finished_at = state, at

    def reopen(self, targets: list[TargetRecord]) -> None:
        """Take the run up again (`--resume`) over `targets`: running, not finished."""
        _refuse_repeated_targets(targets)
        self.targets, self.state, self.finished_at = targets, "running", None

    def _position(self, repository: str, store: str) -> int | None:
        # `targets` is a plain list that anyone may change: the index is trusted only for
        # the same list of the same length, and a position only once its name is checked;
        # anything else builds it again (one pass over the list).
        wanted = (repository.casefold(), store.casefold())
        index = self._index().get(wanted)
        if index is not None and self.targets[index].key != wanted:
            self.__dict__.pop("_by_name")
            index = self._index().get(wanted)
        return index

    def _index(self) -> dict[tuple[str, str], int]:
        cached = self.__dict__.get("_by_name")
        if cached is not None and cached[0] is self.targets and cached[1] == len(self.targets):
            index: dict[tuple[str, str], int] = cached[2]
            return index
        index = {target.key: i for i, target in enumerate(self.targets)}
        self.__dict__["_by_name"] = (self.targets, len(self.targets), index)
        return index


class RunSummary(msgspec.Struct, _Record, frozen=True):
    """A run the history no longer keeps in full: what it was, when, how it ended, and
    how many of its targets were updated or failed."""

    run_id: str
    secret: str
    org: str
    api_url: str
    state: RunState
    started_at: str
    finished_at: str | None
    operator: str | None
    token_login: str | None
    target_count: int
    updated_count: int
    failed_count: int

    @classmethod
    def of(cls, run: RotationRun) -> RunSummary:
        """The summary of `run`."""
        return cls(
            run.run_id,
            run.secret,
            run.org,
            run.api_url,
            run.state,
            run.started_at,
            run.finished_at,
            run.operator,
            run.token.login,
            len(run.targets),
            sum(1 for t in run.targets if t.state == "updated"),
            sum(1 for t in run.targets if t.state == "failed"),
        )


# How much history is kept in full (SPEC §5 "earlier runs are kept as history"): the last
# HISTORY_RUNS runs before the current one, fewer when together they hold more than
# HISTORY_TARGETS target records (the newest is always kept). Older runs are kept as a
# `RunSummary` each, the last OLDER_RUNS of them. A 10,000-repository run takes about
# 2.3 MB, so a journal stays under about 28 MB however many rotations it has seen.
HISTORY_RUNS: Final = 10
HISTORY_TARGETS: Final = 100_000
OLDER_RUNS: Final = 1_000


class Revocation(msgspec.Struct, _Record, frozen=True):
    """A token `ccat pat revoke` had GitHub revoke (SPEC §11): when, for which secret,
    organisation and API, the token's fingerprint (never the token), its login and kind
    when known, the run that had set it when the journal knew it (`run_id`), who
    revoked it (`operator`), and whether `--force` overrode copies not proven to hold
    the newest token (`forced`)."""

    revoked_at: str
    secret: str
    org: str
    api_url: str
    fingerprint: Fingerprint
    login: str | None
    kind: TokenKind | None
    run_id: str | None
    operator: str | None
    forced: bool = False


# Revocations the journal keeps (the newest): a record is a few hundred bytes.
REVOCATIONS: Final = 1_000


class JournalDocument(msgspec.Struct, _Record, kw_only=True):
    """The whole journal: the latest run (`current`, any state), earlier runs in full,
    oldest first, summaries of the runs before those, oldest first, and the tokens
    revoked, oldest first (journals written before revocations have none). The engine
    changes it only through `start` and `record_revocation`."""

    schema: int = SCHEMA
    current: RotationRun | None
    history: list[RotationRun]
    older_runs: list[RunSummary] = msgspec.field(default_factory=list)
    revocations: list[Revocation] = msgspec.field(default_factory=list)

    def record_revocation(self, revocation: Revocation) -> None:
        """Add a revocation (keeping the newest `REVOCATIONS`)."""
        self.revocations.append(revocation)
        del self.revocations[:-REVOCATIONS]

    @property
    def unfinished(self) -> RotationRun | None:
        """The run `--resume` would continue, if any."""
        if self.current is not None and self.current.state != "completed":
            return self.current
        return None

    def start(self, run: RotationRun) -> None:
        """Make `run` the current run; the previous one, if any, joins the history, and
        the history is kept within its bounds (`HISTORY_RUNS`, `HISTORY_TARGETS`): the
        oldest runs become summaries."""
        if self.current is not None:
            self.history.append(self.current)
        self.current = run
        targets = sum(len(old.targets) for old in self.history)
        while len(self.history) > HISTORY_RUNS or (
            len(self.history) > 1 and targets > HISTORY_TARGETS
        ):
            oldest = self.history.pop(0)
            targets -= len(oldest.targets)
            self.older_runs.append(RunSummary.of(oldest))
        del self.older_runs[:-OLDER_RUNS]


class TargetUpdate(msgspec.Struct, _Record, frozen=True):
    """One line of the update log beside the document: `target` is the new record of that
    repository in run `run_id`, on top of the document whose bytes hash to `document`;
    `number` counts the lines written on top of that document, from 1 (null in logs
    written before lines were numbered)."""

    document: HexDigits
    run_id: str
    target: TargetRecord
    number: int | None = None


class FoldLine(msgspec.Struct, _Record, frozen=True):
    """The update log's last line before a fold: every line above it is in the document
    whose bytes hash to `folded_into` (written before that document replaces the old
    one, so that lines a kill leaves behind are known to be in it)."""

    folded_into: HexDigits


def _refuse_repeated_targets(targets: list[TargetRecord]) -> None:
    # Raised inside decoding, msgspec adds where the run is; the message starts with the
    # field path below the run ("targets["), which `journal_codec` joins to it.
    seen: dict[tuple[str, str], int] = {}
    for index, target in enumerate(targets):
        first = seen.setdefault(target.key, index)
        if first != index:
            raise ValueError(
                f"targets[{index}].repository repeats {_quoted(target.label)} of "
                f"targets[{first}] (repository and environment names ignore case)"
            )


def _quoted(text: str) -> str:
    return msgspec.json.encode(text).decode("utf-8")


SeenState = Literal["running", "stopped", "interrupted", "crashed", "completed"]


def seen_state(stored: str, lock_held: bool) -> SeenState:
    """The state a person should see: `running` only while a live process holds the
    lock, `crashed` when the journal says running and nobody does."""
    if stored == "running":
        return "running" if lock_held else "crashed"
    if stored in ("stopped", "interrupted", "completed"):
        return stored  # type: ignore[return-value]
    raise ValueError(f"not a run state: {stored!r}")
