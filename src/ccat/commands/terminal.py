"""Where a command prints and what it knows of its surroundings, and the one function
that turns our errors into a message, a hint and an exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from rich.console import Console

from ccat.pat.errors import CcatError, PreflightError
from ccat.pat.render.text import shown


@dataclass
class Terminal:
    """The streams and environment of one command run (built per command, so that a test
    runner's replaced streams are honoured)."""

    out: Console
    err: Console
    stdin_is_terminal: bool
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def current(cls) -> Terminal:
        """The process's own stdout, stderr and stdin. Text wraps at word boundaries to
        the terminal's width (80 columns when it is not a terminal). No emoji codes:
        rich would show a server's `:white_check_mark:` as ✅, and ours are characters."""
        return cls(
            out=Console(highlight=False, emoji=False),
            err=Console(stderr=True, highlight=False, emoji=False),
            stdin_is_terminal=sys.stdin.isatty(),
        )

    def print_raw(self, text: str) -> None:
        """Print `text` to stdout as is: no markup, no wrapping (JSON, Markdown)."""
        self.out.file.write(text if text.endswith("\n") else text + "\n")
        self.out.file.flush()

    def fail(self, exc: CcatError) -> int:
        """Print an error of ours with its hint on stderr; return its exit code."""
        self.err.print(f"[bold red]error:[/] {shown(exc.message)}")
        if isinstance(exc, PreflightError):
            # Imported here: the rotation's renderer brings the engine, httpx and nacl,
            # which `ccat pat journal` (a Terminal user too) must not load.
            from ccat.pat.render.rotation import preflight_failure_lines

            for line in preflight_failure_lines(exc):
                self.err.print(line)
        elif exc.hint:
            self.err.print(f"[dim]hint:[/] {shown(exc.hint)}")
        return exc.exit_code
