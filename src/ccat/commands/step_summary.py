"""Appending to GitHub Actions' step summary file without ever waiting on it, and what
fits of a report in what the step has left (`append_fitted`).

`GITHUB_STEP_SUMMARY` names a file the runner reads after the step. Anything else put
there (a FIFO nobody reads, a device) must not make `status` hang: the path is opened
without blocking and refused, with an `OSError` the caller reports, unless it is a
regular file.

`to_github_actions` is all a report says to GitHub Actions: its annotations and its
step summary.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable

from rich.console import Console

from ccat.commands.terminal import Terminal
from ccat.commands.workflow_log import write_command
from ccat.pat.regular_file import file_kind
from ccat.render.github_actions import STEP_SUMMARY_LIMIT
from ccat.render.text import shown

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


def append_fitted(path: str, fitted: Callable[[int], str | None], err: Console) -> None:
    """Append to the step summary at `path` what `fitted(room)` makes of a report for
    the `room` bytes the step has left of its 1 MiB (None: not even a short form
    fits); a problem is a warning on `err`, never a failure of the command. The file
    is only stat-ed before `append_step_summary` opens it without blocking."""
    try:
        try:
            used = os.stat(path).st_size
        except FileNotFoundError:
            used = 0
        text = fitted(STEP_SUMMARY_LIMIT - used)
        if text is None:
            err.print(
                f"[yellow]warning:[/] the step summary ({shown(path)}) has no room left "
                "(GitHub keeps at most 1 MiB per step): nothing was added to it"
            )
            return
        append_step_summary(path, text)
    except OSError as exc:
        err.print(
            f"[yellow]warning:[/] cannot append to GITHUB_STEP_SUMMARY "
            f"({shown(path)}): {shown(exc.strerror or str(exc))}"
        )


def to_github_actions(
    terminal: Terminal,
    commands: Callable[[], Iterable[str]],
    fitted: Callable[[int], str | None],
    *,
    machine: bool,
) -> None:
    """Under GitHub Actions (nothing elsewhere): a report's workflow commands, which
    become annotations (on stdout after a table, on stderr when stdout is JSON or
    Markdown, `machine`, which must stay parseable), and what `fitted` makes of it
    appended to the step summary (`append_fitted`)."""
    if terminal.env.get("GITHUB_ACTIONS") != "true":
        return
    stream = terminal.err.file if machine else terminal.out.file
    for command in commands():
        write_command(stream, command)
    stream.flush()
    summary = terminal.env.get("GITHUB_STEP_SUMMARY")
    if summary:
        append_fitted(summary, fitted, terminal.err)
