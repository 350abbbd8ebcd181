"""One rotation at a time: the exclusive `flock` on `<journal>.lock`, and who holds it.

The holder writes its pid, host, user and start time into the lock file after taking
the lock and clears them before releasing it, so details without a held lock (left by
a killed process) mean "not running". Only `flock` says whether a rotation runs.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import getpass
import os
import shlex
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

from ccat.pat.errors import JournalError, JournalLockedError
from ccat.pat.journal.files import make_private_dirs
from ccat.pat.regular_file import file_kind
from ccat.pat.times import utc_now_iso

# `lock_holder()` takes a shared lock for an instant to see whether the lock is free; a
# rotation starting at that very instant retries until this long has passed. A real
# holder writes its details at once, and is reported without waiting.
_CONTENDED_RETRY_SECONDS = 1.0


class LockHolder(msgspec.Struct, frozen=True):
    """Who holds the run lock, as far as its details are written (None: not yet)."""

    pid: int | None = None
    host: str | None = None
    user: str | None = None
    started_at: str | None = None

    def describe(self) -> str:
        """`pid 123 on host h, user u, since 2026-…`, in words for an error message."""
        if self.pid is None:
            return "holder details not yet written (it has only just started)"
        return (
            f"pid {self.pid} on host {self.host or '?'}, user {self.user or '?'}, "
            f"since {self.started_at or '?'}"
        )


@contextlib.contextmanager
def hold_lock(lock_path: Path) -> Iterator[None]:
    """Hold the exclusive run lock at `lock_path`; `JournalLockedError` names the holder."""
    try:
        make_private_dirs(lock_path.parent)
        # O_NOFOLLOW: a planted symlink must not make us truncate some other file;
        # O_NONBLOCK: nor a FIFO put there make us wait (it is refused just below).
        fd = os.open(lock_path, _OPEN_FLAGS | os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _cannot_open(lock_path, exc) from exc
    try:
        _refuse_unless_regular(fd, lock_path)
        _take(fd, lock_path)
        holder = LockHolder(os.getpid(), socket.gethostname(), _user(), utc_now_iso())
        with contextlib.suppress(OSError):  # the details are a courtesy, not the lock
            os.ftruncate(fd, 0)
            os.pwrite(fd, msgspec.json.encode(holder) + b"\n", 0)
        try:
            yield
        finally:
            # Clear the holder details before unlocking so they never describe a dead run.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def lock_holder(lock_path: Path) -> LockHolder | None:
    """Who holds the run lock at `lock_path` if a live process does, else None.

    It never creates, truncates or writes the lock file. To ask, it takes a shared lock
    without waiting and releases it at once: that fails while a rotation holds the
    exclusive lock, and cannot disturb one that does.
    """
    try:
        # Without O_NONBLOCK, opening a FIFO put there would wait for a writer forever.
        fd = os.open(lock_path, _OPEN_FLAGS | os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _cannot_open(lock_path, exc) from exc
    try:
        _refuse_unless_regular(fd, lock_path)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _details(fd)
        except OSError as exc:
            raise JournalError(f"cannot test the journal lock {lock_path}: {exc}") from exc
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


_OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _refuse_unless_regular(fd: int, lock_path: Path) -> None:
    """`JournalError` unless the open `fd` is a regular file (never blocks)."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        raise JournalError(f"cannot open the journal lock {lock_path}: {exc}") from exc
    if not stat.S_ISREG(mode):
        raise JournalError(
            f"the journal lock {lock_path} is {file_kind(mode)}, not a regular file; "
            "ccat will not use it",
            hint=f"remove it (rm {shlex.quote(str(lock_path))}): ccat creates the lock file "
            "it needs, and no rotation is using this one",
        )


def _cannot_open(lock_path: Path, exc: OSError) -> JournalError:
    why = "it is a symbolic link, which ccat does not follow" if exc.errno == errno.ELOOP else exc
    return JournalError(f"cannot open the journal lock {lock_path}: {why}")


def _take(fd: int, lock_path: Path) -> None:
    deadline = time.monotonic() + _CONTENDED_RETRY_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise JournalError(f"cannot lock the journal {lock_path}: {exc}") from exc
        holder = _details(fd)
        # A rotation writes its details at once; none written may be `lock_holder`'s
        # instant of looking, which must not turn a rotation away.
        if holder.pid is not None or time.monotonic() >= deadline:
            raise JournalLockedError(
                f"another rotation holds the journal lock {lock_path}: {holder.describe()}",
                hint="wait for it to finish, or stop it; the lock is released as soon "
                "as that process exits",
            )
        time.sleep(0.01)


def _details(fd: int) -> LockHolder:
    """The holder details in the lock file; tolerate them being half-written."""
    try:
        return msgspec.json.decode(os.pread(fd, 4096, 0), type=LockHolder)
    except (OSError, msgspec.MsgspecError):
        return LockHolder()


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return None
