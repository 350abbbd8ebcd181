"""The crash-safe rotation journal: what was done to which repository, durably.

The journal is the operator's only exact record of a partly failed rotation, so it is
written atomically (temporary file, fsync, `os.replace`, fsync of the directory) and a
damaged one is an error, never an empty journal. Its shape is `journal_model`'s; reading
and writing its bytes is `journal_codec`'s.

The path is checked once, when a `Journal` is made (see `resolve_journal_path`):
symlinks in its directory are resolved, so that every spelling of one journal takes one
lock, and a path whose last component is a symlink, or that is not a regular file, is
refused. One rotation at a time holds an exclusive `flock` on `PATH.lock`
(`journal_lock`). This module knows nothing of HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ccat.pat.journal_codec import decode_document, encode_document
from ccat.pat.journal_files import (
    read_file,
    remove_stale_temporaries,
    replace_file,
    resolve_journal_path,
)
from ccat.pat.journal_lock import LockHolder, hold_lock, lock_holder
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
    "LockHolder",
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
    """The journal at `path`: load, atomic save, and the run lock.

    Making one checks the path and raises `JournalError` for one that cannot be a
    journal; `path` is then the file actually used (directory symlinks resolved).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = resolve_journal_path(path)

    @property
    def lock_path(self) -> Path:
        """The sibling `<journal>.lock` file."""
        return self.path.with_name(self.path.name + ".lock")

    def exists(self) -> bool:
        """Whether a journal file is there (its validity is `load`'s business)."""
        return self.path.exists()

    def load(self) -> JournalDocument:
        """Read the journal; missing is empty, anything unreadable is a `JournalError`."""
        raw = read_file(self.path, what="journal")
        if raw is None:
            return JournalDocument(current=None, history=[])
        return decode_document(raw, path=str(self.path))

    def save(self, document: JournalDocument) -> None:
        """Replace the journal with `document` atomically and durably (mode 0600,
        directory 0700)."""
        # Encode first: a bug here must not leave a temporary file behind.
        replace_file(self.path, encode_document(document))

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the exclusive run lock; `JournalLockedError` names the holder if taken."""
        with hold_lock(self.lock_path):
            # Only the lock holder writes, so no save is running now.
            remove_stale_temporaries(self.path)
            yield

    def holder(self) -> LockHolder | None:
        """Who holds the run lock if a live process does (a rotation is running), else
        None. It only looks: a running rotation is not disturbed."""
        return lock_holder(self.lock_path)
