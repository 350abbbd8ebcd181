"""GitHub Actions' log: a step's standard output and error, which the runner reads for
workflow commands.

The runner (actions/runner, `ActionCommandManager`) splits each stream into lines at
CR, LF or CRLF and executes a line as a command when, after its leading white space,
it starts with `::name` and holds another `::` (`::error title=…::message`), or when
it holds `##[name]` anywhere. The tool's own annotations are the only commands it may
find in ccat's output. Untrusted text is made inert by the doors of
`ccat.render.text`; under `GITHUB_ACTIONS=true`, `guard_streams` adds a last line of
defence: every character written to either stream goes through `CommandShapes`, which
puts a backslash into any command shape the tool did not write through `write_command`
— whatever made it: a wrap, a traceback, a library's message.

`stop-commands` (pausing the runner's parsing around untrusted output) is not used: the
runner processes the lines of the two streams in batches, standard error first, not in
the order they were written, so a pause written to one stream does not cover the other.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import IO, Any, TextIO, cast


class CommandShapes:
    """Breaks workflow-command shapes in text written piece by piece: a backslash goes
    between the colons of a `::` that starts a line (after white space), and before the
    bracket of `##[`. Everything else passes unchanged."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """At the start of a line."""
        self._blank = True  # only white space so far on this line
        self._colon = False  # ...followed by one colon
        self._last = ""  # the last two characters written on this line

    @property
    def at_line_start(self) -> bool:
        """Nothing written on the current line yet."""
        return self._blank and not self._colon and not self._last

    def feed(self, text: str) -> str:
        """`text`, with a backslash where the line it makes would carry a command."""
        out: list[str] = []

        def put(char: str) -> None:
            out.append(char)
            self._last = (self._last + char)[-2:]

        for char in text:
            if char in "\r\n":
                out.append(char)
                self.reset()
                continue
            if self._colon:
                if char == ":":
                    put("\\")
                self._blank = self._colon = False
            elif self._blank:
                if char == ":":
                    self._colon = True
                elif not char.isspace():  # a superset of .NET's char.IsWhiteSpace
                    self._blank = False
            if char == "[" and self._last == "##":
                put("\\")
            put(char)
        return "".join(out)


class GuardedStream:
    """A text stream whose every line is checked by `CommandShapes`; `write_command`
    writes one of the tool's own workflow commands, unchanged, on a line of its own."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._shapes = CommandShapes()

    def write(self, text: str) -> int:
        """Write `text`, command shapes broken (bytes are refused, as a text stream does)."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.stream.write(self._shapes.feed(text))
        return len(text)

    def write_command(self, line: str) -> None:
        """Write `line`, one of the tool's own workflow commands, as it is."""
        if not self._shapes.at_line_start:
            self.stream.write("\n")
        self.stream.write(line + "\n")
        self._shapes.reset()

    def flush(self) -> None:
        """Flush the stream underneath."""
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        # isatty, fileno, encoding, errors, buffer…: those of the stream underneath.
        return getattr(self.stream, name)


def guard_streams(env: Mapping[str, str]) -> None:
    """Under GitHub Actions, put `sys.stdout` and `sys.stderr` behind `GuardedStream`s
    (once); elsewhere leave them be."""
    if env.get("GITHUB_ACTIONS") != "true":
        return
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, GuardedStream):
            setattr(sys, name, cast(TextIO, GuardedStream(stream)))


def write_command(stream: IO[str], line: str) -> None:
    """Write one of the tool's own workflow commands to `stream` (guarded or not)."""
    if isinstance(stream, GuardedStream):
        stream.write_command(line)
    else:
        stream.write(line + "\n")
