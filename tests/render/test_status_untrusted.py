"""Every output of `ccat pat status` under GitHub Actions, for records full of hostile text
(issue 14, defect 1): the table and its footer at any width, the stderr lines, the hint,
the JSON, the Markdown and the step summary, and the workflow commands. Read as the
Actions runner reads them, the only commands are the tool's own annotations, and none
of their data carries a command; read as GitHub renders Markdown, the server's text is
shown literally. The renderers alone are checked here (no stream guard): the doors
must hold by themselves.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ccat.pat.status import Outlook, SecretStatus, StatusReport, StatusWarning
from ccat.pat.status.warnings import WarningKind
from ccat.render.status import check_hint, status_json, status_screen, stderr_lines
from ccat.render.status_ci import status_markdown, step_summary, workflow_commands
from ccat.render.text import screen, shown
from tests.support.actions_runner import assert_no_forged_command
from tests.support.github_markdown import render
from tests.support.screen_width import render as drawn
from tests.support.untrusted_text import hostile, hostile_header, repository_name

KINDS: tuple[WarningKind, ...] = ("missed", "changed", "age", "shadowed")
MARKDOWN_TAGS = {"h3", "p", "ul", "li", "code", "table", "thead", "tbody", "tr", "th", "td"}
MARKDOWN_TAGS.add("strong")


@st.composite
def reports(draw: st.DrawFn) -> tuple[StatusReport, Outlook]:
    """A status whose every server-controlled field (errors, the organisation's error,
    X-Accepted-GitHub-Permissions) and every journal-made warning is hostile; names
    as the graph allows them."""
    names = draw(st.lists(repository_name, min_size=1, max_size=6, unique_by=str.lower))
    results = []
    warnings: dict[str, tuple[StatusWarning, ...]] = {}
    for name in names:
        repository = f"ccatobs/{name}"
        state = draw(st.sampled_from(["present", "missing", "error"]))
        results.append(
            SecretStatus(
                repository,
                state,  # type: ignore[arg-type]
                updated_at="2026-01-01T00:00:00Z" if state == "present" else None,
                error=draw(hostile) if state == "error" else None,
                http_status=draw(st.sampled_from([None, 403, 404, 500])),
                org_error=draw(st.none() | hostile) if state == "missing" else None,
                accepted_permissions=draw(st.none() | hostile_header),
                connection_hint=draw(st.none() | hostile) if state == "error" else None,
            )
        )
        kinds = draw(st.lists(st.sampled_from(KINDS), max_size=2, unique=True))
        if kinds:
            warnings[repository] = tuple(StatusWarning(kind, draw(hostile)) for kind in kinds)
    token = tuple(StatusWarning("expiry", draw(hostile)) for _ in range(draw(st.integers(0, 1))))
    outlook = Outlook(
        repositories=warnings,
        token_warnings=token,
        safe_to_revoke=draw(st.none() | hostile),
    )
    report = StatusReport("GH_PAT", "ccatobs", "2026-11-25T19:00:00Z", tuple(results))
    return report, outlook


def untrusted(report: StatusReport, outlook: Outlook) -> list[str]:
    """Every hostile text of the records."""
    texts = [r.error for r in report.results] + [r.org_error for r in report.results]
    texts += [w.message for r in report.results for w in outlook.of(r.repository)]
    texts += [w.message for w in outlook.token_warnings] + [outlook.safe_to_revoke]
    return [text for text in texts if text]


@settings(max_examples=300)
@given(reports(), st.sampled_from([40, 80, 120]))
def test_every_status_output_under_github_actions_holds_only_our_commands(
    case: tuple[StatusReport, Outlook], width: int
) -> None:
    report, outlook = case
    commands = workflow_commands(report, outlook)
    table = drawn(status_screen(report, outlook, width), width)
    stderr = drawn(stderr_lines(report, outlook, width), width)
    hint = check_hint(report)
    if hint is not None:  # printed as the command prints it, through the markup door
        stderr += drawn([f"[dim]hint:[/] {shown(hint)}"], width)
    # As the command prints them: the table then the commands on stdout; with JSON or
    # Markdown on stdout, the commands go to stderr.
    for stdout, err in (
        (table + "\n".join(commands) + "\n", stderr),
        (status_json(report, outlook), stderr + "\n".join(commands) + "\n"),
        (status_markdown(report, outlook), stderr + "\n".join(commands) + "\n"),
    ):
        ours = assert_no_forged_command(stdout, err)
        assert len(ours) == len(commands)
    json.loads(status_json(report, outlook))


@settings(max_examples=300)
@given(reports(), st.sampled_from([400, 4000, 1024 * 1024]))
def test_the_markdown_shows_every_server_text_literally(
    case: tuple[StatusReport, Outlook], room: int
) -> None:
    report, outlook = case
    full = status_markdown(report, outlook)
    page = render(full)
    assert set(page.tags) <= MARKDOWN_TAGS, page.tags
    # A code span broken across lines shows a space where the line broke.
    code = [" ".join(span.split("\n")) for span in page.code]
    for text in untrusted(report, outlook):
        assert any(screen(text) in span for span in code) or screen(text) in page.text
    # The step summary: within the room left, or none; as plain as the full report.
    summary = step_summary(report, outlook, room)
    if summary is not None:
        assert summary == full or len(summary.encode()) <= room
        assert set(render(summary).tags) <= MARKDOWN_TAGS
