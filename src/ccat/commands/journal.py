"""`ccat pat journal`: what the last rotation did, for incident response.

It only reads: the journal (with any target updates not yet folded into it) and whether a
live process holds the run lock, which tells `running` from a crashed run. `--json`
carries the state a person sees (SPEC §12): `crashed` for a run recorded as running that
no live process holds, `running` only while one does; the stored one is beside it.
"""

from __future__ import annotations

from ccat.commands.signals import Interrupted, SignalGate
from ccat.commands.terminal import Terminal
from ccat.options import JournalArgs
from ccat.pat.errors import CcatError, JournalError
from ccat.pat.graph import load_graph
from ccat.pat.journal import Journal
from ccat.render.journal import (
    journal_header,
    journal_json,
    journal_notes,
    journal_targets,
    resume_forecast,
    revocation_lines,
)
from ccat.render.text import json_text, plural, shown

BOTH_TOKENS = (
    "[bold red]Both tokens are in use[/] until this rotation is finished: do not revoke either."
)


def run_journal_command(args: JournalArgs, terminal: Terminal | None = None) -> int:
    """Run `ccat pat journal`; returns the exit code (0 shown, 2 no or bad journal,
    130/143/129 stopped by a signal: it only reads, so nothing was changed)."""
    terminal = terminal or Terminal.current()
    with SignalGate.installed():
        try:
            return _show_journal(args, terminal)
        except Interrupted as interrupted:
            return terminal.stopped(interrupted, "journal")


def _show_journal(args: JournalArgs, terminal: Terminal) -> int:
    out = terminal.out
    try:
        journal = Journal.at(args.journal, terminal.env)
        if not journal.exists():
            raise JournalError(
                f"no journal at {journal.path}: no rotation has been run with it",
                hint="pass --journal PATH or set CCAT_JOURNAL to the journal of the rotation",
            )
        document, holder = journal.observe()
    except CcatError as exc:
        return terminal.fail(exc)
    if args.json:
        terminal.print_raw(json_text(journal_json(document, lock_held=holder is not None)))
        return 0
    run = document.current
    if run is None:
        out.print(f"The journal {shown(str(journal.path))} records no rotation.")
        for line in revocation_lines(document):
            out.print(line)
        return 0
    described = None if holder is None else holder.describe()
    live = described is not None and run.state == "running"
    out.print(journal_header(run, str(journal.path), described))
    out.print(journal_targets(run))
    for note in journal_notes(run, live=live):
        out.print(note)
    out.print(resume_forecast(run, described))
    if run.state != "completed" and not live:  # the forecast of a live run says it
        out.print(BOTH_TOKENS)
    if args.graph.exists():
        try:
            changed = load_graph(args.graph, run.org).sha256 != run.graph.sha256
        except CcatError:
            changed = False  # a graph that does not load says nothing of this run
        if changed:
            out.print(
                f"note: {shown(str(args.graph))} changed since this run started; --resume "
                "also sets repositories added to it"
            )
    if document.history:
        count = plural(len(document.history), "earlier run")
        out.print(f"{count} in the history (`--json` shows them).")
    for line in revocation_lines(document):
        out.print(line)
    return 0
