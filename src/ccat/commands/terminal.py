"""Where a command prints and what it knows of its surroundings, and the one function
that turns our errors into a message, a hint and an exit code."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, TextIO

from rich.console import Console, RenderableType

from ccat.commands.signals import Interrupted
from ccat.options import OutputFormat
from ccat.pat.errors import CcatError, PreflightError
from ccat.render.preflight import preflight_failure_lines
from ccat.render.text import shown


class _Console(Console):
    """A console that goes quiet when its reader goes away (`… 2>&1 | head`).

    rich's own answer to a broken pipe is to point *standard output* at /dev/null and
    raise SystemExit(1) from wherever it was printing: from inside a rotation's write
    that ended the process with the run still `running` and no report, even when only
    standard error was closed and the JSON outcome on standard output was still read.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        _silence(self.file)


@dataclass
class Terminal:
    """The streams and environment of one command run (built per command, so that a test
    runner's replaced streams are honoured)."""

    out: Console
    err: Console
    stdin_is_terminal: bool
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stdin: TextIO | None = None  # None: the process's own (read when needed)
    # Where a question is asked and answered: the controlling terminal, even when
    # standard input is a pipe (`pass show ci/gh-pat | ccat pat rotate`); None: none.
    open_tty: Callable[[], TextIO | None] = field(default=lambda: open_controlling_terminal())

    @classmethod
    def current(cls) -> Terminal:
        """The process's own stdout, stderr and stdin. Text wraps at word boundaries to
        the terminal's width (80 columns when it is not a terminal). No emoji codes:
        rich would show a server's `:white_check_mark:` as ✅, and ours are characters."""
        return cls(
            out=_Console(highlight=False, emoji=False),
            err=_Console(stderr=True, highlight=False, emoji=False),
            stdin_is_terminal=sys.stdin.isatty(),
        )

    def print_raw(self, text: str) -> None:
        """Print `text` to stdout as is: no markup, no wrapping (JSON, Markdown); nothing
        once stdout's reader has gone."""
        if self.out.quiet:
            return
        try:
            self.out.file.write(text if text.endswith("\n") else text + "\n")
            self.out.file.flush()
        except BrokenPipeError:
            self.out.quiet = True
            _silence(self.out.file)

    def print_report(
        self,
        output: OutputFormat,
        json: Callable[[], str],
        markdown: Callable[[], str],
        screen: Callable[[int], Iterable[RenderableType]],
    ) -> None:
        """Print a report on stdout as `--format` asks: JSON or Markdown as is, else the
        parts of the screen made for stdout's width."""
        if output is OutputFormat.JSON:
            self.print_raw(json())
        elif output is OutputFormat.MARKDOWN:
            self.print_raw(markdown())
        else:
            for part in screen(self.out.width):
                self.out.print(part)

    def stopped(self, interrupted: Interrupted, command: str) -> int:
        """Say that a signal stopped `command`, which changes nothing (status, verify,
        journal); return the signal's exit code."""
        self.err.print(f"[red]{interrupted.name}: {command} stopped; nothing was changed[/]")
        return interrupted.exit_code

    def fail(self, exc: CcatError) -> int:
        """Print an error of ours with its hint on stderr; return its exit code."""
        self.err.print(f"[bold red]error:[/] {shown(exc.message)}")
        if isinstance(exc, PreflightError):
            for line in preflight_failure_lines(exc):
                self.err.print(line)
        elif exc.hint:
            self.err.print(f"[dim]hint:[/] {shown(exc.hint)}")
        return exc.exit_code


def open_controlling_terminal() -> TextIO | None:
    """The process's controlling terminal (/dev/tty) to read and write, or None when
    it has none (a CI job, cron, `setsid`, an SSH command without -t)."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return None
    # Unbuffered underneath, as getpass opens it: a prompt shows before the read.
    return io.TextIOWrapper(io.FileIO(fd, "r+"), encoding="utf-8", errors="replace")


def _silence(stream: IO[str]) -> None:
    """Point a stream whose reader has gone at /dev/null, so that what it still holds
    does not fail again when the interpreter flushes it at exit (exit status 120)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, stream.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError):  # not a file descriptor (a test's buffer): nothing held
        pass
