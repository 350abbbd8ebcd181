"""`ccat pat status` for CI: the Markdown report (`--format markdown`, and GitHub
Actions' step summary) and the workflow commands that become annotations.

Every string from a server or a file goes into the Markdown through `text.markdown` (a
code span, shown literally) and into a workflow command through `text.command_data`;
a code span is broken across lines only before a letter, where no block can start.

GitHub's limits, which the step summary and the annotations are fitted to:

- A step's summary holds at most 1 MiB (`STEP_SUMMARY_LIMIT`); past that GitHub drops
  the step's whole summary. `step_summary` appends the full report when it fits in what
  the step has left and has at most `SUMMARY_ROWS` rows; otherwise a shorter one: only
  the repositories with something to note (the others counted), as many as fit.
- A step shows 10 error and 10 warning annotations (`ANNOTATIONS_PER_KIND`); the rest
  are dropped. Up to that many, one annotation per repository; beyond, one per cause,
  with the count and the first `ANNOTATION_NAMES` names.
"""

from __future__ import annotations

from collections.abc import Sequence

from ccat.pat.status import Outlook, SecretStatus, StatusReport, UnfinishedRun
from ccat.render.causes import Cause, names
from ccat.render.github_actions import (
    ANNOTATION_NAMES,
    ANNOTATIONS_PER_KIND,
    MARKDOWN_WIDTH,
    command,
    largest_fitting,
    per_cause,
    prose,
    utf8_size,
    wrapped,
)
from ccat.render.status import (
    COPY_MARK,
    KIND_ORDER,
    KIND_TITLE,
    FooterBlock,
    copy_family,
    copy_label,
    copy_note_words,
    copy_state,
    error_reason,
    footer_blocks,
    note_words,
    status_summary,
    unchecked_store_causes,
    unread_everywhere,
)
from ccat.render.text import markdown
from ccat.render.unfinished import unfinished_annotation, unfinished_sentences, unfinished_title

SUMMARY_ROWS = 1000
_ICON = {"present": "✅", "missing": "❌", "error": "⚠️"}


def _state(result: SecretStatus) -> str:
    if result.state == "present":
        return "org secret" if result.via == "organization" else "present"
    if result.state == "missing":
        return "missing"
    return f"error: {error_reason(result)}"


def _row(result: SecretStatus, outlook: Outlook, hidden: set[str]) -> str:
    """The repository's row, then a row per copy in another store (`↳ dependabot`)."""
    notes = ", ".join(note_words(result, outlook))
    lines = [
        f"| {markdown(result.repository, cell=True)} | {_ICON[result.state]} "
        f"{prose(_state(result))} | {markdown(result.updated_at, cell=True)} | "
        f"{prose(notes)} |"
    ]
    for copy in result.copies:
        if copy.state == "not checked" and copy_family(copy) in hidden:
            continue
        icon = "✅" if copy.state == "present" else "⚠️"
        state = copy_state(copy).removeprefix("✓ ").removeprefix("! ")
        words = ", ".join(copy_note_words(result, copy, outlook))
        lines.append(
            f"| ↳ {markdown(copy_label(copy).removeprefix(COPY_MARK), cell=True)} | {icon} "
            f"{prose(state)} | {markdown(copy.updated_at, cell=True)} | {prose(words)} |"
        )
    return "\n".join(lines)


def _cause(cause: Cause, name_limit: int | None) -> str:
    """A footer entry: `repo`: `message`; or `message` — 3 repositories: `a`, `b`, `c`."""
    if not cause.subjects:
        return markdown(cause.text)
    if len(cause.subjects) == 1:
        return f"{markdown(cause.subjects[0])}: {markdown(cause.text)}"
    listed = [markdown(name) for name in cause.subjects]
    return f"{markdown(cause.text)} — {cause.count}: {names(listed, name_limit)}"


def _blocks(blocks: list[FooterBlock], width: int, limit: int | None) -> list[str]:
    """The footer's blocks as lists: at most `limit` entries each (None: all), with at
    most `limit` names in each (then `and N more`)."""
    lines: list[str] = []
    for symbol, title, causes in blocks:
        lines += [f"**{symbol} {prose(title)}**", ""]
        shown = causes if limit is None else causes[:limit]
        for cause in shown:
            first, *rest = wrapped(_cause(cause, limit), width, indent=2)
            lines += ["- " + first[2:], *rest]
        if len(shown) < len(causes):
            lines.append(f"- … and {len(causes) - len(shown):,} more (the step log has them)")
        lines.append("")
    return lines


def _document(
    report: StatusReport,
    outlook: Outlook,
    results: Sequence[SecretStatus],
    width: int,
    *,
    limit: int | None = None,
    left_out: list[str] | None = None,
) -> str:
    lines = [f"### {prose(report.secret)} in {prose(report.org)}", ""]
    if outlook.unfinished is not None:  # first, whatever is left out (SPEC §12)
        lines += _unfinished(outlook.unfinished, report.secret, width)
    for note in left_out or []:
        lines += [*wrapped(note, width), ""]
    if results:
        lines += ["| Repository | Secret present | Last rotated | Notes |", "|---|---|---|---|"]
        hidden = unread_everywhere(report)
        lines += [_row(result, outlook, hidden) for result in results]
        lines.append("")
    lines += _blocks(footer_blocks(report, outlook), width, limit)
    if outlook.safe_to_revoke:
        # ✅ takes two cells on a terminal.
        lines += [*wrapped(f"✅ {markdown(outlook.safe_to_revoke)}", width - 1), ""]
    lines += wrapped(prose(status_summary(report, outlook)), width)
    return "\n".join(lines) + "\n"


