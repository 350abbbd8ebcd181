"""Appending to GitHub Actions' step summary file without ever waiting on it.

`GITHUB_STEP_SUMMARY` names a file the runner reads after the step. Anything else put
there (a FIFO nobody reads, a device) must not make `status` hang: the path is opened
without blocking and refused, with an `OSError` the caller reports, unless it is a
regular file.
"""

from __future__ import annotations

import errno
import os
import stat

from ccat.pat.regular_file import file_kind

_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def append_step_summary(path: str, text: str) -> None:
    """Append `text` (UTF-8) to the regular file `path`, created if missing; `OSError`
    (with a message in words) for anything else, and for a failed write."""
    try:
        fd = os.open(path, _FLAGS, 0o644)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO without a reader, or a socket
            raise OSError(exc.errno, "not a regular file (a FIFO or a socket)") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"not a regular file ({file_kind(mode)})")
        data = text.encode("utf-8")
        while data:
            written = os.write(fd, data)
            data = data[written:]
    finally:
        os.close(fd)
