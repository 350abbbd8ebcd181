"""What GitHub Actions reads from a step, fitted to its rules and limits: Markdown prose
of ours (escaped, wrapped only where no block can start), workflow commands (every
string through the doors of `ccat.render.text`), and the limits the step summary and
the annotations must keep to (1 MiB of summary per step; 10 annotations of a kind).
The reports of `status` (`status_ci`) and `verify` (`verify`) are built with these.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ccat.render.causes import group, names
from ccat.render.text import command_data, command_property, plural

# Prose is wrapped here (GitHub joins the lines again); a table row cannot be.
MARKDOWN_WIDTH = 80
STEP_SUMMARY_LIMIT = 1024 * 1024
ANNOTATIONS_PER_KIND = 10
ANNOTATION_NAMES = 10
# Our own prose needs only the few characters that would make markup escaped.
_MARKUP = re.compile(r"[\\`*\[\]<>|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# A wrapped line may start with a letter, or with digits that make no list item (`1.`):
# nothing else can begin a block there, even inside a code span (see `text.markdown`).
_SAFE_LINE_START = re.compile(r"[A-Za-z]|\d+(?![\d.)])")
# A code span that opens with three backticks or more, up to its closing backticks.
_OPENING_FENCE = re.compile(r"(`{3,})(?!`).*?(?<!`)\1(?!`)", re.DOTALL)


def prose(text: str) -> str:
    """Text of ours (never a server's) for Markdown: markup characters escaped. An
    underscore inside a word (GH_PAT) makes no emphasis in GitHub's Markdown."""
    return _MARKUP.sub(r"\\\g<0>", text)


def wrapped(text: str, width: int, *, indent: int = 0) -> list[str]:
    """`text` on lines of at most `width` where it can be: broken at a space only before
    a word that can start a line in Markdown (`_SAFE_LINE_START`), so a code span may be
    broken too; a line that cannot be broken stays longer. Lines after the first are
    indented by `indent` as the first is.

    A code span of three backticks or more that opens `text` stays whole on the first
    line: ended before its closing backticks, that line would open a code block."""
    lead = " " * indent
    opening = _OPENING_FENCE.match(text)
    head = 0 if opening is None else opening.end()
    first, _, rest = text[head:].partition(" ")
    words = [text[:head] + first, *(rest.split(" ") if _ else [])]
    lines = [lead]
    for word in words:
        line = lines[-1]
        if line == lead:
            lines[-1] = line + word
        elif len(line) + 1 + len(word) > width and _SAFE_LINE_START.match(word):
            lines.append(lead + word)
        else:
            lines[-1] = f"{line} {word}"
    return lines


def utf8_size(text: str) -> int:
    """The bytes `text` takes in UTF-8 (GitHub counts the summary's size in bytes)."""
    return len(text.encode("utf-8"))


def largest_fitting(top: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n in 0..top for which `fits(n)` (true for all smaller ones too)."""
    if not fits(0):
        return None
    low, high = 0, top
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def command(kind: str, title: str, text: str) -> str:
    """A workflow command of ours (`::error title=…::…`), its title and message through
    the workflow-command doors."""
    return f"::{kind} title={command_property(title)}::{command_data(text)}"


def per_cause(
    kind: str, items: list[tuple[str, str, str]], limit: int, rest_title: str
) -> list[str]:
    """`items` (title, repository, message) as annotations: one each up to `limit`;
    beyond, one per (title, message) with the count and names, and the causes past
    `limit` folded into the last one."""
    if len(items) <= limit:
        return [command(kind, title, f"{repo}: {text}") for title, repo, text in items]
    causes = group((repo, f"{title}\0{text}") for title, repo, text in items)
    shown, hidden = (
        (causes, []) if len(causes) <= limit else (causes[: limit - 1], causes[limit - 1 :])
    )
    commands: list[str] = []
    for cause in shown:
        title, text = cause.text.split("\0", 1)
        commands.append(
            command(
                kind,
                title,
                f"{text} — {cause.count}: {names(cause.subjects, ANNOTATION_NAMES)}; the step "
                "log lists each",
            )
        )
    if hidden:
        repositories = sum(len(cause.subjects) for cause in hidden)
        commands.append(
            command(
                kind,
                rest_title,
                f"{len(hidden):,} more causes, in "
                f"{plural(repositories, 'repository', 'repositories')}: see the step log",
            )
        )
    return commands
