"""The GitHub Actions runner's reading of a step's output, as actions/runner does it, for
the tests of issue 14, defect 1: no byte from a server or an input file may form a
workflow command.

What the runner does (actions/runner, `ProcessInvoker`, `OutputManager`,
`ActionCommandManager`, `ActionCommand`):

- each stream is read with .NET's `StreamReader.ReadLine`: lines end at CR, LF or CRLF;
  the lines of the two streams are then processed in batches, standard error first;
- a line holding `##[` or `::` is offered to the command manager, which tries the
  `::name props::data` form first (`TryParseV2`: after `TrimStart()`, the line must start
  with `::` and hold another `::`), then the `##[name props]data` form anywhere in the
  line (`TryParse`, which looks at the first `##[` only);
- a command counts only when its name is registered (case-insensitively);
- `stop-commands` with a token pauses every command until a line carries that token as
  a command name, in either form; the token is then registered as a command name.

`Runner.read` returns the commands the runner would execute. `command_shapes` is the
stricter check the tests also make: any line that starts (after white space) with `::`
or holds `##[`, whether or not it names a registered command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# ActionCommandManager's extensions (Runner.Worker), and the stop command itself.
REGISTERED = frozenset(
    {
        "stop-commands",
        "set-env",
        "set-output",
        "save-state",
        "add-mask",
        "add-path",
        "add-matcher",
        "remove-matcher",
        "debug",
        "warning",
        "error",
        "notice",
        "group",
        "endgroup",
        "echo",
        "internal-set-repo-path",
    }
)
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Command:
    """A workflow command the runner would execute, and the line it came from."""

    name: str
    properties: dict[str, str]
    data: str
    line: str


def lines(output: str) -> list[str]:
    """`output` split as `StreamReader.ReadLine` splits it (a last line without an end
    still counts)."""
    found = _LINE_END.split(output)
    if found and found[-1] == "":
        found.pop()
    return found


def _trim_start(line: str) -> str:
    # .NET's TrimStart() removes what char.IsWhiteSpace calls white space; str.isspace
    # is a superset of it (it adds U+001C-U+001F), which makes this check stricter.
    index = 0
    while index < len(line) and line[index].isspace():
        index += 1
    return line[index:]


def _unescape(text: str, pairs: Iterable[tuple[str, str]]) -> str:
    for escaped, plain in pairs:
        text = text.replace(escaped, plain)
    return text


_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_LEGACY = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))


def parse_v2(line: str, registered: set[str]) -> Command | None:
    """`ActionCommand.TryParseV2`."""
    message = _trim_start(line)
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    name, _, rest = info.partition(" ")
    if name.casefold() not in registered:
        return None
    properties: dict[str, str] = {}
    for pair in rest.strip().split(","):
        key, sep, value = pair.partition("=")
        if key and sep and value:
            properties[key] = _unescape(value, _PROPERTY)
    return Command(name, properties, _unescape(message[end + 2 :], _DATA), line)


def parse_legacy(line: str, registered: set[str]) -> Command | None:
    """`ActionCommand.TryParse`: the first `##[` of the line only."""
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    info = line[start + 3 : end]
    name, _, rest = info.partition(" ")
    if name.casefold() not in registered:
        return None
    properties: dict[str, str] = {}
    for pair in rest.split(";"):
        key, sep, value = pair.partition("=")
        if key and sep and value:
            properties[key] = _unescape(value, _LEGACY)
    return Command(name, properties, _unescape(line[end + 1 :], _LEGACY), line)


@dataclass
class Runner:
    """One step's command manager: what it executed, and whether it is paused."""

    registered: set[str] = field(default_factory=lambda: {n.casefold() for n in REGISTERED})
    stop_token: str | None = None
    executed: list[Command] = field(default_factory=list)

    def offer(self, line: str) -> None:
        """`OutputManager.OnDataReceived` and `ActionCommandManager.TryProcessCommand`."""
        if not line or ("##[" not in line and "::" not in line):
            return
        command = parse_v2(line, self.registered) or parse_legacy(line, self.registered)
        if command is None:
            return
        name = command.name.casefold()
        if self.stop_token is not None:
            if name == self.stop_token.casefold():
                self.registered.discard(self.stop_token.casefold())
                self.stop_token = None
                self.executed.append(command)
            return
        if name == "stop-commands":
            self.stop_token = command.data
            self.registered.add(command.data.casefold())
        self.executed.append(command)

    def read(self, *outputs: str) -> list[Command]:
        """Offer every line of `outputs` (one stream after the other); the commands run."""
        for output in outputs:
            for line in lines(output):
                self.offer(line)
        return self.executed


def executed(stdout: str, stderr: str) -> list[Command]:
    """The commands the runner would execute, in either order of the two streams (it
    does not keep the order in which they were written): both orders are read, and a
    command that runs in either is returned."""
    first = Runner().read(stderr, stdout)
    return first + [c for c in Runner().read(stdout, stderr) if c not in first]


def command_shapes(output: str) -> list[str]:
    """Every line of `output` that starts (after white space) with `::` or holds `##[`."""
    return [line for line in lines(output) if _trim_start(line).startswith("::") or "##[" in line]


# The tool's own annotations (ccat.render.status_ci): a line of their own, the
# secret's name in the title.
OURS = re.compile(r"::(error|warning) title=GH_PAT[^:]*::")


def assert_no_forged_command(stdout: str, stderr: str) -> list[Command]:
    """The runner would execute the tool's own annotations and nothing else: every
    command it finds is one of ours, none of ours is lost to a `stop-commands`, no data
    of ours carries a command shape, and no other line holds one. Returns ours."""
    ours = [line for line in lines(stdout) + lines(stderr) if OURS.match(line)]
    commands = executed(stdout, stderr)
    for command in commands:
        assert OURS.match(command.line), f"a forged command: {command.line!r}"
        assert "::" not in command.data and "##[" not in command.data, command.line
    assert sorted(c.line for c in commands) == sorted(ours), "an annotation of ours was lost"
    for output in (stdout, stderr):
        for line in command_shapes(output):
            assert OURS.match(line), f"a command shape: {line!r}"
    return commands
