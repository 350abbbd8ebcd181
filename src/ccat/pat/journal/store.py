"""The crash-safe rotation journal: what was done to which repository, durably.

The journal is the operator's only exact record of a partly failed rotation, so a
damaged one is an error, never an empty journal, and every save is durable before it
returns. It is two files:

- the document `PATH` (SPEC §5, the shape of `journal_model`), always replaced whole
  and atomically by `Journal.save`: temporary file, fsync, `os.replace`, fsync of the
  directory;
- the update log `PATH.log`: one JSON line per target update, appended and synced by
  `Journal.save_target`, whose cost does not grow with the number of targets. Each line
  names the SHA-256 of the document bytes it applies to and its number among the lines
  on top of that document (1, 2, ...); a torn last line (a kill mid-append) is ignored.

`Journal.load` reads the log, then the document, and applies the log's lines for that
document: it returns the truth at every instant, even while a rotation writes (reading
the log first means a save that lands in between only makes the result newer). Then it
checks the story (`journal_checks`): a journal that contradicts itself is damaged.

**A document that no longer matches its log is damaged.** A save that folds the log in
first appends a fold line naming the digest of the new document (`{"folded_into":
...}`), so lines a kill leaves behind between the rename and the log's removal are
known to be in it; the document file itself carries nothing but the runs. Every line
not above such a line must name this very document, numbered from 1 without a gap: a
document changed while its log held updates (re-saved by `jq` or an editor: other
bytes, another digest), or a line missing from the middle, is refused rather than
silently dropping updates.

**How stale the document file itself may be.** `save_target` folds the log into the
document (a `save`, which removes the log) when the log has grown as large as the
document, and at least `FOLD_MIN_BYTES` (64 KiB, about 250 updates): each fold rewrites
at most as many bytes as were appended since the last, so a save costs the same at any
journal size, on average and per update. The engine saves the whole document when a run
starts and ends. So mid-run, `jq` on the file alone may lack the updates of a rotation
in progress; at rest the file is the whole truth and no log exists.
`ccat pat journal --json` (which prints `load()`'s document) is always exact.

The path is checked once, when a `Journal` is made (see `resolve_journal_path`):
symlinks in its directory are resolved, so that every spelling of one journal takes one
lock, and a path whose last component is a symlink, or that is not a regular file, is
refused. One rotation at a time holds an exclusive `flock` on `PATH.lock`
(`journal_lock`). This module knows nothing of HTTP.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ccat.pat.errors import JournalError
from ccat.pat.journal.checks import check_document
from ccat.pat.journal.codec import (
    InvalidRecord,
    damaged,
    decode_document,
    decode_strict,
    encode_document,
    encode_line,
)
from ccat.pat.journal.files import (
    append_line,
    fsync_directory,
    read_file,
    remove_file,
    remove_stale_temporaries,
    replace_file,
    resolve_journal_path,
)
from ccat.pat.journal.lock import LockHolder, hold_lock, lock_holder
from ccat.pat.journal.model import (
    FoldLine,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TargetUpdate,
)

FOLD_MIN_BYTES = 64 * 1024
_OBSERVE_TRIES = 5


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
    """The journal at `path`: load, atomic save, O(1) target saves, and the run lock.

    Making one checks the path and raises `JournalError` for one that cannot be a
    journal; `path` is then the file actually used (directory symlinks resolved).
    `fold_every` (tests) also folds the log after that many updates.
    """

    @classmethod
    def at(cls, option: Path | None, env: Mapping[str, str]) -> Journal:
        """The journal named by `--journal` (`option`), else `CCAT_JOURNAL`, else the
        XDG default (`default_journal_path`)."""
        return cls(option if option is not None else default_journal_path(env))

    def __init__(
        self,
        path: Path | str,
        *,
        fold_every: int | None = None,
        fold_min_bytes: int = FOLD_MIN_BYTES,
    ) -> None:
        self.path = resolve_journal_path(path)
        self.fold_every = fold_every
        self.fold_min_bytes = fold_min_bytes
        # The document this process last saved (the one `save_target` adds to).
        self._document: JournalDocument | None = None
        # The document on disk as this process last read or wrote it: the digest its log
        # lines name, how many lines are on top of it, and the sizes of both files.
        # `_known` is False until then: a save that knows nothing of the files replaces
        # whatever is there.
        self._known = False
        self._document_sha256 = ""
        self._appended = 0
        self._document_bytes = 0
        self._log_bytes = 0
        self._log_is_durable = False

    @property
    def lock_path(self) -> Path:
        """The sibling `<journal>.lock` file."""
        return self.path.with_name(self.path.name + ".lock")

    @property
    def log_path(self) -> Path:
        """The sibling `<journal>.log` file of target updates not yet in the document."""
        return self.path.with_name(self.path.name + ".log")

    def exists(self) -> bool:
        """Whether a journal file is there (its validity is `load`'s business)."""
        return self.path.exists()

    def load(self) -> JournalDocument:
        """The journal's truth: the document with its update log applied. A missing
        journal is empty; anything unreadable, or a story that contradicts itself, is a
        `JournalError`."""
        # The log first: see the module docstring.
        log = read_file(self.log_path, what="journal's update log")
        raw = read_file(self.path, what="journal")
        if raw is None:
            self._remember("", 0, 0, 0 if log is None else len(log))
            return JournalDocument(current=None, history=[])
        document = decode_document(raw, path=str(self.path))
        digest = hashlib.sha256(raw).hexdigest()
        applied = self._apply_log(document, log, digest) if log else 0
        try:
            check_document(document)
        except InvalidRecord as exc:
            with_log = " (with the updates of its log applied)" if applied else ""
            raise damaged(str(self.path), f"{exc}{with_log}") from None
        self._remember(digest, applied, len(raw), 0 if log is None else len(log))
        return document

    def save(self, document: JournalDocument) -> None:
        """Replace the journal with `document` atomically and durably (mode 0600,
        directory 0700), folding in and removing the update log.

        `document` is taken to hold every update this process read from the log or
        appended to it: the fold line says so, for lines a kill leaves behind."""
        # Encode first: a bug here must not leave a temporary file behind.
        data = encode_document(document)
        digest = hashlib.sha256(data).hexdigest()
        if self._appended:
            append_line(self.log_path, encode_line(FoldLine(digest)), new_file_is_durable=True)
        else:
            # The log holds no line this document lacks (or this process knows nothing of
            # it, and replaces the journal): it goes first, so that no line outlives the
            # document it was written on top of without a fold line.
            self._remove_log()
        replace_file(self.path, data)
        self._document = document
        self._remember(digest, 0, len(data), self._log_bytes)
        # Its lines are in this document (the fold line says so); removing them durably
        # keeps the folder tidy after a power cut too.
        self._remove_log()

    def save_target(self, run: RotationRun, record: TargetRecord) -> None:
        """Put `record` into `run` and make it durable before returning, at a cost that
        does not grow with the number of targets. `run` must be the current run of the
        document last passed to `save`; that document is folded in now and then (module
        docstring)."""
        document = self._document
        if document is None or run is not document.current:
            raise ValueError("save_target() needs the current run of the last saved document")
        if run.target(record.repository) is None:
            raise KeyError(f"{record.repository} is not a target of run {run.run_id}")
        update = TargetUpdate(self._document_sha256, run.run_id, record, self._appended + 1)
        line = encode_line(update)
        append_line(self.log_path, line, new_file_is_durable=self._log_is_durable)
        self._log_is_durable = True
        run.put(record)
        self._appended += 1
        self._log_bytes += len(line)
        if self._log_bytes >= max(self.fold_min_bytes, self._document_bytes) or (
            self.fold_every is not None and self._appended >= self.fold_every
        ):
            self.save(document)

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

    def observe(self) -> tuple[JournalDocument, LockHolder | None]:
        """`load()` and `holder()` as of one instant, for telling a running rotation
        from a crashed one: the lock is asked before and after reading, and again if a
        rotation started or ended in between (a few times at most)."""
        for _ in range(_OBSERVE_TRIES):
            before = self.holder()
            document = self.load()
            after = self.holder()
            if (before is None) == (after is None):
                break
        return document, after

    def _remember(self, digest: str, appended: int, document_bytes: int, log_bytes: int) -> None:
        self._known = True
        self._document_sha256, self._appended = digest, appended
        self._document_bytes, self._log_bytes = document_bytes, log_bytes

    def _remove_log(self) -> None:
        if remove_file(self.log_path):
            fsync_directory(self.path.parent)
        self._log_bytes = 0
        self._log_is_durable = False

    def _apply_log(self, document: JournalDocument, log: bytes, digest: str) -> int:
        """Apply the log's lines written on top of this document (`digest`); return how
        many. Lines above a fold line into this document are in it already; any other
        line must be on top of it (or, unnumbered, predate numbered lines)."""
        *raw_lines, _torn = log.split(b"\n")  # the part after the last newline was cut short
        lines: list[tuple[int, TargetUpdate | FoldLine]] = []
        for number, line in enumerate(raw_lines, start=1):
            kind: type[TargetUpdate | FoldLine] = (
                FoldLine if line.startswith(b'{"folded_into"') else TargetUpdate
            )
            try:
                update = decode_strict(line, kind, root=f"line {number}", fields=f"line {number}: ")
            except InvalidRecord as exc:
                raise self._damaged_log(str(exc)) from None
            lines.append((number, update))
        folded = max(
            (
                i
                for i, (_, line) in enumerate(lines)
                if isinstance(line, FoldLine) and line.folded_into == digest
            ),
            default=-1,
        )
        applied = 0
        for number, update in lines[folded + 1 :]:
            if isinstance(update, FoldLine):
                continue  # a fold into another document that never replaced this one
            if update.document != digest:
                if update.number is None:
                    continue  # a log of a ccat before numbered lines: an older document's
                raise self._unmatched(number, update.document, digest)
            if update.number is not None and update.number != applied + 1:
                raise self._damaged_log(
                    f"line {number} is update {update.number} on top of this document, but "
                    f"update {applied + 1} was due: a line is missing or out of order"
                )
            run = document.current
            if run is None or update.run_id != run.run_id:
                raise self._damaged_log(
                    f"line {number} updates run {update.run_id}, not the journal's current run"
                )
            try:
                run.put(update.target)
            except KeyError:
                raise self._damaged_log(
                    f"line {number} updates {update.target.repository}, not a target of "
                    f"run {run.run_id}"
                ) from None
            applied += 1
        return applied

    def _unmatched(self, number: int, named: str, digest: str) -> JournalError:
        """A line on top of another document, which no fold line says this one holds."""
        log = shlex.quote(str(self.log_path))
        return JournalError(
            f"journal {self.path} is damaged: it no longer matches its update log "
            f"{self.log_path}: line {number} was written on top of a document whose SHA-256 "
            f"starts {named[:12]}, but this one's starts {digest[:12]}, and no fold says it "
            "holds that line. The document was changed (re-saved by a tool or an editor?) "
            "while its log held updates of a rotation; reading on would silently drop them. "
            "Both were left untouched",
            hint="restore the document as ccat wrote it if you can; otherwise move the log "
            f"aside (mv {log} {log}.broken): the journal then forgets those updates, and "
            "`ccat pat rotate --resume` sets those repositories again",
        )

    def _damaged_log(self, detail: str) -> JournalError:
        log = shlex.quote(str(self.log_path))
        return JournalError(
            f"journal {self.path} is damaged: its update log {self.log_path}: {detail}. "
            f"Both were left untouched: inspect the log, then move it aside (mv {log} "
            f"{log}.broken); the journal then forgets the "
            "updates in it, which `ccat pat rotate --resume` redoes."
        )
