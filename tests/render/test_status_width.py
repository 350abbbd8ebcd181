"""The status screens at 80 and 120 columns (issue 10.1 for `status`): the table with
errors, a repository name of 100 characters, every kind of warning and organisation
secrets, its footer, and `--format markdown` — no line wider than the terminal, no word
split across lines (`tests/support/screen_width.py` says exactly what that means).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ccat.cli import app
from ccat.pat.github import open_client
from ccat.pat.settings import ClientSettings
from ccat.pat.status import Outlook, StatusOptions, StatusReport, assess, relevant_runs, run_status
from ccat.pat.stores import StoreSelection
from ccat.render.status import status_screen
from ccat.render.status_ci import status_markdown
from tests.support.scene import LONG_NAME, NAMES, Scene, full
from tests.support.screen_width import assert_fits, render

pytestmark = pytest.mark.anyio

NOW = datetime.now(UTC).replace(microsecond=0)
WIDE = 1000  # nothing wraps


@pytest.fixture
def now() -> datetime:
    return NOW


async def checked(scene: Scene) -> tuple[StatusReport, Outlook]:
    """The scene's status, through the engine, and its warnings as of NOW."""
    settings = ClientSettings(api_url=scene.hub.url, token=scene.operator_token, budget=0)
    report = await run_status(
        StatusOptions(
            connect=lambda: open_client(settings),
            repositories=[full(name) for name in NAMES],
            secret="GH_PAT",
            org="ccatobs",
            clock=lambda: NOW,
            stores=StoreSelection(),
        )
    )
    runs = relevant_runs([scene.run], secret="GH_PAT", org="ccatobs", api_url=scene.hub.url)
    return report, assess(report, runs, NOW)


def is_table_row(line: str) -> bool:
    return line.startswith("|")


def markdown_exempt(width: int) -> Callable[[str], bool]:
    """A Markdown table row cannot wrap, nor can a word wider than a line (Markdown
    would render a break inside it as a space)."""
    return lambda line: is_table_row(line) or any(len(word) > width // 2 for word in line.split())


async def test_the_scene_has_every_kind_of_warning_at_once(scene: Scene) -> None:
    report, outlook = await checked(scene)
    kinds = {w.kind for w in outlook.token_warnings}
    kinds |= {w.kind for r in report.results for w in outlook.of(r.repository)}
    assert kinds == {"expiry", "age", "missed", "changed", "shadowed"}
    assert {r.state for r in report.results} == {"present", "missing", "error"}
    assert any(r.via == "organization" for r in report.results)
    # The organisation's list decides every fallback; copies in two other stores.
    assert report.org_secret.listed
    assert {c.name for r in report.results for c in r.copies} == {
        "dependabot",
        "environment:production",
    }
    assert max(len(r.repository) for r in report.results) == len("ccatobs/") + 100


@pytest.mark.parametrize("width", [80, 120])
async def test_the_table_and_its_footer_fit(scene: Scene, width: int) -> None:
    report, outlook = await checked(scene)
    narrow = render(status_screen(report, outlook, width), width)
    wide = render(status_screen(report, outlook, WIDE), WIDE)
    assert_fits(narrow, wide, width)
    lines = narrow.splitlines()
    # The table keeps its shape: a rounded box with four columns on every line.
    table = lines[lines.index(next(line for line in lines if line.startswith("╭"))) :]
    table = table[: next(i for i, line in enumerate(table) if line.startswith("╰")) + 1]
    assert all(line.count("│") == 5 for line in table[1:-1] if not line.startswith("├"))
    assert len({len(line) for line in table}) == 1
    # Typical names and every state stay on one line.
    for text in ("ccatobs/system-integration", "✓ org secret", "✗ missing", "Last rotated"):
        assert any(text in line for line in table), text


@pytest.mark.parametrize("width", [80, 120])
async def test_markdown_fits_except_its_table_rows(scene: Scene, width: int) -> None:
    report, outlook = await checked(scene)
    narrow = status_markdown(report, outlook, width)
    wide = status_markdown(report, outlook, WIDE)
    assert_fits(narrow, wide, width, exempt=markdown_exempt(width))
    # Markdown renders a line break as a space: prose breaks between words only.
    assert narrow.split() == wide.split()
    rows = [line for line in narrow.splitlines() if is_table_row(line)]
    # Header, rule, one per repository and one per copy in another store: never wrapped.
    assert len(rows) == 2 + len(NAMES) + 2
    assert any(LONG_NAME in row for row in rows)


async def test_a_screen_without_notes_fits_and_keeps_its_natural_widths(scene: Scene) -> None:
    report, _ = await checked(scene)
    plain = Outlook()  # no warnings: no Notes column
    fine = [r for r in report.results if r.repository == full(NAMES[0])]
    small = StatusReport(report.secret, report.org, report.checked_at, tuple(fine))
    narrow = render(status_screen(small, plain, 80), 80)
    assert narrow == render(status_screen(small, plain, WIDE), WIDE)  # it fits as it is
    assert "Notes" not in narrow
    wide = render(status_screen(report, plain, WIDE), WIDE)
    assert_fits(render(status_screen(report, plain, 80), 80), wide, 80)


def test_the_command_fits_an_80_column_terminal(scene: Scene, tmp_path: Path) -> None:
    env = {
        "GH_TOKEN": scene.operator_token,
        "COLUMNS": "80",
        "GITHUB_ACTIONS": None,
        "XDG_STATE_HOME": str(tmp_path),
    }
    result = CliRunner().invoke(app, scene.status_args(), env=env)
    assert result.exit_code == 1, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "ccatobs/system-integration" in result.stdout
