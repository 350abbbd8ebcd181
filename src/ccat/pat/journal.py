"""The crash-safe rotation journal: what was done to which repository, durably.

The journal is the operator's only exact record of a partly failed rotation, so it is
written atomically (temporary file, fsync, `os.replace`, fsync of the directory) and a
damaged one is an error, never an empty journal. One rotation at a time holds an
exclusive `flock` on a sibling `.lock` file. This module knows nothing of HTTP.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import hmac
import json
import os
import secrets
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ccat.pat.errors import JournalError, JournalLockedError
from ccat.pat.journal_schema import (
    DOCUMENT_SPEC,
    RUN_SPEC,
    TARGET_SPEC,
    RunState,
    TargetState,
    check,
    invalid,
    kind,
)

SCHEMA = 1


def default_journal_path(env: Mapping[str, str] | None = None) -> Path:
    """`CCAT_JOURNAL`, else `$XDG_STATE_HOME/ccat/pat-journal.json`, else `~/.local/state/…`."""
    env = os.environ if env is None else env
    if env.get("CCAT_JOURNAL"):
        return Path(env["CCAT_JOURNAL"]).expanduser()
    state_home = env.get("XDG_STATE_HOME", "")
    # The XDG spec says a relative value is invalid and must be ignored.
    if not os.path.isabs(state_home):
        home = env.get("HOME") or str(Path.home())
        state_home = os.path.join(home, ".local", "state")
    return Path(state_home) / "ccat" / "pat-journal.json"


def iso(dt: datetime) -> str:
    """`2026-11-25T19:00:00Z`: UTC, whole seconds. A naive datetime is refused (ambiguous)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("iso() needs a timezone-aware datetime, e.g. datetime.now(UTC)")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now_iso() -> str:
    """The current time as `iso()` writes it."""
    return iso(datetime.now(UTC))


def new_run_id(now: datetime) -> str:
    """A run id that sorts by time and is unique enough: `20261125T190000Z-4f3a9c`."""
    return f"{iso(now).replace('-', '').replace(':', '')}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Fingerprint:
    """Salted SHA-256 of a token: recognises the same token on `--resume`, reveals nothing."""

    salt: str
    sha256: str

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


@dataclass
class TokenInfo:
    """The new token as the journal knows it: fingerprint, login and expiry when known."""

    fingerprint: Fingerprint
    login: str | None
    expires_at: str | None


