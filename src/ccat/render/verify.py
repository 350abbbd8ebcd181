"""`ccat pat verify` for people and programs: the token's line, the table of what it
reaches, the footer (one block per kind, one line per cause), the hints, the summary
line, and the JSON document. Markdown and GitHub Actions output are in `verify_ci`.

Everything GitHub said (a login, a message, a scope, an expiry header) goes through a
door of `ccat.render.text`; sentences that mix ours and GitHub's go through as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from ccat.pat.github import INSTALLATION_LOGIN
from ccat.pat.reach import POLICY_HINT, access_hint_text
from ccat.pat.verification import Reach, TokenWarning, VerifyReport, days_left
from ccat.render.causes import Cause, group
from ccat.render.status import cause_lines
from ccat.render.status_layout import Column, break_name, fit_widths, longest_piece, wrap
from ccat.render.text import json_text, plural, screen

HEADERS = ("Repository", "Token")
# The symbol, style and title of each block of the footer, in the order shown.
_BLOCKS = {
    "unreachable": ("✗", "red", "the token cannot read Actions here"),
    "error": ("!", "yellow", "could not be checked"),
}
_SCOPES_HINT = (
    "edit the token on GitHub (Settings > Developer settings > Personal access tokens) to "
    "add the repo and workflow scopes, or use a fine-grained token"
)
_REJECTED_HINT = (
    "create a new token and rotate it into every repository (`ccat pat rotate`); a token "
    "GitHub rejects is expired, revoked, or was mistyped into the secret"
)


def reach_cell(result: Reach) -> str:
    """The `Token` cell: `✓ reads Actions`, `✗ HTTP 404`, `! no answer`, `not checked`."""
    if result.state == "reachable":
        return "✓ reads Actions"
    if result.state == "not checked":
        return "— not checked"
    status = f"HTTP {result.http_status}" if result.http_status else None
    if result.state == "unreachable":
        return f"✗ {status or 'no access'}"
    return f"! {status or 'no answer'}"


_CELL_STYLE = {"reachable": "green", "unreachable": "red", "error": "yellow", "not checked": ""}


@dataclass(frozen=True)
class TokenLine:
    """The token's line in parts, so that each medium puts GitHub's words (the login, an
    error, the scopes, an unreadable expiry) through its own door: each part is text
    and whether it is GitHub's."""

    parts: tuple[tuple[str, bool], ...]

    @property
    def plain(self) -> str:
        """The whole line as plain text (still to go through a door)."""
        return "".join(text for text, _ in self.parts)


def token_line(report: VerifyReport) -> TokenLine:
    """Who the token is and when it expires, or why that is not known."""
    token = report.token
    source = f"Token from {report.source}: "
    if token.state == "rejected":
        return TokenLine(
            (
                (f"{source}rejected by GitHub (", False),
                (token.error or "HTTP 401", True),
                (")", False),
            )
        )
    if token.state == "error":
        return TokenLine(
            (
                (f"{source}could not be checked (", False),
                (token.error or "no answer", True),
                (")", False),
            )
        )
    if token.expiry_unreadable is not None:
        expiry = ", its expiry is unknown"
    elif token.expires_at is None:
        expiry = ", GitHub sent no expiry date"
    else:
        expiry = f", expires {token.expires_at[:10]}"
    if token.installation_repositories is not None:
        reaches = plural(token.installation_repositories, "repository", "repositories")
        return TokenLine(((f"{source}{INSTALLATION_LOGIN} (reaching {reaches}){expiry}", False),))
    parts = [(source, False), (token.login or "", True), (f" ({token.kind}){expiry}", False)]
    if token.scopes is not None:
        parts += [("; scopes: ", False), (", ".join(token.scopes) or "none", True)]
    return TokenLine(tuple(parts))


def expiry_text(report: VerifyReport, now: datetime) -> str | None:
    """`in 9 days`, `expired 2 days ago`: said beside the expiry date."""
    left = days_left(report.token.expires_at, now)
    if left is None:
        return None
    if left < 0:
        return f"expired {plural(-left, 'day')} ago"
    return "within a day" if left == 0 else f"in {plural(left, 'day')}"


