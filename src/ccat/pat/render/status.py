"""`ccat pat status` in each of its forms: the table with its footer, JSON, Markdown, and
GitHub Actions workflow commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich import box
from rich.table import Table

from ccat.pat.early_warnings import Outlook, StatusWarning
from ccat.pat.render.text import NONE, json_text, plural, shown
from ccat.pat.status import SecretStatus, StatusReport
from ccat.pat.untrusted import clean

KIND_ORDER = ("expiry", "missed", "changed", "age", "shadowed")
KIND_TITLE = {
    "expiry": "token expiry",
    "missed": "missed the last rotation",
    "changed": "changed since the last rotation",
    "age": "older than the rotation cadence",
    "shadowed": "shadows an organisation secret",
}


def _state(result: SecretStatus) -> str:
    if result.state == "present":
        return "[green]✓ org secret[/]" if result.via == "organization" else "[green]✓ present[/]"
    if result.state == "missing":
        return "[red]✗ missing[/]"
    return f"[yellow]! error: {shown(result.error or 'unknown error')}[/]"


def _notes(result: SecretStatus, outlook: Outlook) -> str:
    kinds: list[str] = [w.kind for w in outlook.of(result.repository)]
    if result.org_error:
        kinds.append("org not checked")
    return shown(", ".join(kinds)) if kinds else ""


def status_table(report: StatusReport, outlook: Outlook) -> Table:
    """The runbook's table (rounded box): Repository, Secret present, Last rotated, and
    Notes naming each warning (the footer explains them)."""
    table = Table(
        box=box.ROUNDED,
        title=f"{shown(report.secret)} in {shown(report.org)}",
        title_justify="left",
    )
    table.add_column("Repository", overflow="fold", ratio=3)
    table.add_column("Secret present", ratio=3)
    table.add_column("Last rotated", no_wrap=True, min_width=10)
    notes = any(outlook.of(r.repository) or r.org_error for r in report.results)
    if notes:
        table.add_column("Notes", ratio=2)
    for result in report.results:
        row = [shown(result.repository), _state(result), shown(result.updated_at)]
        table.add_row(*row, *([_notes(result, outlook)] if notes else []))
    return table


def _grouped(outlook: Outlook) -> Iterable[tuple[str, list[tuple[str | None, StatusWarning]]]]:
    by_kind: dict[str, list[tuple[str | None, StatusWarning]]] = {}
    for warning in outlook.token_warnings:
        by_kind.setdefault(warning.kind, []).append((None, warning))
    for repository, warnings in outlook.repositories.items():
        for warning in warnings:
            by_kind.setdefault(warning.kind, []).append((repository, warning))
    for kind in KIND_ORDER:
        if kind in by_kind:
            yield kind, by_kind[kind]


def status_footer(report: StatusReport, outlook: Outlook) -> list[str]:
    """One block per kind of warning, the organisation notes, then the summary line."""
    lines: list[str] = []
    for kind, items in _grouped(outlook):
        lines.append(f"[yellow]⚠ {KIND_TITLE[kind]}[/] ({len(items)}):")
        for repository, warning in items:
            where = f"{shown(repository)}: " if repository else ""
            lines.append(f"  {where}{shown(warning.message)}")
    unchecked = [r for r in report.results if r.org_error]
    if unchecked:
        lines.append(
            f"[yellow]⚠ organisation secrets not checked[/] ({len(unchecked)}): "
            f"{shown(unchecked[0].org_error)}; missing may mean served by the organisation"
        )
    if outlook.safe_to_revoke:
        lines.append(f"[green]✓[/] {shown(outlook.safe_to_revoke)}")
    lines.append(status_summary(report, outlook))
    return lines


def status_summary(report: StatusReport, outlook: Outlook) -> str:
    """One line an operator can read at a glance (and grep in CI logs)."""
    present = report.count("present")
    via_org = sum(1 for r in report.results if r.via == "organization")
    parts = [f"{present} present" + (f" ({via_org} through the organisation)" if via_org else "")]
    parts.append(f"{report.count('missing')} missing")
    if report.count("error"):
        parts.append(plural(report.count("error"), "error"))
    if outlook.count:
        parts.append(plural(outlook.count, "warning"))
    verdict = "[green]OK[/]" if report.ok else "[bold red]NOT OK[/]"
    return (
        f"{verdict}: {shown(report.secret)} — {', '.join(parts)} "
        f"({plural(len(report.results), 'repository', 'repositories')}, "
        f"checked {report.checked_at})"
    )


def _warning_json(warning: StatusWarning) -> dict[str, str]:
    return {"kind": warning.kind, "message": clean(warning.message, None)}


def status_document(report: StatusReport, outlook: Outlook) -> dict[str, Any]:
    """The `--format json` document of SPEC §3 and §9."""
    token = outlook.token
    return {
        "secret": report.secret,
        "org": report.org,
        "checked_at": report.checked_at,
        "token": None
        if token is None
        else {
            "run_id": token.run_id,
            "login": token.login,
            "kind": token.kind,
            "expires_at": token.expires_at,
            "days_left": token.days_left,
        },
        "warnings": [_warning_json(w) for w in outlook.token_warnings],
        "safe_to_revoke": outlook.safe_to_revoke is not None,
        "repositories": [
            {
                "repository": result.repository,
                "state": result.state,
                "via": result.via,
                "updated_at": result.updated_at,
                "error": result.error,
                "warnings": [_warning_json(w) for w in outlook.of(result.repository)],
            }
            for result in report.results
        ],
    }


def status_json(report: StatusReport, outlook: Outlook) -> str:
    """`status_document` as indented JSON."""
    return json_text(status_document(report, outlook))


def _md(text: str | None) -> str:
    """Untrusted text for a Markdown table cell: no control characters, pipes or markup."""
    if text is None:
        return NONE
    cleaned = clean(text, None)
    for char in "\\`*_[]<>|":
        cleaned = cleaned.replace(char, "\\" + char)
    return cleaned


def status_markdown(report: StatusReport, outlook: Outlook) -> str:
    """The report as a GitHub-flavoured Markdown table, then the warnings as a list."""
    icon = {"present": "✅", "missing": "❌", "error": "⚠️"}
    lines = [
        f"### {_md(report.secret)} in {_md(report.org)}",
        "",
        "| Repository | Secret present | Last rotated | Notes |",
        "|---|---|---|---|",
    ]
    for result in report.results:
        state = {"present": "present", "missing": "missing"}.get(result.state, "error")
        if result.via == "organization":
            state = "org secret"
        if result.state == "error":
            state = f"error: {result.error or 'unknown error'}"
        notes = ", ".join(w.kind for w in outlook.of(result.repository))
        lines.append(
            f"| {_md(result.repository)} | {icon[result.state]} {_md(state)} | "
            f"{_md(result.updated_at)} | {_md(notes) if notes else ''} |"
        )
    lines.append("")
    for kind, items in _grouped(outlook):
        lines.append(f"**{KIND_TITLE[kind]}**")
        lines.append("")
        for repository, warning in items:
            where = f"`{_md(repository)}`: " if repository else ""
            lines.append(f"- {where}{_md(warning.message)}")
        lines.append("")
    if outlook.safe_to_revoke:
        lines += [f"✅ {_md(outlook.safe_to_revoke)}", ""]
    lines.append(
        f"{report.count('present')} present, {report.count('missing')} missing, "
        f"{report.count('error')} errors, {outlook.count} warnings; checked {report.checked_at}."
    )
    return "\n".join(lines) + "\n"


def _command_data(text: str) -> str:
    """Escape a workflow command's message as the Actions runner expects."""
    return clean(text, None).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(report: StatusReport, outlook: Outlook) -> list[str]:
    """One `::error` per missing or unchecked repository and one `::warning` per
    repository with warnings (and one for the token), for GitHub Actions' annotations."""
    secret = report.secret
    commands: list[str] = []
    for warning in outlook.token_warnings:
        title = _command_property(f"{secret} token expiry")
        commands.append(f"::warning title={title}::{_command_data(warning.message)}")
    for result in report.results:
        if result.state == "missing":
            title = _command_property(f"{secret} missing")
            text = f"{result.repository}: {secret} is not set"
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


def check_hint(report: StatusReport) -> str | None:
    """For exit code 3: is the *checking* credential the problem, or some repositories?"""
    errors = [r for r in report.results if r.state == "error"]
    if not errors:
        return None
    statuses = {r.http_status for r in errors}
    everywhere = len(errors) == len(report.results)
    if statuses == {401}:
        return (
            "GitHub rejected the operator credential (HTTP 401): it is the checking "
            "credential that is wrong, not GH_PAT; check GH_TOKEN / GITHUB_TOKEN or run "
            "`gh auth login`"
        )
    if statuses == {403} and everywhere:
        return (
            "every repository answered 403: the operator credential (which checks) lacks "
            "permission, not GH_PAT; it needs 'Secrets: read' (fine-grained) or the repo "
            "scope (classic) on these repositories"
        )
    if statuses <= {404, 403} and everywhere:
        return (
            "no repository could be read: the operator credential may not see them, or "
            "--org/--graph name the wrong ones"
        )
    return (
        f"{plural(len(errors), 'repository', 'repositories')} could not be checked (see "
        "the table); the others were"
    )
