"""`ccat.render.status_layout` for any input: column widths, broken names and
wrapped sentences always fit, never lose a character, and never start a line with a
GitHub Actions workflow command."""

from __future__ import annotations

import re
from itertools import pairwise

from hypothesis import assume, given
from hypothesis import strategies as st

from ccat.render.status_layout import Column, break_name, fit_widths, wrap
from ccat.render.text import table_chrome

NAME = st.from_regex(r"[A-Za-z0-9._-]{1,100}", fullmatch=True).map(lambda n: f"ccatobs/{n}")
COMMAND_START = re.compile(r"\s*(::|##\[)")


@given(NAME, st.integers(min_value=1, max_value=120))
def test_a_broken_name_fits_and_breaks_only_after_a_separator(name: str, width: int) -> None:
    lines = break_name(name, width).split("\n")
    assert "".join(lines) == name
    assert all(1 <= len(line) <= width for line in lines)
    for line, following in pairwise(lines):
        # Broken after a separator, or cut because a piece is longer than a line.
        assert line[-1] in "-_./" or len(line) == width, (line, following)


@st.composite
def columns(draw: st.DrawFn) -> list[Column]:
    count = draw(st.integers(min_value=1, max_value=5))
    result = []
    for order in draw(st.permutations(range(count))):
        natural = draw(st.integers(min_value=1, max_value=150))
        floor = draw(st.integers(min_value=1, max_value=natural))
        want = draw(st.none() | st.integers(min_value=1, max_value=150))
        result.append(Column(natural, floor, order, want))
    return result


@given(columns(), st.integers(min_value=10, max_value=300))
def test_fitted_widths_fit_and_respect_every_floor(cols: list[Column], width: int) -> None:
    widths = fit_widths(cols, width)
    room = width - table_chrome(len(cols))
    if sum(c.natural for c in cols) <= room:
        assert widths == [c.natural for c in cols]
        return
    if widths is None:  # only when even the floors do not fit
        assert sum(c.floor for c in cols) > room
        return
    assert sum(widths) == room
    last = max(range(len(cols)), key=lambda i: cols[i].order)
    for index, (column, got) in enumerate(zip(cols, widths, strict=True)):
        assert got >= column.floor
        if index != last:
            assert got <= column.natural


WORDS = st.lists(
    st.one_of(
        st.from_regex(r"[a-z]{1,12}(-[a-z]{2,8})?", fullmatch=True),
        st.sampled_from(["::warning::x", "::error", "##[set-env]", "50%", "a,b:c"]),
    ),
    min_size=1,
    max_size=40,
)


@given(WORDS, st.integers(min_value=20, max_value=120), st.integers(min_value=0, max_value=4))
def test_wrapped_text_fits_keeps_every_word_and_starts_no_command(
    words: list[str], width: int, indent: int
) -> None:
    text = " ".join(words)
    lines = wrap(text, width, indent=indent)
    assert all(len(line) <= width for line in lines)
    assert lines[0].startswith(" " * indent) and not lines[0][indent:].startswith(" ")
    assert all(not COMMAND_START.match(line) for line in lines)
    # Only the escaping backslashes and the breaks after hyphens were added.
    joined = "".join("".join(lines).split()).replace("\\::", "::").replace("\\##[", "##[")
    assert joined == "".join(text.split())


@given(WORDS, st.integers(min_value=20, max_value=120))
def test_markdown_wraps_only_between_words(words: list[str], width: int) -> None:
    text = " ".join(words)
    lines = wrap(text, width, markdown=True)
    assert all(len(line) <= width or " " not in line.strip() for line in lines)
    assert all(not COMMAND_START.match(line) for line in lines)
    unescaped = [
        word.replace("\\::", "::").replace("\\##[", "##[") for word in " ".join(lines).split()
    ]
    assert unescaped == words


@given(WORDS, st.integers(min_value=20, max_value=120), st.integers(min_value=0, max_value=4))
def test_a_word_that_fits_on_a_line_is_never_split_after_its_hyphen(
    words: list[str], width: int, indent: int
) -> None:
    # `revoked by demo-operator` at the end of a line: the login moves whole to the
    # next line, not `demo-` / `operator`.
    assume(max(len(word) for word in words) < width - indent - 2)
    lines = wrap(" ".join(words), width, indent=indent)
    unescaped = [
        word.replace("\\::", "::").replace("\\##[", "##[") for word in " ".join(lines).split()
    ]
    assert unescaped == words


def test_a_word_longer_than_a_line_is_broken_after_its_hyphen_first() -> None:
    name = "ccatobs/" + "-".join(["observation"] * 4)
    assert wrap(f"stopped at {name}", 40, indent=2) == [
        "  stopped at ccatobs/observation-",
        "    observation-observation-observation",
    ]
