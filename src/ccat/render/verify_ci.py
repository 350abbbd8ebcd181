"""`ccat pat verify` for CI: the Markdown report (`--format markdown`, and GitHub Actions'
step summary, fitted to what the step has left of its 1 MiB) and the workflow commands
that become annotations (at most 10 of a kind: per repository, else per cause).

Everything GitHub said goes into the Markdown through `text.markdown` and into a
workflow command through `text.command_data` (`render.github_actions.command`).
"""

from __future__ import annotations

from datetime import datetime

from ccat.pat.verification import Reach, TokenWarning, VerifyReport
from ccat.render.causes import Cause, names
from ccat.render.github_actions import (
    ANNOTATIONS_PER_KIND,
    MARKDOWN_WIDTH,
    command,
    largest_fitting,
    per_cause,
    prose,
    utf8_size,
    wrapped,
)
from ccat.render.text import markdown
from ccat.render.verify import (
    expiry_text,
    footer_blocks,
    reach_cell,
    token_line,
    verify_hints,
    verify_summary,
)

_ICON = {"reachable": "✅", "unreachable": "❌", "error": "⚠️", "not checked": "—"}


def _row(result: Reach) -> str:
    return (
        f"| {markdown(result.repository, cell=True)} | {_ICON[result.state]} "
        f"{prose(reach_cell(result)[2:])} |"
    )


def _cause(cause: Cause) -> str:
    if not cause.subjects:
        return markdown(cause.text)
    if len(cause.subjects) == 1:
        return f"{markdown(cause.subjects[0])}: {markdown(cause.text)}"
    listed = names([markdown(name) for name in cause.subjects])
    return f"{markdown(cause.text)} — {cause.count}: {listed}"


def _document(
    report: VerifyReport,
    warnings: tuple[TokenWarning, ...],
    now: datetime,
    rows: list[Reach],
    width: int,
    left_out: str | None = None,
) -> str:
    lines = [f"### {prose(report.name)} token in {prose(report.org)}", ""]
    line = "".join(
        markdown(text) if theirs else prose(text) for text, theirs in token_line(report).parts
    )
    left = expiry_text(report, now) if report.token.state == "valid" else None
    if left is not None and report.token.expiry_unreadable is None:
        line += f" ({prose(left)})"
    lines += [*wrapped(line, width), ""]
    if left_out:
        lines += [*wrapped(prose(left_out), width), ""]
    if rows:
        lines += ["| Repository | Token |", "|---|---|", *map(_row, rows), ""]
    for symbol, _, title, causes in footer_blocks(report, warnings):
        lines += [f"**{symbol} {prose(title)}**", ""]
        for cause in causes:
            first, *rest = wrapped(_cause(cause), width, indent=2)
            lines += ["- " + first[2:], *rest]
        lines.append("")
    for hint in verify_hints(report):
        theirs = "" if hint.theirs is None else f": {markdown(hint.theirs)}"
        lines += [*wrapped(f"hint: {prose(hint.text)}{theirs}", width), ""]
    lines += wrapped(prose(verify_summary(report, warnings)), width)
    return "\n".join(lines) + "\n"


def verify_markdown(
    report: VerifyReport,
    warnings: tuple[TokenWarning, ...],
    now: datetime,
    width: int = MARKDOWN_WIDTH,
) -> str:
    """The report as GitHub-flavoured Markdown: the token's line, a table of every
    repository, the footer's blocks as lists, the hints and the summary line."""
    shown = [] if report.token.state != "valid" else list(report.results)
    return _document(report, warnings, now, shown, width)


def verify_step_summary(
    report: VerifyReport,
    warnings: tuple[TokenWarning, ...],
    now: datetime,
    room: int,
    width: int = MARKDOWN_WIDTH,
) -> str | None:
    """What to append to the step summary when `room` bytes are left: the whole report
    if it fits, else only the repositories the token does not reach (as many as fit),
    the others counted; None when not even that fits."""
    full = verify_markdown(report, warnings, now, width)
    if utf8_size(full) <= room:
        return full
    noted = [r for r in report.results if r.state != "reachable"]

    def shortened(keep: int) -> str:
        note = (
            f"GitHub keeps at most 1 MiB of summary per step: of the {len(report.results):,} "
            f"repositories, those the token reads are not listed"
            + (f", nor {len(noted) - keep:,} more" if keep < len(noted) else "")
            + ". The step log has the full table."
        )
        return _document(report, warnings, now, noted[:keep], width, left_out=note)

    keep = largest_fitting(len(noted), lambda n: utf8_size(shortened(n)) <= room)
    return None if keep is None else shortened(keep)


def verify_commands(
    report: VerifyReport, warnings: tuple[TokenWarning, ...], limit: int = ANNOTATIONS_PER_KIND
) -> list[str]:
    """`::error` for the token rejected, a scope missing, a repository it cannot reach
    or that could not be checked; `::warning` for its expiry. At most `limit` of a
    kind: one per repository, else one per cause."""
    source = report.name
    errors: list[str] = []
    warned = [command("warning", f"{source} token expiry", w.message) for w in warnings]
    for symbol, _, title, causes in footer_blocks(report, ()):
        if symbol in ("✗", "!") and not any(cause.subjects for cause in causes):
            errors += [command("error", f"{source} {title}", cause.text) for cause in causes]
    items = [
        (
            f"{source} cannot reach" if r.state == "unreachable" else f"{source} not checked",
            r.repository,
            r.error or "unknown error",
        )
        for r in report.results
        if r.state in ("unreachable", "error")
    ]
    errors += per_cause("error", items, limit - len(errors), f"{source} cannot reach")
    return errors + warned[:limit]
