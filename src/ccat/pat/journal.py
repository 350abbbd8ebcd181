"""The crash-safe rotation journal: what was done to which repository, durably.

The journal is the operator's only exact record of a partly failed rotation, so it is
written atomically (temporary file, fsync, `os.replace`, fsync of the directory) and a
damaged one is an error, never an empty journal. Its shape is `journal_model`'s; reading
and writing its bytes is `journal_codec`'s. One rotation at a time holds an
exclusive `flock` on a sibling `.lock` file. This module knows nothing of HTTP.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import socket
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from ccat.pat.errors import JournalError, JournalLockedError
from ccat.pat.journal_codec import decode_document, encode_document
from ccat.pat.journal_model import (
    SCHEMA,
    Fingerprint,
    GraphFile,
    JournalDocument,
    RotationRun,
    RunState,
    TargetRecord,
    TargetState,
    TokenInfo,
    TokenKind,
    iso,
    new_run_id,
    token_kind,
    utc_now_iso,
)

__all__ = [
    "SCHEMA",
    "Fingerprint",
    "GraphFile",
    "Journal",
    "JournalDocument",
    "RotationRun",
    "RunState",
    "TargetRecord",
    "TargetState",
    "TokenInfo",
    "TokenKind",
    "default_journal_path",
    "iso",
    "new_run_id",
    "token_kind",
    "utc_now_iso",
]


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
            return JournalDocument(current=None, history=[])
        except OSError as exc:
            raise JournalError(
                f"cannot read the journal {self.path}: {exc.strerror or exc}"
            ) from exc
        return decode_document(raw, path=str(self.path))

    def save(self, doc: JournalDocument) -> None:
        """Replace the journal with `doc` atomically and durably (mode 0600, directory 0700)."""
        # Serialise first: a bug here must not leave a temporary file behind.
        data = encode_document(doc)
        directory = self.path.parent
        try:
            _make_private_dirs(directory)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(data)
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
