"""Does a screen fit a terminal? `assert_fits(narrow, wide, width)` checks a rendering at
`width` against the same content rendered so wide that nothing wrapped:

- no line is wider than `width` cells (as a terminal counts them: ✅ is two);
- no word is split across lines, except right after a `-`, `_`, `.` or `/` (where a
  repository name, or a hyphenated word, may break): every token of the narrow screen
  is a whole word of the wide one or a run of its pieces between such break points;
- nothing is lost or cut: the letters and digits of both, word by word, are the same.

Tokens are what is between spaces and the box-drawing characters of a table. Import
with `from tests.support.screen_width import assert_fits, render`.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Iterable

from rich.cells import cell_len
from rich.console import Console, RenderableType

_SEPARATORS = re.compile(r"[\s│╭╮╰╯─┬┴┼├┤┌┐└┘]+")
_BREAK_AFTER = re.compile(r"(?<=[-_./])")
_WORD = re.compile(r"[^\W_]+")


def render(parts: Iterable[RenderableType], width: int) -> str:
    """What a terminal `width` cells wide shows of `parts`, printed one after another,
    as plain text (no colour)."""
    console = Console(
        width=width,
        file=io.StringIO(),
        highlight=False,
        color_system=None,
        force_terminal=False,
        record=True,
    )
    for part in parts:
        console.print(part)
    return console.export_text()


def tokens(text: str) -> list[str]:
    """The words of a screen: what is between spaces and table borders."""
    return [token for token in _SEPARATORS.split(text) if token]


def _runs(word: str) -> set[str]:
    """`word` and every run of its pieces between break points: what may appear on one
    line when `word` is broken where breaking is allowed."""
    pieces = _BREAK_AFTER.split(word)
    return {"".join(pieces[i:j]) for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1)}


def assert_fits(
    narrow: str, wide: str, width: int, *, exempt: Callable[[str], bool] = lambda line: False
) -> None:
    """See the module docstring; lines for which `exempt` is true may be wider (a
    Markdown table row cannot wrap), but their words are checked like the others."""
    for number, line in enumerate(narrow.splitlines(), 1):
        if not exempt(line):
            assert cell_len(line) <= width, f"line {number} is {cell_len(line)} wide: {line!r}"
    allowed: set[str] = set()
    for word in tokens(wide):
        allowed |= _runs(word)
    split = [token for token in tokens(narrow) if token not in allowed]
    assert not split, f"words split across lines at width {width}: {split}"
    assert Counter(_WORD.findall(narrow)) == Counter(_WORD.findall(wide)), "words were lost"
