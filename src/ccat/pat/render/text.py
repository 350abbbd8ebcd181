"""Helpers every formatter uses: untrusted text made safe for rich markup and for JSON,
and tables laid out for the width they are drawn at."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape, render

from ccat.pat.untrusted import clean

NONE = "—"
# What `json.dumps` leaves raw with ensure_ascii=False (it escapes only C0 controls): DEL,
# C1 (U+009B is a CSI to many terminals) and the controls that reorder or hide text.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def shown(text: str | None, limit: int | None = None) -> str:
    """`text` (from a server or a file) with control characters escaped and rich markup
    neutralised, ready to go inside a markup string; `None` shows as an em dash."""
    if text is None:
        return NONE
    return escape(clean(text, limit))


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 repository`, `2 repositories`."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural_form or noun + 's'}"


def json_text(document: object) -> str:
    """`document` as indented JSON for stdout: other text stays readable, every control
    character is a `\\uXXXX` escape, so that a value read from a server or a journal
    cannot act on a terminal (a JSON parser reads back the very same value)."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def cells(markup: str) -> int:
    """Columns the widest line of `markup` takes on screen."""
    return max((cell_len(line) for line in render(markup).plain.splitlines()), default=0)


def table_chrome(columns: int) -> int:
    """Columns a boxed table with one space of padding spends on lines and padding."""
    return 3 * columns + 1


def share_width(room: int, names: int, text: int, text_min: int = 14) -> tuple[int, int]:
    """Split `room` columns between a column of names (repositories) and one of free text
    (errors): names whole when that leaves the text `text_min` columns (or all it needs);
    otherwise the names fold. The text takes what is left, up to all it needs."""
    name_width = max(1, min(names, room - min(text, text_min)))
    return name_width, max(1, min(text, room - name_width))


@dataclass(frozen=True)
class Fitted:
    """A renderable built for the width it is drawn at: `build(width)` makes it, so that a
    table can give each column what it needs in 80 columns as in 200."""

    build: Callable[[int], RenderableType]

    def __rich_console__(
        self, console: Console, options: ConsoleOptions
    ) -> Iterator[RenderableType]:
        """Build for the width available and hand that to the console."""
        yield self.build(options.max_width)
