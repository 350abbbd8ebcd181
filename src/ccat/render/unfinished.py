"""An unfinished rotation, in words (SPEC §12): what every status output says first, what
`rotate` says when it stops, and what it says before starting over an unfinished run.

The sentences are plain text built here once; each medium makes the journal's strings
in them (the run id) inert through its own door (`ccat.render.text`): the terminal
through `screen`, Markdown and workflow commands in `status_ci`, JSON through
`json_text`.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ccat.pat.journal import JournalDocument
from ccat.pat.status import UnfinishedRun, find_unfinished, relevant_runs
from ccat.render.status_layout import wrap
from ccat.render.text import plural, screen, shown

RESUME = "ccat pat rotate --resume"
# The line `rotate` adds to its failure and interruption reports (rich markup).
DO_NOT_REVOKE = (
    "[bold red]Do not revoke the previous token[/] (nor the new one): until this rotation "
    "is finished, the repositories not updated still use the previous one."
)

_HOW = {
    "stopped": "stopped at a failed write",
    "interrupted": "was interrupted",
    "crashed": "crashed (its process died without finishing it)",
    "running": "is in progress",
}


def unfinished_title(unfinished: UnfinishedRun, secret: str) -> str:
    """`Rotation R of GH_PAT was interrupted`: the first thing status says."""
    return f"Rotation {unfinished.run_id} of {secret} {_HOW[unfinished.state]}"


def unfinished_sentences(unfinished: UnfinishedRun) -> list[str]:
    """How far it got, that both tokens are in use, and what to do: plain sentences."""
    total = unfinished.repositories
    holding = f"{unfinished.holding} of {plural(total, 'repository', 'repositories')}"
    verb = "holds" if unfinished.holding == 1 else "hold"
    others = total - unfinished.holding
    rest = "the other still holds" if others == 1 else f"the other {others} still hold"
    first = f"{holding} {verb} the new token; {rest} the previous one."
    if unfinished.summarised:
        first += " (Counted from the run's summary in the journal's older runs.)"
    elif unfinished.updated != unfinished.holding:
        first += (
            f" The journal records {unfinished.updated} written; GitHub confirms "
            f"{unfinished.holding}."
        )
    if unfinished.live:
        holder = f" ({unfinished.holder})" if unfinished.holder else ""
        return [
            first,
            f"It is running now{holder}: both tokens are in use until it finishes. Do not "
            "revoke either.",
            "Run ccat pat status again once it has finished.",
        ]
    if unfinished.holding == total:
        return [
            f"Every repository holds the new token, but the run is not recorded as "
            f"finished: run {RESUME} with the same token to finish it (it writes only "
            "where GitHub does not hold the write) before revoking the previous token.",
        ]
    return [
        first,
        "Both tokens are in use: do not revoke either, or CI breaks where it is still used.",
        f"To finish it, run {RESUME} with the same token.",
    ]


def unfinished_screen_lines(unfinished: UnfinishedRun, secret: str, width: int) -> list[Text]:
    """The block above the status table, wrapped to `width`: a red title, then the
    sentences."""
    title = screen(f"⛔ {unfinished_title(unfinished, secret)}:")
    lines = [Text(line, style="bold red") for line in wrap(title, width)]
    for sentence in unfinished_sentences(unfinished):
        lines.extend(Text(line) for line in wrap(screen(sentence), width, indent=2))
    return [*lines, Text("")]


def unfinished_stderr_lines(unfinished: UnfinishedRun, secret: str, width: int) -> list[Text]:
    """The same, on stderr when stdout carries JSON or Markdown: one paragraph."""
    text = " ".join(
        [f"error: {unfinished_title(unfinished, secret)}.", *unfinished_sentences(unfinished)]
    )
    lines = [Text(line) for line in wrap(screen(text), width)]
    lines[0].stylize("bold red", 0, len("error:"))
    return lines


def unfinished_annotation(unfinished: UnfinishedRun, secret: str) -> tuple[str, str]:
    """The title and message of the `::error` workflow command that comes first."""
    title = f"{secret} rotation unfinished"
    message = " ".join(
        [f"{unfinished_title(unfinished, secret)}.", *unfinished_sentences(unfinished)]
    )
    return title, message


def unfinished_document(unfinished: UnfinishedRun, secret: str) -> dict[str, Any]:
    """`unfinished_run` of `status --json`."""
    return {
        "run_id": unfinished.run_id,
        "state": unfinished.state,
        "started_at": unfinished.started_at,
        "finished_at": unfinished.finished_at,
        "repositories": unfinished.repositories,
        "updated": unfinished.updated,
        "holding_new_token": unfinished.holding,
        "not_holding_new_token": list(unfinished.not_holding),
        "lock_holder": unfinished.holder,
        "both_tokens_in_use": unfinished.live or unfinished.holding < unfinished.repositories,
        "action": "wait, then ccat pat status" if unfinished.live else RESUME,
        "message": " ".join(
            [f"{unfinished_title(unfinished, secret)}.", *unfinished_sentences(unfinished)]
        ),
    }


def new_rotation_notice(
    document: JournalDocument,
    *,
    secret: str,
    org: str,
    api_url: str,
    holder: str | None = None,
) -> list[str]:
    """What `rotate` says before asking to start a new rotation while the journal's
    newest run of this secret is unfinished (rich markup; empty when it is not).

    `holder` describes the process holding the journal lock, if another one does (a dry
    run takes no lock); under our own lock a `running` run is one whose process died."""
    runs = [*([document.current] if document.current else []), *document.history[::-1]]
    mine = relevant_runs(runs, secret=secret, org=org, api_url=api_url)
    older = relevant_runs(document.older_runs, secret=secret, org=org, api_url=api_url)
    unfinished = find_unfinished(mine, older, holder=holder)
    if unfinished is None:
        return []
    state = "in progress" if unfinished.state == "running" else unfinished.state
    total = plural(unfinished.repositories, "repository", "repositories")
    return [
        f"[yellow]note:[/] the previous run {shown(unfinished.run_id)} was unfinished "
        f"({state}: {unfinished.updated} of {total} hold its token, so two tokens are in "
        "use). This rotation starts a new run over every repository and keeps that one in "
        f"the journal's history; to finish it instead, run [bold]{RESUME}[/] with its token."
    ]
