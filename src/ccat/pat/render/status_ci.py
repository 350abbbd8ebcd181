"""`ccat pat status` for CI: the Markdown report (`--format markdown`, and GitHub
Actions' step summary) and the workflow commands that become annotations.

Every string from a server or a file goes into the Markdown through `text.markdown` (a
code span, shown literally) and into a workflow command through `text.command_data`;
a code span is broken across lines only before a letter, where no block can start.
"""

from __future__ import annotations

import re

from ccat.pat.early_warnings import Outlook
from ccat.pat.render.causes import Cause, names
from ccat.pat.render.status import (
    FooterBlock,
    error_reason,
    footer_blocks,
    note_words,
    status_summary,
)
from ccat.pat.render.text import command_data, command_property, markdown
from ccat.pat.status import SecretStatus, StatusReport

# Prose is wrapped here (GitHub joins the lines again); a table row cannot be.
MARKDOWN_WIDTH = 80
# Our own prose needs only the few characters that would make markup escaped.
_MARKUP = re.compile(r"[\\`*\[\]<>|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# A wrapped line may start with a letter, or with digits that make no list item (`1.`):
# nothing else can begin a block there, even inside a code span (see `text.markdown`).
_SAFE_LINE_START = re.compile(r"[A-Za-z]|\d+(?![\d.)])")
# A code span that opens with three backticks or more, up to its closing backticks.
_OPENING_FENCE = re.compile(r"(`{3,})(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_ICON = {"present": "✅", "missing": "❌", "error": "⚠️"}


def _prose(text: str) -> str:
    """Text of ours (never a server's) for Markdown: markup characters escaped. An
    underscore inside a word (GH_PAT) makes no emphasis in GitHub's Markdown."""
    return _MARKUP.sub(r"\\\g<0>", text)


def _wrapped(text: str, width: int, *, indent: int = 0) -> list[str]:
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


def _state(result: SecretStatus) -> str:
    if result.state == "present":
        return "org secret" if result.via == "organization" else "present"
    if result.state == "missing":
        return "missing"
    return f"error: {error_reason(result)}"


def _row(result: SecretStatus, outlook: Outlook) -> str:
    notes = ", ".join(note_words(result, outlook))
    return (
        f"| {markdown(result.repository, cell=True)} | {_ICON[result.state]} "
        f"{_prose(_state(result))} | {markdown(result.updated_at, cell=True)} | "
        f"{_prose(notes)} |"
    )


def _cause(cause: Cause) -> str:
    """A footer entry: `repo`: `message`; or `message` — 3 repositories: `a`, `b`, `c`."""
    if not cause.subjects:
        return markdown(cause.text)
    if len(cause.subjects) == 1:
        return f"{markdown(cause.subjects[0])}: {markdown(cause.text)}"
    listed = [markdown(name) for name in cause.subjects]
    return f"{markdown(cause.text)} — {cause.count}: {names(listed)}"


def _blocks(blocks: list[FooterBlock], width: int) -> list[str]:
    """The footer's blocks as lists, one entry per cause."""
    lines: list[str] = []
    for symbol, title, causes in blocks:
        lines += [f"**{symbol} {_prose(title)}**", ""]
        for cause in causes:
            first, *rest = _wrapped(_cause(cause), width, indent=2)
            lines += ["- " + first[2:], *rest]
        lines.append("")
    return lines


def status_markdown(report: StatusReport, outlook: Outlook, width: int = MARKDOWN_WIDTH) -> str:
    """The report as a GitHub-flavoured Markdown table (short states and one word per
    warning, as on the terminal), then the footer's blocks as lists, the safe-to-revoke
    line and the summary. Lines other than table rows are at most `width` characters,
    unless no word that may start a line comes in time (a table row cannot be wrapped)."""
    lines = [f"### {_prose(report.secret)} in {_prose(report.org)}", ""]
    lines += ["| Repository | Secret present | Last rotated | Notes |", "|---|---|---|---|"]
    lines += [_row(result, outlook) for result in report.results]
    lines.append("")
    lines += _blocks(footer_blocks(report, outlook), width)
    if outlook.safe_to_revoke:
        # ✅ takes two cells on a terminal.
        lines += [*_wrapped(f"✅ {markdown(outlook.safe_to_revoke)}", width - 1), ""]
    lines += _wrapped(_prose(status_summary(report, outlook)), width)
    return "\n".join(lines) + "\n"


def _command(kind: str, title: str, text: str) -> str:
    return f"::{kind} title={command_property(title)}::{command_data(text)}"


def workflow_commands(report: StatusReport, outlook: Outlook) -> list[str]:
    """One `::error` per missing or unchecked repository and one `::warning` per
    repository with warnings (and one for the token's expiry), for GitHub Actions'
    annotations."""
    secret = report.secret
    commands = [
        _command("warning", f"{secret} token expiry", warning.message)
        for warning in outlook.token_warnings
    ]
    for result in report.results:
        if result.state == "missing":
            text = f"{result.repository}: {secret} is not set"
            if result.org_error:
                text += f" (organisation secrets not checked: {result.org_error})"
            commands.append(_command("error", f"{secret} missing", text))
        elif result.state == "error":
            text = f"{result.repository}: {result.error or 'unknown error'}"
            commands.append(_command("error", f"{secret} not checked", text))
        found = outlook.of(result.repository)
        if found:
            title = f"{secret}: {', '.join(w.kind for w in found)}"
            text = f"{result.repository}: " + "; ".join(w.message for w in found)
            commands.append(_command("warning", title, text))
    return commands
