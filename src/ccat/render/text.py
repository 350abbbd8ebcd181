"""The doors out for untrusted text, one per medium, and the helpers every formatter
uses to lay tables out for the width they are drawn at.

Every string that came from a server or an input file (the dependency graph, the
journal) leaves through one of these, which makes it inert where it goes:

- a terminal, or a CI log (which the GitHub Actions runner reads for workflow
  commands): `screen` for plain text, `shown` inside rich markup;
- JSON: `json_text`, for a whole document;
- Markdown (`--format markdown`, the step summary): `markdown`;
- a workflow command's message or property: `command_data`, `command_property`.

The text of the tool itself needs no door; text that mixes ours with theirs (a
warning naming a journal's run) goes through one as a whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import render

from ccat.pat.untrusted import clean, defuse

NONE = "—"
# What `json.dumps` leaves raw with ensure_ascii=False (it escapes only C0 controls): DEL,
# C1 (U+009B is a CSI to many terminals) and the controls that reorder or hide text.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# The first `#` of `##[`, a workflow command anywhere in a line (JSON lines start with
# indentation and a quote or a bracket, so `::` cannot start one).
_LEGACY_COMMAND = re.compile(r"#(?=#\[)")
_BACKTICKS = re.compile("`+")
# Text that no Markdown, nor GitHub's rendering of it, can turn into anything but
# itself: letters, digits, `.`, `/`, `-`, and `_` inside a word (GH_PAT is no emphasis),
# not starting with punctuation (a list item, a heading), no `www.` (a link), no `gh-1`
# (an issue). A repository or organisation name is such text; a server's message is not.
_PLAIN_MARKDOWN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9./-]|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))*")
_LINKISH = re.compile(r"www\.|\bgh-\d", re.IGNORECASE)


def screen(text: str, limit: int | None = None) -> str:
    """`text` (from a server or a file) for a terminal or a CI log, as plain text:
    control characters escaped, cut to `limit` characters, and no workflow command
    left in it, wherever it is later wrapped (see `ccat.pat.untrusted`)."""
    return defuse(clean(text, limit))


def shown(text: str | None, limit: int | None = None) -> str:
    """`screen(text)` as rich markup that shows exactly it, ready to go inside a markup
    string; `None` shows as an em dash."""
    if text is None:
        return NONE
    return markup_literal(screen(text, limit))


# What rich reads as a tag (rich.markup.RE_TAGS, without the backslashes before it).
_RICH_TAG = re.compile(r"\[[a-z#/@][^[]*?]")
_BEFORE_BRACKET = re.compile(r"(\\*)\[")
_TRAILING_BACKSLASHES = re.compile(r"\\+$")


def markup_literal(text: str) -> str:
    """Rich markup that renders as `text`, every bracket and backslash as it is.

    `rich.markup.escape` protects only a bracket that looks like a tag: rich then reads
    the `\\[` before any other bracket as an escaped bracket, so a server's
    `##\\[ERROR]` would render as `##[ERROR]`, a workflow command. Here k backslashes
    before a tag-like bracket become 2k+1 (k shown, the tag escaped), and before any
    other bracket k+1 (rich drops one); backslashes at the end are doubled, so that
    they cannot escape a tag that follows in the caller's markup."""

    def bracket(match: re.Match[str]) -> str:
        count = len(match.group(1))
        tag = _RICH_TAG.match(text, match.end() - 1) is not None
        return "\\" * (2 * count + 1 if tag else count + 1) + "["

    escaped = _BEFORE_BRACKET.sub(bracket, text)
    return _TRAILING_BACKSLASHES.sub(lambda m: m.group() * 2, escaped)


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 repository`, `2 repositories`."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural_form or noun + 's'}"


def json_text(document: object) -> str:
    """`document` as indented JSON for stdout: other text stays readable, every control
    character is a `\\uXXXX` escape, so that a value read from a server or a journal
    cannot act on a terminal, and the `#` that would start a workflow command (`##[`)
    is `\\u0023`, so that it cannot act on a CI runner. A JSON parser reads back the
    very same values."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    text = _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return _LEGACY_COMMAND.sub(r"\\u0023", text)


def markdown(text: str | None, *, cell: bool = False) -> str:
    """`text` (from a server or a file) for GitHub-flavoured Markdown: as it is when it is
    a plain name (see `_PLAIN_MARKDOWN`), else a code span, which GitHub shows literally
    — no link, image, HTML, entity, emphasis, mention or emoji is made of what is inside
    — holding `screen(text)` (the Markdown may be printed to a CI log too). `cell`: for a
    table cell, whose `|` must be escaped even in code. `None` is an em dash.

    A line break inside a code span is rendered as a space, but a line that then starts
    with `#`, `-`, `>`, `1.` or a fence would still start a heading, a list, a quote or a
    code block: a caller that wraps must break only before a letter (`markdown_wrap`)."""
    if text is None:
        return NONE
    body = screen(text)
    if _PLAIN_MARKDOWN.fullmatch(body) and not _LINKISH.search(body):
        return body
    if cell:
        body = body.replace("|", "\\|")
    if not body:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(body)), default=0) + 1)
    # A span that starts or ends with a backtick, or with a space (CommonMark strips one
    # from both ends unless it is all spaces), is padded with one space on each side.
    edge = body[0] in "` " or body[-1] in "` "
    pad = " " if edge and body.strip(" ") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def command_data(text: str) -> str:
    """A workflow command's message (after `::`), as the Actions runner reads it: no
    control character, no workflow command inside it, `%`, CR and LF escaped."""
    return screen(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property(text: str) -> str:
    """A workflow command's property value (`title=`): also `:` and `,` escaped."""
    return command_data(text).replace(":", "%3A").replace(",", "%2C")


def cells(markup: str) -> int:
    """Columns the widest line of `markup` takes on screen."""
    return max((cell_len(line) for line in render(markup).plain.splitlines()), default=0)


def natural_widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's natural width: its widest cell on screen, header included."""
    return [max([cells(h), *(cells(row[i]) for row in rows)]) for i, h in enumerate(headers)]


# A boxed table with one space of padding spends 3 cells per column and 1 more on lines
# and padding: `│ x │ y │`.
BORDER_PER_COLUMN = 3


def table_chrome(columns: int) -> int:
    """Columns a boxed table with one space of padding spends on lines and padding."""
    return BORDER_PER_COLUMN * columns + 1


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
