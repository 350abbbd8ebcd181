"""`ccat pat status` for CI: the Markdown report (`--format markdown`, and GitHub
Actions' step summary) and the workflow commands that become annotations."""

from __future__ import annotations

import re

from ccat.pat.early_warnings import Outlook
from ccat.pat.render.status import error_reason, footer_blocks, note_words, status_summary
from ccat.pat.render.status_layout import wrap
from ccat.pat.render.text import NONE
from ccat.pat.render.unfinished import unfinished_annotation, unfinished_markdown
from ccat.pat.status import SecretStatus, StatusReport
from ccat.pat.untrusted import clean

# Prose is wrapped here (GitHub joins the lines again); a table row cannot be.
MARKDOWN_WIDTH = 80
_MARKUP = re.compile(r"[\\`*\[\]<>|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ICON = {"present": "✅", "missing": "❌", "error": "⚠️"}


def _md(text: str | None) -> str:
    """Untrusted text for Markdown: no control characters, and the characters that
    would make markup (or end a table cell) escaped. An underscore inside a word (as
    in GH_PAT) makes no emphasis in GitHub's Markdown and stays as it is."""
    if text is None:
        return NONE
    return _MARKUP.sub(r"\\\g<0>", clean(text, None))


def _state(result: SecretStatus) -> str:
    if result.state == "present":
        return "org secret" if result.via == "organization" else "present"
    if result.state == "missing":
        return "missing"
    return f"error: {error_reason(result)}"


def status_markdown(report: StatusReport, outlook: Outlook, width: int = MARKDOWN_WIDTH) -> str:
    """The report as a GitHub-flavoured Markdown table (short states and one word per
    warning, as on the terminal), then the footer's blocks as lists, the safe-to-revoke
    line and the summary. Lines other than table rows are at most `width` characters,
    unless a single word is longer (a table row cannot be wrapped, nor a word)."""
    lines = [
        f"### {_md(report.secret)} in {_md(report.org)}",
        "",
        *(
            []
            if outlook.unfinished is None
            else unfinished_markdown(outlook.unfinished, report.secret, _md, width)
        ),
        "| Repository | Secret present | Last rotated | Notes |",
        "|---|---|---|---|",
    ]
    for result in report.results:
        notes = ", ".join(note_words(result, outlook))
        lines.append(
            f"| {_md(result.repository)} | {_ICON[result.state]} {_md(_state(result))} | "
            f"{_md(result.updated_at)} | {_md(notes) if notes else ''} |"
        )
    lines.append("")
    for symbol, title, items in footer_blocks(report, outlook):
        lines += [f"**{symbol} {_md(title)}**", ""]
        for item in items:
            # Indented as the item's text, then the marker put in front: a long first
            # word stays beside the marker instead of leaving it alone on its line.
            first, *rest = wrap(_md(item), width, indent=2, hang=0, markdown=True)
            lines += ["- " + first[2:], *rest]
        lines.append("")
    if outlook.safe_to_revoke:
        # ✅ takes two cells on a terminal.
        safe = f"✅ {_md(outlook.safe_to_revoke)}"
        lines += [*wrap(safe, width - 1, hang=0, markdown=True), ""]
    lines += wrap(_md(status_summary(report, outlook)), width, hang=0, markdown=True)
    return "\n".join(lines) + "\n"


def _command_data(text: str) -> str:
    """Escape a workflow command's message as the Actions runner expects."""
    return clean(text, None).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    """Escape a workflow command's property (`title=`): also `:` and `,`."""
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(report: StatusReport, outlook: Outlook) -> list[str]:
    """An `::error` for an unfinished rotation first (SPEC §12), then one `::error` per
    missing or unchecked repository and one `::warning` per repository with warnings
    (and one for the token's expiry), for GitHub Actions' annotations."""
    secret = report.secret
    commands: list[str] = []
    if outlook.unfinished is not None:
        title, message = unfinished_annotation(outlook.unfinished, secret)
        commands.append(f"::error title={_command_property(title)}::{_command_data(message)}")
    for warning in outlook.token_warnings:
        title = _command_property(f"{secret} token expiry")
        commands.append(f"::warning title={title}::{_command_data(warning.message)}")
    for result in report.results:
        if result.state == "missing":
            title = _command_property(f"{secret} missing")
            text = f"{result.repository}: {secret} is not set"
            if result.org_error:
                text += f" (organisation secrets not checked: {result.org_error})"
            commands.append(f"::error title={title}::{_command_data(text)}")
        elif result.state == "error":
            title = _command_property(f"{secret} not checked")
            text = f"{result.repository}: {result.error or 'unknown error'}"
            commands.append(f"::error title={title}::{_command_data(text)}")
        warnings = outlook.of(result.repository)
        if warnings:
            title = _command_property(f"{secret}: {', '.join(w.kind for w in warnings)}")
            text = f"{result.repository}: " + "; ".join(w.message for w in warnings)
            commands.append(f"::warning title={title}::{_command_data(text)}")
    return commands
