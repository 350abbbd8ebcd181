"""Helpers every formatter uses: untrusted text made safe for rich markup, and tables
laid out for the width they are drawn at."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape, render

from ccat.pat.untrusted import clean

NONE = "—"


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