def _unfinished(unfinished: UnfinishedRun, secret: str, width: int) -> list[str]:
    """An unfinished rotation, as a quote at the top: its title (the journal's run id in
    it) and sentences through the Markdown door, wrapped as the rest."""
    lines = [f"> **⛔ {markdown(unfinished_title(unfinished, secret))}**", ">"]
    for sentence in unfinished_sentences(unfinished):
        lines += ["> " + line for line in wrapped(markdown(sentence), width - 2)]
    return [*lines, ""]


def status_markdown(report: StatusReport, outlook: Outlook, width: int = MARKDOWN_WIDTH) -> str:
    """The report as a GitHub-flavoured Markdown table (short states and one word per
    warning, as on the terminal), then the footer's blocks as lists, the safe-to-revoke
    line and the summary. Lines other than table rows are at most `width` characters,
    unless no word that may start a line comes in time (a table row cannot be wrapped)."""
    return _document(report, outlook, report.results, width)


def _noteworthy(result: SecretStatus, outlook: Outlook) -> bool:
    return (
        result.state != "present"
        or bool(outlook.of(result.repository))
        or bool(result.org_error)
        or any(copy.state != "present" for copy in result.copies)
    )


def step_summary(
    report: StatusReport, outlook: Outlook, room: int, width: int = MARKDOWN_WIDTH
) -> str | None:
    """What to append to the step summary when `room` bytes are left of its 1 MiB: the
    full report if it fits and has at most `SUMMARY_ROWS` rows; else only the
    repositories with something to note (as many as fit, at most `SUMMARY_ROWS`), the
    others counted, each footer block cut to as many entries. None when not even the
    heading, the counts and the summary line fit."""
    full = status_markdown(report, outlook, width)
    if len(report.results) <= SUMMARY_ROWS and utf8_size(full) <= room:
        return full
    noted = [r for r in report.results if _noteworthy(r, outlook)]
    quiet = len(report.results) - len(noted)

    def shortened(keep: int) -> str:
        left_out = [
            f"GitHub keeps at most 1 MiB of summary per step: of the "
            f"{len(report.results):,} repositories, "
            + (
                f"the {quiet:,} with nothing to note are not listed"
                if quiet
                else "not all are listed"
            )
            + (f", nor {len(noted) - keep:,} with something to note" if keep < len(noted) else "")
            + ". The step log has the full table."
        ]
        return _document(report, outlook, noted[:keep], width, limit=keep, left_out=left_out)

    keep = largest_fitting(
        min(max(len(noted), 1), SUMMARY_ROWS), lambda n: utf8_size(shortened(n)) <= room
    )
    return None if keep is None else shortened(keep)


def workflow_commands(
    report: StatusReport, outlook: Outlook, limit: int = ANNOTATIONS_PER_KIND
) -> list[str]:
    """An `::error` for an unfinished rotation first (SPEC §12), then `::error` for
    missing or unchecked repositories and `::warning` for warnings (and one for the
    token's expiry), for GitHub Actions' annotations: one per repository up to `limit`
    of a kind, else one per cause (see the module docstring)."""
    secret = report.secret
    errors: list[tuple[str, str, str]] = []
    warnings: list[tuple[str, str, str]] = []
    for result in report.results:
        if result.state == "missing":
            text = f"{secret} is not set"
            if result.org_error:
                text += f" (organisation secrets not checked: {result.org_error})"
            errors.append((f"{secret} missing", result.repository, text))
        elif result.state == "error":
            text = result.error or "unknown error"
            errors.append((f"{secret} not checked", result.repository, text))
        found = outlook.of(result.repository)
        if found:
            title = f"{secret}: {', '.join(w.kind for w in found)}"
            warnings.append((title, result.repository, "; ".join(w.message for w in found)))
    stores_unread = unchecked_store_causes(report)
    if report.stores.explicit:  # asked for by name: not checking it is an error (SPEC §10)
        for cause in stores_unread:
            for repository in cause.subjects:
                errors.append((f"{secret} store not checked", repository, cause.text))
    first: list[str] = []
    if outlook.unfinished is not None:  # first (SPEC §12), and counted among the errors
        first.append(command("error", *unfinished_annotation(outlook.unfinished, secret)))
    commands = [
        command("warning", f"{secret} token expiry", warning.message)
        for warning in outlook.token_warnings
    ]
    if not report.stores.explicit:  # from the default: said once per cause, as a warning
        commands += [
            command(
                "warning",
                f"{secret} store not checked",
                f"{cause.text} — {cause.count}: {names(cause.subjects, ANNOTATION_NAMES)}",
            )
            for cause in stores_unread[:limit]
        ]
    room = limit - len(commands)
    if len(warnings) > room:
        # Grouped by kind: a repository with two kinds counts in each.
        warnings = [
            (f"{secret}: {kind}", result.repository, KIND_TITLE[kind])
            for kind in KIND_ORDER
            for result in report.results
            if any(w.kind == kind for w in outlook.of(result.repository))
        ]
    commands += per_cause("error", errors, limit - len(first), f"{secret} not checked")
    commands += per_cause("warning", warnings, room, f"{secret} warnings")
    return first + commands