def verify_table(report: VerifyReport, width: int | None = None) -> Table:
    """One row per repository: its name and whether the token reads its Actions. With
    `width`, fitted to it (names break only after `-`, `_`, `.` or `/`)."""
    rows = [(screen(r.repository), reach_cell(r)) for r in report.results]
    widths = None
    if width is not None:
        cells = [HEADERS, *rows]
        names = [row[0] for row in cells]
        states = [row[1] for row in cells]
        columns = [
            Column(max(map(len, names)), max(map(longest_piece, names)), 9, 40),
            Column(max(map(len, states)), max(map(len, states)), 1),
        ]
        widths = fit_widths(columns, width)
    table = Table(box=box.ROUNDED)
    for index, header in enumerate(HEADERS):
        fixed = None if widths is None else widths[index]
        table.add_column(header, width=fixed, no_wrap=index == 1, overflow="fold")
    for result, (name, cell) in zip(report.results, rows, strict=True):
        shown_name = name if widths is None else break_name(name, widths[0])
        table.add_row(Text(shown_name), Text(cell, style=_CELL_STYLE[result.state]))
    return table


def footer_blocks(
    report: VerifyReport, warnings: tuple[TokenWarning, ...]
) -> list[tuple[str, str, str, list[Cause]]]:
    """(symbol, style, title, causes) per block of the footer: the token's problems
    (rejected, missing scopes), the repositories it cannot reach, those not checked,
    then the warnings."""
    blocks: list[tuple[str, str, str, list[Cause]]] = []
    token = report.token
    if token.state == "rejected":
        text = (
            f"GitHub rejected the token from {report.source} ({token.error or 'HTTP 401'}): "
            "it is expired, revoked or mistyped, and CI fails wherever it is used"
        )
        blocks.append(("✗", "red", "token rejected", [Cause(text)]))
    if token.state == "error":
        text = f"GET /user: {token.error or 'no answer'}; no repository was checked"
        blocks.append(("!", "yellow", "token not checked", [Cause(text)]))
    if token.missing_scopes:
        missing = " and ".join(token.missing_scopes)
        text = (
            f"a classic token without the scope{'s' if len(token.missing_scopes) > 1 else ''} "
            f"{missing} (it has: {', '.join(token.scopes or ()) or 'none'})"
        )
        blocks.append(("✗", "red", "missing scopes", [Cause(text)]))
    for state, (symbol, style, title) in _BLOCKS.items():
        failed = [r for r in report.results if r.state == state]
        if failed:
            causes = group((r.repository, r.error or "unknown error") for r in failed)
            blocks.append((symbol, style, f"{title} ({len(failed)})", causes))
    for warning in warnings:
        blocks.append(("⚠", "yellow", f"token {warning.kind}", [Cause(warning.message)]))
    return blocks


def verify_verdict(report: VerifyReport, warnings: tuple[TokenWarning, ...]) -> str:
    """`OK` only when the token is valid and reaches every repository."""
    return "OK" if not report.problems and not report.unchecked else "NOT OK"


def verify_summary(report: VerifyReport, warnings: tuple[TokenWarning, ...]) -> str:
    """One line to read at a glance (and grep in CI logs)."""
    total = len(report.results)
    repositories = plural(total, "repository", "repositories")
    if report.token.state == "rejected":
        what = "rejected by GitHub"
    elif report.token.state == "error":
        what = "not checked"
    elif report.count("reachable") == total:
        what = "valid, reads Actions in " + (
            "the one repository" if total == 1 else f"all {repositories}"
        )
    else:
        what = f"reads Actions in {report.count('reachable')} of {repositories}"
        if report.count("error"):
            what += f", {report.count('error')} not checked"
    if report.token.missing_scopes:
        what += f", missing {plural(len(report.token.missing_scopes), 'scope')}"
    if warnings:
        what += f", {plural(len(warnings), 'warning')}"
    verdict = verify_verdict(report, warnings)
    return screen(
        f"{verdict}: the token from {report.source} — {what} (checked {report.checked_at})"
    )


