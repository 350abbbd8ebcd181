"""What an operator's screen must be at a given width: no line wider than the terminal,
no word split across lines. Import with `from tests.support.screens import assert_reads_well`.

A word is split when it is cut in two at a line's end (rich's `fold`, textwrap's break
after a hyphen) or shortened with an ellipsis. Both are found by comparing the words of
the screen with those of the same screen drawn so wide that nothing wraps: wrapping
moves words, it never changes them.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from rich.cells import cell_len
from rich.console import Console, RenderableType

# Table and rule drawing: not words.
_CHROME = re.compile(r"[│╭╮╰╯├┤┬┴┼─━═]")
WIDE = 1000


def words(screen: str) -> list[str]:
    """The words of `screen`, in order, table lines and rules left out."""
    return _CHROME.sub(" ", screen).split()


def assert_reads_well(
    screen: str, reference: str, width: int, *, longest_unfolded: int | None = None
) -> None:
    """`screen` (drawn `width` columns wide) has no line wider than `width`, and every
    word of `reference` (the same drawn very wide) whole in it.

    Words longer than `longest_unfolded` (a 100-character repository name in 80 columns)
    may fold; none other may. None: no word may fold.
    """
    for number, line in enumerate(screen.splitlines(), start=1):
        assert cell_len(line) <= width, f"line {number} is {cell_len(line)} wide: {line!r}"
    expected = Counter(words(reference))
    got = Counter(words(screen))
    if longest_unfolded is not None:
        # A long word and its pieces are left out (a piece may equal a shorter word).
        foldable = [word for word in expected if len(word) > longest_unfolded]

        def kept(counts: Counter[str]) -> Counter[str]:
            return Counter({w: n for w, n in counts.items() if not any(w in f for f in foldable)})

        expected, got = kept(expected), kept(got)
    missing = expected - got
    extra = got - expected
    assert not missing and not extra, (
        f"split or changed at {width} columns: lost {sorted(missing)[:8]}, "
        f"found {sorted(extra)[:8]}\n{screen}"
    )


def drawn(renderables: Iterable[RenderableType | str], width: int) -> str:
    """What a console `width` columns wide (not a terminal, no colour) prints for these,
    as the commands print them: word wrapping on, no highlighting."""
    console = Console(width=width, file=io.StringIO(), no_color=True, highlight=False)
    for renderable in renderables:
        console.print(renderable)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


VOLATILE = (
    (re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}"), "RUN-ID"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "TIMESTAMP"),
    (re.compile(r"\b\d\d:\d\d:\d\d\b"), "CLOCK"),
    (re.compile(r"127\.0\.0\.1:\d+"), "LOOPBACK"),
    (re.compile(r"\b[0-9a-f]{12}\b"), "HEX"),
)


def normalised(screen: str, replacements: Mapping[str, str] | None = None) -> str:
    """`screen` with what differs from one run to the next (times, run ids, ports,
    fingerprints, and each `replacements` key) replaced by placeholders, so that two
    runs drawn at different widths can be compared word by word."""
    for old, new in (replacements or {}).items():
        screen = screen.replace(old, new)
    for pattern, placeholder in VOLATILE:
        screen = pattern.sub(placeholder, screen)
    return screen