@dataclass
class TargetRecord:
    """One repository's progress in a run."""

    repository: str
    state: TargetState = "pending"
    started_at: str | None = None
    finished_at: str | None = None
    http_status: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The SPEC §5 shape of one target."""
        return {
            "repository": self.repository,
            "state": self.state,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "http_status": self.http_status,
            "error": self.error,
        }

    @classmethod
    def _from_checked(cls, data: dict[str, Any]) -> TargetRecord:
        return cls(**{key: data[key] for key in TARGET_SPEC})


@dataclass
class RotationRun:
    """One rotation: its settings, the new token's fingerprint and every target's outcome."""

    run_id: str
    secret: str
    org: str
    api_url: str
    graph_path: str
    graph_sha256: str
    state: RunState
    started_at: str
    finished_at: str | None
    operator: str | None
    token: TokenInfo
    targets: list[TargetRecord] = field(default_factory=list)

    def target(self, repository: str) -> TargetRecord | None:
        """The record for `repository` (`org/name`), compared case-insensitively."""
        wanted = repository.casefold()
        return next((t for t in self.targets if t.repository.casefold() == wanted), None)

    def updated(self) -> list[str]:
        """Repositories recorded as updated, in target order."""
        return [t.repository for t in self.targets if t.state == "updated"]

    def not_updated(self) -> list[str]:
        """Repositories still pending or failed, in target order."""
        return [t.repository for t in self.targets if t.state != "updated"]

    def to_json(self) -> dict[str, Any]:
        """The SPEC §5 shape of a run."""
        fingerprint = self.token.fingerprint
        return {
            "run_id": self.run_id,
            "secret": self.secret,
            "org": self.org,
            "api_url": self.api_url,
            "graph": {"path": self.graph_path, "sha256": self.graph_sha256},
            "state": self.state,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "operator": self.operator,
            "token": {
                "fingerprint": {"salt": fingerprint.salt, "sha256": fingerprint.sha256},
                "login": self.token.login,
                "expires_at": self.token.expires_at,
            },
            "targets": [t.to_json() for t in self.targets],
        }

    @classmethod
    def from_json(cls, data: object, *, path: Path | str) -> RotationRun:
        """Validate and read a run; anything malformed is a `JournalError` naming the field."""
        check(data, RUN_SPEC, "run", str(path))
        assert isinstance(data, dict)
        return cls._from_checked(data)

    @classmethod
    def _from_checked(cls, data: dict[str, Any]) -> RotationRun:
        token, fingerprint = data["token"], data["token"]["fingerprint"]
        return cls(
            run_id=data["run_id"],
            secret=data["secret"],
            org=data["org"],
            api_url=data["api_url"],
            graph_path=data["graph"]["path"],
            graph_sha256=data["graph"]["sha256"],
            state=data["state"],
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            operator=data["operator"],
            token=TokenInfo(
                Fingerprint(fingerprint["salt"], fingerprint["sha256"]),
                login=token["login"],
                expires_at=token["expires_at"],
            ),
            targets=[TargetRecord._from_checked(target) for target in data["targets"]],
        )


@dataclass
class JournalDocument:
    """The whole journal: the latest run (`current`, any state) and earlier runs, oldest first."""

    current: RotationRun | None
    history: list[RotationRun] = field(default_factory=list)

    @property
    def unfinished(self) -> RotationRun | None:
        """The run `--resume` would continue, if any."""
        if self.current is not None and self.current.state != "completed":
            return self.current
        return None

    def to_json(self) -> dict[str, Any]:
        """The SPEC §5 document."""
        return {
            "schema": SCHEMA,
            "current": None if self.current is None else self.current.to_json(),
            "history": [run.to_json() for run in self.history],
        }

    @classmethod
    def from_json(cls, data: object, *, path: Path | str) -> JournalDocument:
        """Validate and read a whole document; wrong shape or schema is a `JournalError`."""
        if not isinstance(data, dict):
            raise invalid(str(path), f"the top level should be an object, found {kind(data)}")
        # The version is checked before the shape: a newer ccat's journal deserves the
        # "unknown schema" message, not a complaint about some field.
        schema = data.get("schema")
        if schema != SCHEMA or isinstance(schema, bool):
            raise JournalError(
                f"journal {path} has schema version {kind(schema)}; this ccat reads version "
                f"{SCHEMA}. It was left untouched: use the ccat that wrote it, or move it aside "
                f"(mv {path} {path}.old) to start a new journal."
            )
        check(data, DOCUMENT_SPEC, "journal", str(path))
        current = data["current"]
        return cls(
            current=None if current is None else RotationRun._from_checked(current),
            history=[RotationRun._from_checked(run) for run in data["history"]],
        )


class Journal:
    """The journal file at `path`: load, atomic save, and the exclusive run lock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def lock_path(self) -> Path:
        """The sibling `<journal>.lock` file."""
        return self.path.with_name(self.path.name + ".lock")

    def exists(self) -> bool:
        """Whether a journal file is there (its validity is `load`'s business)."""
        return self.path.exists()

    def load(self) -> JournalDocument:
        """Read the journal; missing is empty, anything unreadable is a `JournalError`."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return JournalDocument(None, [])
        except OSError as exc:
            raise JournalError(
                f"cannot read the journal {self.path}: {exc.strerror or exc}"
            ) from exc
        if not raw.strip():
            # Saves are atomic, so an empty journal was damaged by something else.
            raise invalid(str(self.path), "the file is empty")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
            where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
            raise invalid(str(self.path), f"not valid JSON ({detail}{where})") from None
        return JournalDocument.from_json(data, path=self.path)

    def save(self, doc: JournalDocument) -> None:
        """Replace the journal with `doc` atomically and durably (mode 0600, directory 0700)."""
        # Serialise first: a bug here must not leave a temporary file behind.
        text = json.dumps(doc.to_json(), indent=2, ensure_ascii=False) + "\n"
        directory = self.path.parent
        try:
            _make_private_dirs(directory)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc}") from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise JournalError(f"cannot write the journal {self.path}: {exc}") from exc
            raise
        # Without this the rename itself may not survive a power cut.
        _fsync_directory(directory)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the exclusive run lock; `JournalLockedError` names the holder if taken."""
        try:
            _make_private_dirs(self.lock_path.parent)
            # O_NOFOLLOW: a planted symlink must not make us truncate some other file.
            fd = os.open(
                self.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
            )
        except OSError as exc:
            raise JournalError(f"cannot open the journal lock {self.lock_path}: {exc}") from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise JournalLockedError(
                    f"another rotation holds the journal lock {self.lock_path}: "
                    f"{_describe_holder(fd)}",
                    hint="wait for it to finish, or stop it; the lock is released as soon "
                    "as that process exits",
                ) from None
            holder = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "user": _user(),
                "started_at": utc_now_iso(),
            }
            with contextlib.suppress(OSError):  # the details are a courtesy, not the lock
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(holder) + "\n").encode("utf-8"), 0)
            self._remove_stale_temporaries()
            try:
                yield
            finally:
                # Clear the holder details before unlocking so they never describe a dead run.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def _remove_stale_temporaries(self) -> None:
        """Delete temporary files left by a save that was killed mid-write.

        Only the lock holder saves, so while we hold the lock no other save is running.
        """
        pattern = f".{self.path.name}.*.tmp"
        for stale in self.path.parent.glob(pattern):
            with contextlib.suppress(OSError):
                stale.unlink()


def _make_private_dirs(directory: Path) -> None:
    """Create missing directories (parents too) with mode 0700; existing ones are left as is."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process may race us here
            path.mkdir(mode=0o700)
            os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise JournalError(f"cannot sync the journal directory {directory}: {exc}") from exc


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return None


def _describe_holder(fd: int) -> str:
    """Turn the lock file's holder details into words; tolerate them being half-written."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict) or "pid" not in info:
        return "holder details not yet written (it has only just started)"
    return (
        f"pid {info.get('pid')} on host {info.get('host') or '?'}, "
        f"user {info.get('user') or '?'}, since {info.get('started_at') or '?'}"
    )