@dataclass(frozen=True)
class Hint:
    """What to do: our sentence, and what GitHub (or the connection) said to go with
    it, through the medium's door (None: nothing)."""

    text: str
    theirs: str | None = None

    @property
    def plain(self) -> str:
        """The whole hint as plain text (still to go through a door)."""
        return self.text if self.theirs is None else f"{self.text}: {self.theirs}"


def verify_hints(report: VerifyReport) -> list[Hint]:
    """What to do, each distinct hint once."""
    hints: list[Hint] = []
    token = report.token
    if token.state == "rejected":
        hints.append(Hint(_REJECTED_HINT))
    if token.state == "error" and token.connection_hint:
        hints.append(Hint("no answer came from GitHub", token.connection_hint))
    if token.missing_scopes:
        hints.append(Hint(_SCOPES_HINT))
    if report.held_by_policy:
        hints.append(Hint(POLICY_HINT))
    unreachable = [r for r in report.results if r.state == "unreachable"]
    if unreachable:
        needs = sorted({r.accepted_permissions for r in unreachable if r.accepted_permissions})
        if needs:
            hints.append(Hint(f"{access_hint_text(None)}; GitHub says it needs", ", ".join(needs)))
        else:
            hints.append(Hint(access_hint_text(None)))
    for connection in dict.fromkeys(r.connection_hint for r in report.results):
        if connection:
            hints.append(Hint("some repositories gave no answer", connection))
    return hints


def verify_screen(
    report: VerifyReport, warnings: tuple[TokenWarning, ...], now: datetime, width: int
) -> list[Table | Text]:
    """What `verify` prints for a terminal `width` cells wide: the token's line, the
    table (unless no repository was asked), the footer and the summary line."""
    line = token_line(report).plain
    left = expiry_text(report, now) if report.token.state == "valid" else None
    if left is not None and report.token.expiry_unreadable is None:
        line += f" ({left})"
    parts: list[Table | Text] = [Text(text) for text in wrap(screen(line), width)]
    if report.count("not checked") < len(report.results):
        parts.append(verify_table(report, width))
    for symbol, style, title, causes in footer_blocks(report, warnings):
        parts.extend(Text(text, style=style) for text in wrap(screen(f"{symbol} {title}:"), width))
        for cause in causes:
            parts.extend(Text(text) for text in cause_lines(cause, width))
    summary = wrap(verify_summary(report, warnings), width)
    verdict = verify_verdict(report, warnings)
    first = Text(summary[0])
    first.stylize("green" if verdict == "OK" else "bold red", 0, len(verdict))
    return [*parts, first, *map(Text, summary[1:])]


def verify_document(
    report: VerifyReport, warnings: tuple[TokenWarning, ...], now: datetime
) -> dict[str, Any]:
    """The `--format json` document."""
    token = report.token
    return {
        "token_source": report.source,
        "org": report.org,
        "checked_at": report.checked_at,
        "ok": verify_verdict(report, warnings) == "OK",
        "token": {
            "state": token.state,
            "login": token.login,
            "kind": token.kind,
            "installation": token.installation_repositories is not None,
            "expires_at": token.expires_at,
            "days_left": days_left(token.expires_at, now),
            "expiry_unreadable": token.expiry_unreadable,
            "scopes": None if token.scopes is None else list(token.scopes),
            "missing_scopes": list(token.missing_scopes),
            "error": token.error,
        },
        "warnings": [{"kind": w.kind, "message": w.message} for w in warnings],
        "repositories": [
            {
                "repository": result.repository,
                "state": result.state,
                "http_status": result.http_status,
                "error": result.error,
                "accepted_permissions": result.accepted_permissions,
            }
            for result in report.results
        ],
        "hints": [hint.plain for hint in verify_hints(report)],
    }


def verify_json(report: VerifyReport, warnings: tuple[TokenWarning, ...], now: datetime) -> str:
    """`verify_document` as indented JSON, through the JSON door."""
    return json_text(verify_document(report, warnings, now))
