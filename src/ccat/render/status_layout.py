"""How the status screens fit a terminal: column widths that keep repository names
whole, names broken only after a `-`, `_`, `.` or `/`, and sentences wrapped at spaces
with a hanging indent.

Rich's own table layout shrinks the widest column first, which cuts a repository name
in the middle of a word as soon as an error message is wider; here each column gives
up its room in a fixed order instead (see `fit_widths`).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len

from ccat.render.text import table_chrome

# Where a repository name may be broken: after these characters.
_NAME_BREAK = re.compile(r"(?<=[-_./])")
# GitHub Actions' runner takes a line that starts (after spaces) with `::` or `##[` for a
# workflow command: a server's message must never start a line, wherever it wraps.
_COMMAND_START = re.compile(r"^(\s*)(::|##\[)")
_COMMAND_MARK = re.compile(r"::|##\[")


@dataclass(frozen=True)
class Column:
    """A column's natural width (its widest cell, header included), the least it may
    be given without breaking a word (`floor`), and how readily it gives up room:
    columns give it up in increasing `order` (0 first), the one with the highest
    `order` taking what is left. That last one asks the others for room only up to
    `want` (None: its natural width), so a name too long for any terminal does not
    make every other column wrap."""

    natural: int
    floor: int
    order: int
    want: int | None = None


def fit_widths(columns: Sequence[Column], width: int) -> list[int] | None:
    """Content widths for `columns` in a table at most `width` cells wide.

    Natural widths when they fit. Otherwise columns shrink toward their floor, lowest
    `order` first, until the last one (the highest `order`) gets its `want`, or the
    others are all at their floor; it then gets all the room left. None when even the
    floors do not fit: the caller lets the table overflow rather than cut words.
    """
    room = width - table_chrome(len(columns))
    widths = [column.natural for column in columns]
    if sum(widths) <= room:
        return widths
    by_order = sorted(range(len(columns)), key=lambda index: columns[index].order)
    *givers, last = by_order
    wanted = columns[last].want
    if wanted is not None:
        widths[last] = min(widths[last], max(wanted, columns[last].floor))
    excess = max(sum(widths) - room, 0)
    for index in givers:
        spare = widths[index] - columns[index].floor
        given = min(max(spare, 0), excess)
        widths[index] -= given
        excess -= given
    widths[last] = room - sum(widths[index] for index in givers)
    if widths[last] < columns[last].floor:
        return None
    return widths


def break_name(name: str, width: int) -> str:
    """`name` on lines of at most `width` cells, broken only after `-`, `_`, `.` or `/`
    (a piece longer than a line is cut, as nothing else can be done)."""
    if cell_len(name) <= width or width < 1:
        return name
    lines: list[str] = []
    line = ""
    for piece in _NAME_BREAK.split(name):
        while cell_len(piece) > width:  # no break point: cut it
            if line:
                lines.append(line)
                line = ""
            lines.append(piece[:width])
            piece = piece[width:]
        if cell_len(line + piece) > width:
            lines.append(line)
            line = ""
        line += piece
    if line:
        lines.append(line)
    return "\n".join(lines)


def longest_piece(name: str) -> int:
    """The widest part of `name` between break points: the least width that keeps every
    part of it whole."""
    return max((cell_len(piece) for piece in _NAME_BREAK.split(name)), default=0)


def longest_word(text: str) -> int:
    """The widest space-separated word of `text`."""
    return max((cell_len(word) for word in text.split()), default=0)


def wrap(
    text: str, width: int, *, indent: int = 0, hang: int = 2, markdown: bool = False
) -> list[str]:
    """`text` wrapped at spaces (and, when it must, after a hyphen between letters) into
    lines of at most `width`, the first indented by `indent`, the others by `indent +
    hang`. A word longer than a line is cut, as nothing else can be done.

    `markdown`: only at spaces, and a longer word is left whole on a longer line, since
    Markdown renders a line break as a space (a name broken after a hyphen would read
    `ops- db`).

    No line starts with `::` or `##[` (a workflow command to GitHub Actions): one that
    would gets a backslash before it (the lines are made a cell shorter for it)."""
    room = max(width - 1 if _COMMAND_MARK.search(text) else width, indent + hang + 1)
    # After a hyphen only when a word would not fit whole on a line of its own.
    must = not markdown and longest_word(text) > room - indent - hang
    wrapper = textwrap.TextWrapper(
        width=room,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + hang),
        break_long_words=not markdown,
        break_on_hyphens=must,
    )
    lines = wrapper.wrap(text) or [" " * indent]
    return [_COMMAND_START.sub(r"\1\\\2", line) for line in lines]
