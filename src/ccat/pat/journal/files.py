"""The journal's file operations: which file a path means, and writes that survive a kill.

Every write here is durable before it returns: a whole file is replaced atomically
(temporary file in the same directory, fsync, `os.replace`, fsync of the directory),
and an append is synced before it returns. Files are created with mode 0600 in
directories created with mode 0700. Nothing here knows the journal's format.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import stat
import tempfile
from pathlib import Path

from ccat.pat.errors import JournalError
from ccat.pat.regular_file import FileTooLarge, NotRegularFile, file_kind, read_capped

MAX_JOURNAL_BYTES = 256 * 1024 * 1024  # years of rotations; a bigger file is not ours

_fdatasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


def resolve_journal_path(path: Path | str) -> Path:
    """The file a journal path means, with every symlink of its directory resolved, so
    that two spellings of one journal share one lock. Refused (`JournalError`): an empty
    path, one naming no file (`.`, `/`, `dir/`), one whose last component is a symlink,
    and anything that exists but is not a regular file."""
    text = os.fspath(path)
    if not text:
        raise JournalError(
            "the journal path is empty",
            hint="pass --journal PATH naming a file, or unset CCAT_JOURNAL",
        )
    name = os.path.basename(text)
    if name in ("", ".", "..") or text.endswith(os.sep):
        raise JournalError(
            f"the journal path {text} names a directory, not a file",
            hint=f"name a file in it, e.g. --journal {os.path.join(text, 'pat-journal.json')}",
        )
    # realpath resolves `..` after the symlink before it, as the kernel does.
    resolved = Path(os.path.realpath(os.path.dirname(text) or os.curdir)) / name
    try:
        info = os.lstat(resolved)
    except FileNotFoundError:
        return resolved
    except OSError as exc:
        raise JournalError(f"cannot use the journal path {text}: {exc.strerror}") from exc
    if stat.S_ISLNK(info.st_mode):
        target = os.readlink(resolved)
        raise JournalError(
            f"the journal path {text} is a symbolic link (to {target}); ccat does not follow "
            "it, so that one journal always has one lock",
            hint=f"pass the file itself: --journal {os.path.realpath(resolved)}",
        )
    refuse_unless_regular(resolved, info.st_mode)
    return resolved


def refuse_unless_regular(path: Path, mode: int) -> None:
    """`JournalError` if `mode` (from a stat of `path`) is not a regular file's."""
    if not stat.S_ISREG(mode):
        raise _not_regular(path, file_kind(mode))


def _not_regular(path: Path, kind: str) -> JournalError:
    return JournalError(
        f"the journal path {path} is {kind}, not a regular file; ccat will not read or replace it",
        hint="pass --journal PATH naming a journal file (it is created on the first rotation)",
    )


def read_file(path: Path, *, what: str) -> bytes | None:
    """The bytes of the regular file `path`, or None if there is none. It is opened
    without following a symlink and without blocking (a FIFO put there is refused), and
    read up to `MAX_JOURNAL_BYTES` (`ccat.pat.regular_file`)."""
    try:
        return read_capped(path, MAX_JOURNAL_BYTES, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except NotRegularFile as exc:
        raise _not_regular(path, exc.kind) from None
    except FileTooLarge as exc:
        raise JournalError(
            f"the {what} {path} is {exc.size} bytes, more than a journal ever holds "
            f"({MAX_JOURNAL_BYTES}); it was left untouched"
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise JournalError(
                f"the {what} {path} is a symbolic link; ccat does not follow it"
            ) from None
        raise JournalError(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc


def replace_file(path: Path, data: bytes) -> None:
    """Replace `path` by a file holding `data`, atomically and durably (mode 0600)."""
    directory = path.parent
    try:
        make_private_dirs(directory)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise JournalError(f"cannot write the journal {path}: {exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise JournalError(f"cannot write the journal {path}: {exc}") from exc
        raise
    # Without this the rename itself may not survive a power cut.
    fsync_directory(directory)


def append_line(path: Path, line: bytes, *, new_file_is_durable: bool) -> None:
    """Append `line` to `path` (created 0600 if missing) and sync it before returning.
    Unless `new_file_is_durable`, the directory is synced too, so the file's name
    survives a power cut as well as its contents."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        # O_NONBLOCK: a FIFO put there must not make the rotation wait for a reader.
        fd = os.open(path, flags | os.O_NOCTTY | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO nobody reads, or a socket
            raise JournalError(
                f"the journal's update log {path} is not a regular file; ccat will not write to it",
                hint=f"remove it (rm {shlex.quote(str(path))}): ccat creates the log it needs",
            ) from None
        raise JournalError(f"cannot write the journal's update log {path}: {exc}") from exc
    try:
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise JournalError(
                    f"the journal's update log {path} is {file_kind(mode)}, not a "
                    "regular file; ccat will not write to it",
                    hint=f"remove it (rm {shlex.quote(str(path))}): ccat creates the log it needs",
                )
            written = os.write(fd, line)
            if written != len(line):  # a short append leaves a torn last line, ignored
                raise OSError(errno.ENOSPC, "short write (is the disk full?)")
            _fdatasync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise JournalError(f"cannot write the journal's update log {path}: {exc}") from exc
    if not new_file_is_durable:
        fsync_directory(path.parent)


def remove_file(path: Path) -> bool:
    """Delete `path` if it is there; whether it was."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise JournalError(f"cannot remove the journal's update log {path}: {exc}") from exc
    return True


def make_private_dirs(directory: Path) -> None:
    """Create missing directories (parents too) with mode 0700; existing ones are left as is."""
    missing: list[Path] = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process may race us here
            path.mkdir(mode=0o700)
            os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def fsync_directory(directory: Path) -> None:
    """Make the directory's entries (a rename, a new or removed name) durable."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise JournalError(f"cannot sync the journal directory {directory}: {exc}") from exc


def remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files left beside `path` by a replace that was killed mid-write.

    Call only while holding the run lock: only the lock holder writes, so no replace is
    running then.
    """
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
