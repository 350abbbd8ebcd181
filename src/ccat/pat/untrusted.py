"""Text that did not come from us (a server's message, a journal read from disk), made safe.

Anything a server sends can carry terminal escape sequences (`\\x1b[2J` clears the
screen, OSC 8 forges links) or be megabytes long. `clean` makes such text printable and
bounded before it is stored or shown: every C0 and C1 control character, DEL, and the
Unicode controls that reorder or hide text are replaced by a visible `\\xNN`/`\\uNNNN`
escape, so an operator sees that something odd was sent instead of having it acted on.

Printed under GitHub Actions, text meets a second reader: the runner executes a workflow
command found in a line of the step's output — `##[name]` anywhere in a line, and
`::name::` at the start of a line after leading white space (actions/runner,
`ActionCommand.TryParse` and `TryParseV2`). `defuse` breaks both shapes in a piece of
text wherever it is later cut or wrapped, so that no line of it can start or hold one.
The doors of `ccat.render.text` apply it for each medium; `clean` alone is what is
stored (the journal keeps what the server said).
"""

from __future__ import annotations

import re

# C0 (incl. TAB, LF, CR: a message is one line), DEL, C1, and the bidirectional and
# invisible formatting controls that can make text read differently than it is.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
MESSAGE_LIMIT = 300
# The two shapes of a workflow command: `::` (a command when a line starts with it) and
# `##[` (one anywhere in a line). A backslash between the two colons, or between the two
# hashes, leaves neither; a cut or a wrap anywhere in the result cannot make one again.
# (Not before the bracket: rich's markup takes `\[` for an escaped bracket.)
_DOUBLE_COLON = re.compile(r":(?=:)")
_LEGACY = re.compile(r"#(?=#\[)")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str, limit: int | None = MESSAGE_LIMIT) -> str:
    """`text` with control characters escaped, cut to `limit` characters (None: no cut).

    The cut is made before escaping, so a cut never splits an escape, and says so with
    an ellipsis.
    """
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return _CONTROL.sub(_escape, text)


def has_control(text: str) -> bool:
    """Whether `text` holds a character `clean` would escape."""
    return _CONTROL.search(text) is not None


def defuse(text: str) -> str:
    """`text` with no workflow-command shape left in it: `::` becomes `:\\:` and `##[`
    becomes `#\\#[`, visibly, so that a reader sees what was sent. Idempotent."""
    return _LEGACY.sub(r"#\\", _DOUBLE_COLON.sub(r":\\", text))
