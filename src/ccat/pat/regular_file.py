"""Reading a file that may be hostile: a regular file only, at most a given number of
bytes, never blocking. The dependency graph (a path into a checkout someone else pushed
to) and the journal (a file anyone with the account may have replaced) are read so.

`/dev/zero` would grow without end and a FIFO would block forever: the file is opened
with `O_NONBLOCK` (opening a FIFO then returns at once) and checked with `fstat` on the
open descriptor, so that what is checked is what is read, and the read stops one byte
past the limit whatever `fstat` said (a `/proc` file says it is empty).

The callers say in their own words what was refused: `NotRegularFile` names the kind
of file (`file_kind`, the one wording of every such message), `FileTooLarge` its size;
any other failure is the system's `OSError` (`FileNotFoundError` when there is no file,
`ELOOP` for a symbolic link not followed). These two exceptions never leave `ccat.pat`:
each caller turns them into its own error.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_READ_CHUNK = 1024 * 1024


class NotRegularFile(Exception):
    """The path is not a regular file; `kind` says what it is, in words."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class FileTooLarge(Exception):
    """The file holds more than the limit: `size` bytes (at least limit + 1)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def file_kind(mode: int) -> str:
    """`a directory`, `a FIFO`, ... for a file's `st_mode`, in words for a message."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a file of an unknown type"


def read_capped(path: Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them (see the module
    for what is raised). Never blocks, and never reads more than one byte past `limit`."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket: open() refuses it with "no such device"
            raise NotRegularFile(_kind_at(path, follow_symlinks)) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(file_kind(info.st_mode))
        if info.st_size > limit:
            raise FileTooLarge(info.st_size)
        data = read_at_most(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew after fstat (or lies about its size, /proc)
        raise FileTooLarge(len(data))
    return data


def read_at_most(fd: int, limit: int) -> bytes:
    """At most `limit` bytes from `fd`, in chunks, until its end."""
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _kind_at(path: Path, follow_symlinks: bool) -> str:
    try:
        return file_kind(os.stat(path, follow_symlinks=follow_symlinks).st_mode)
    except OSError:
        return "a file of an unknown type"
