"""`ccat pat status` for people: the table, its footer, the stderr summary, the JSON
document and the hint of exit code 3. Markdown and GitHub Actions output are in
`status_ci`.

The table stays short: a state and, for an error, a short reason in `Secret present`;
one word per warning in `Notes`. The footer below it says everything in full sentences,
one block per kind, wrapped to the terminal's width; a message that many repositories
share (nine behind one dead host) is said once, with their count and names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from ccat.pat.status import Outlook, SecretStatus, StatusReport, StatusWarning
from ccat.pat.stores import Copy
from ccat.pat.stores.selection import FINE_GRAINED, PERMISSIONS, Family
from ccat.pat.untrusted import clean
from ccat.render.causes import Cause, group, names
from ccat.render.status_layout import (
    Column,
    break_name,
    fit_widths,
    longest_piece,
    longest_word,
    wrap,
)
from ccat.render.text import NONE, json_text, plural, screen
from ccat.render.unfinished import (
    unfinished_document,
    unfinished_screen_lines,
    unfinished_stderr_lines,
)

KIND_ORDER = ("expiry", "missed", "changed", "age", "shadowed")
KIND_TITLE = {
    "expiry": "token expiry",
    "missed": "missed the last rotation",
    "changed": "changed since the last rotation",
    "age": "older than the rotation cadence",
    "shadowed": "shadows an organisation secret",
}
ORG_UNCHECKED = "org unchecked"  # the Notes word for organisation secrets not checked
HEADERS = ("Repository", "Secret present", "Last rotated", "Notes")
# A repository name up to this wide is worth narrowing the other columns for.
NAME_COMFORT = 40


def error_reason(result: SecretStatus) -> str:
    """The few words of an error that fit the table; the footer gives GitHub's message."""
    if result.http_status == 404:
        return "not found"
    if result.http_status is None:
        return "no answer"
    if result.http_status >= 400:
        return f"HTTP {result.http_status}"
    return "bad answer"


def state_text(result: SecretStatus) -> Text:
    """The `Secret present` cell: `✓ present`, `✓ org secret`, `✗ missing`, `! error: …`."""
    if result.state == "present":
        label = "✓ org secret" if result.via == "organization" else "✓ present"
        return Text(label, style="green")
    if result.state == "missing":
        return Text("✗ missing", style="red")
    return Text(f"! error: {error_reason(result)}", style="yellow")


def note_words(result: SecretStatus, outlook: Outlook) -> list[str]:
    """The `Notes` cell's words for the repository's row (its Actions copy): each
    warning's kind, and whether the organisation's secrets could not be checked."""
    words: list[str] = [w.kind for w in outlook.of(result.repository) if w.store is None]
    return [*words, ORG_UNCHECKED] if result.org_error else words


def copy_note_words(result: SecretStatus, copy: Copy, outlook: Outlook) -> list[str]:
    """The `Notes` cell's words for a copy's own line: its warnings' kinds."""
    return [w.kind for w in outlook.of(result.repository) if w.store == copy.name]


COPY_MARK = "  ↳ "


def copy_label(copy: Copy) -> str:
    """A copy's line in the Repository column: `↳ dependabot`, `↳ env production`."""
    if copy.store is not None and copy.store.environment is not None:
        return f"{COPY_MARK}env {copy.store.environment}"
    return COPY_MARK + copy.name


def copy_state(copy: Copy) -> str:
    """A copy's state cell: `✓ present`, `! not checked`, `! error: HTTP 500`."""
    if copy.state == "present":
        return "✓ present"
    if copy.state == "not checked":
        return "! not checked"
    code = copy.http_status
    return f"! error: {'no answer' if code is None else f'HTTP {code}'}"


Row = tuple[str, Text, str, str]


def unread_everywhere(report: StatusReport) -> set[str]:
    """The stores (`dependabot`, `environments`) the credential could read in no
    repository: said once below the table, not on a line per repository."""
    if not report.results:
        return set()
    unread: set[str] = set()
    for family in ("dependabot", "environments"):
        if all(
            any(c.state == "not checked" and copy_family(c) == family for c in r.copies)
            for r in report.results
        ):
            unread.add(family)
    return unread


def copy_family(copy: Copy) -> str:
    """The family of a copy's store: `dependabot` or `environments`."""
    return "dependabot" if copy.name == "dependabot" else "environments"


def table_rows(
    result: SecretStatus, outlook: Outlook, hidden: set[str] | frozenset[str] = frozenset()
) -> list[Row]:
    """The repository's row, then one line per copy in another store (SPEC §10): the
    store's name under the repository's, so that a person sees at a glance that it
    has a `production` copy. Cells are screen text."""
    rows: list[Row] = [
        (
            screen(result.repository),
            state_text(result),
            screen(result.updated_at) if result.updated_at else NONE,
            ", ".join(note_words(result, outlook)),
        )
    ]
    for copy in result.copies:
        if copy.state == "not checked" and copy_family(copy) in hidden:
            continue
        style = "green" if copy.state == "present" else "yellow"
        rows.append(
            (
                screen(copy_label(copy)),
                Text(copy_state(copy), style=style),
                screen(copy.updated_at) if copy.updated_at else NONE,
                ", ".join(copy_note_words(result, copy, outlook)),
            )
        )
    return rows


def _widths(rows: list[list[str]], width: int | None) -> list[int] | None:
    """Content widths that fit `width`: Notes then Secret present give up room first,
    Last rotated never wraps, and the repository name takes what is left."""
    if width is None:
        return None
    cells = list(zip(*rows, strict=True))
    natural = [max(len(text) for text in column) for column in cells]
    states = [text for text in cells[1][1:] if not text.startswith("! error")]
    floors = [
        min(natural[0], max(len(HEADERS[0]), *map(longest_piece, cells[0]))),
        max(*map(longest_word, cells[1]), *map(len, states)),
        natural[2],
        *([max(map(longest_word, cells[3]))] if len(cells) > 3 else []),
    ]
    orders = [9, 1, 5, 0][: len(cells)]
    columns = [
        Column(natural[i], floors[i], orders[i], NAME_COMFORT if i == 0 else None)
        for i in range(len(cells))
    ]
    return fit_widths(columns, width)


def status_table(report: StatusReport, outlook: Outlook, width: int | None = None) -> Table:
    """The runbook's table (rounded box): Repository, Secret present, Last rotated, and
    Notes when there is any (each warning's kind; the footer explains them); under a
    repository, a line per copy in another store (`↳ dependabot`, `↳ env production`).

    With `width`, the columns are fitted to it: names break only after `-`, `_`, `.`
    or `/`, other cells only at spaces (see `status_layout`)."""
    hidden = unread_everywhere(report)
    every = [row for result in report.results for row in table_rows(result, outlook, hidden)]
    notes = any(row[3] for row in every)
    headers = list(HEADERS if notes else HEADERS[:3])
    rows = [[row[0], row[1].plain, row[2], row[3]][: len(headers)] for row in every]
    widths = _widths([headers, *rows], width)
    table = Table(
        box=box.ROUNDED,
        title=f"{screen(report.secret)} in {screen(report.org)}",
        title_justify="left",
    )
    for index, header in enumerate(headers):
        fixed = None if widths is None else widths[index]
        table.add_column(header, width=fixed, no_wrap=index == 2, overflow="fold")
    for source, row in zip(every, rows, strict=True):
        name = row[0] if widths is None else break_name(row[0], widths[0])
        cells = [Text(name), source[1], Text(row[2]), *map(Text, row[3:])]
        table.add_row(*cells)
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


FooterBlock = tuple[str, str, list[Cause]]


def footer_blocks(report: StatusReport, outlook: Outlook) -> list[FooterBlock]:
    """The footer's content without layout: (symbol, title, causes) per block, in the
    order shown: repositories not checked, each warning kind, organisation secrets not
    checked. Within a block, repositories that share a message make one `Cause`. The
    Markdown form uses the same blocks."""
    blocks: list[FooterBlock] = []
    errors = [r for r in report.results if r.state == "error"]
    if errors:
        causes = group((r.repository, r.error or "unknown error") for r in errors)
        blocks.append(("!", f"could not be checked ({len(errors)})", causes))
    for kind, pairs in _grouped(outlook):
        causes = group((repo, w.message) for repo, w in pairs)
        blocks.append(("⚠", f"{KIND_TITLE[kind]} ({len(pairs)})", causes))
    stores = unchecked_store_causes(report)
    if stores:
        count = sum(len(cause.subjects) for cause in stores)
        blocks.append(("!", f"stores not checked ({count})", stores))
    unchecked = [r for r in report.results if r.org_error]
    if unchecked:
        causes = group(
            (
                r.repository,
                "it may get the secret from the organisation, which could not be asked "
                f"({r.org_error})",
            )
            for r in unchecked
        )
        blocks.append(("⚠", f"organisation secrets not checked ({len(unchecked)})", causes))
    return blocks


_SYMBOL_STYLE = {"!": "yellow", "⚠": "yellow"}


def unchecked_store_causes(report: StatusReport) -> list[Cause]:
    """Copies in other stores that could not be checked, one cause per store family and
    message: a credential that may not read a store is said once, with the permission
    it needs and how to leave the store out knowingly (`--stores`)."""
    pairs: list[tuple[str, str]] = []
    for repository, copy in report.unchecked_copies:
        family: Family = "dependabot" if copy_family(copy) == "dependabot" else "environments"
        if copy.state == "not checked":
            needs = copy.accepted_permissions or PERMISSIONS[family] + "=read"
            text = (
                f"the operator credential cannot read the {family} store (HTTP 403); GitHub "
                f"says it needs {needs} (fine-grained: '{FINE_GRAINED[family]}' read; "
                "classic: the repo scope); to leave the store out knowingly: --stores "
                f"{report.stores.without(family)}"
            )
        else:
            text = f"{copy.name}: {copy.error or 'unknown error'}"
        pairs.append((repository, text))
    return group(pairs)


def cause_lines(cause: Cause, width: int, indent: int = 2) -> list[str]:
    """One cause, wrapped to `width`: `repo: message` for one repository; for several,
    `message — 9 repositories:`, then their names on lines of their own, broken only
    between two names."""
    if len(cause.subjects) <= 1:
        text = f"{cause.subjects[0]}: {cause.text}" if cause.subjects else cause.text
        return wrap(screen(text), width, indent=indent)
    head = wrap(screen(f"{cause.text} — {cause.count}:"), width, indent=indent)
    listed = screen(names(cause.subjects))
    return head + wrap(listed, width, indent=indent + 2, hang=0, markdown=True)


def status_footer(report: StatusReport, outlook: Outlook, width: int = 80) -> list[Text]:
    """Below the table, in full sentences wrapped to `width`: one block per kind (its
    title, then one entry per cause), the safe-to-revoke line when it is true, and the
    summary line."""
    lines: list[Text] = []
    for symbol, title, causes in footer_blocks(report, outlook):
        for line in wrap(screen(f"{symbol} {title}:"), width):
            lines.append(Text(line, style=_SYMBOL_STYLE[symbol]))
        for cause in causes:
            lines.extend(Text(line) for line in cause_lines(cause, width))
    if outlook.safe_to_revoke:
        text = screen(f"✓ {outlook.safe_to_revoke}")
        lines.extend(Text(line, style="green") for line in wrap(text, width))
    summary = wrap(status_summary(report, outlook), width)
    verdict = status_verdict(report, outlook)
    first = Text(summary[0])
    first.stylize("green" if verdict == "OK" else "bold red", 0, len(verdict))
    return [*lines, first, *map(Text, summary[1:])]


def status_screen(report: StatusReport, outlook: Outlook, width: int) -> list[Table | Text]:
    """What `ccat pat status` prints for a terminal `width` cells wide: an unfinished
    rotation first (SPEC §12), then the table, then the footer."""
    first = (
        []
        if outlook.unfinished is None
        else unfinished_screen_lines(outlook.unfinished, report.secret, width)
    )
    return [*first, status_table(report, outlook, width), *status_footer(report, outlook, width)]


def status_verdict(report: StatusReport, outlook: Outlook) -> str:
    """`OK`, `NOT OK` (missing or unchecked), or `UNFINISHED` while a rotation is: never
    an all-clear then (SPEC §12)."""
    if not report.ok or (report.unchecked_copies and report.stores.explicit):
        return "NOT OK"
    return "UNFINISHED" if outlook.unfinished is not None else "OK"


def status_summary(report: StatusReport, outlook: Outlook) -> str:
    """One line an operator can read at a glance (and grep in CI logs)."""
    present = report.count("present")
    via_org = sum(1 for r in report.results if r.via == "organization")
    parts = [f"{present} present" + (f" ({via_org} via the organisation)" if via_org else "")]
    parts.append(f"{report.count('missing')} missing")
    if report.count("error"):
        parts.append(f"{report.count('error')} not checked")
    others = sum(1 for r in report.results for c in r.copies if c.state == "present")
    if others:
        parts.append(f"{plural(others, 'copy', 'copies')} in other stores")
    unread = sorted({copy_family(copy) for _, copy in report.unchecked_copies})
    if unread:
        parts.append(f"{' and '.join(unread)} not checked")
    if outlook.count:
        parts.append(plural(outlook.count, "warning"))
    verdict = status_verdict(report, outlook)
    return screen(
        f"{verdict}: {report.secret} — {', '.join(parts)} "
        f"({plural(len(report.results), 'repository', 'repositories')}, "
        f"checked {report.checked_at})"
    )


def stderr_lines(report: StatusReport, outlook: Outlook, width: int = 80) -> list[Text]:
    """What stderr says of the warnings when stdout carries JSON or Markdown (for a
    program or a file): one line per kind naming the repositories, the token's expiry
    in full, and whether it is safe to revoke; wrapped to `width`."""
    entries: list[tuple[str, str, str]] = []
    for kind, pairs in _grouped(outlook):
        if kind == "expiry":
            entries.extend(("warning:", "yellow", w.message) for _, w in pairs)
            continue
        names = ", ".join(dict.fromkeys(repo or "" for repo, _ in pairs))
        entries.append(("warning:", "yellow", f"{KIND_TITLE[kind]}: {names}"))
    for cause in unchecked_store_causes(report):
        entries.append(("warning:", "yellow", f"{cause.text} ({cause.count})"))
    if outlook.safe_to_revoke:
        entries.append(("✓", "green", outlook.safe_to_revoke))
    lines: list[Text] = (
        []
        if outlook.unfinished is None
        else unfinished_stderr_lines(outlook.unfinished, report.secret, width)
    )
    for label, style, text in entries:
        wrapped = [Text(line) for line in wrap(screen(f"{label} {text}"), width)]
        wrapped[0].stylize(style, 0, len(label))
        lines.extend(wrapped)
    return lines


def _warning_json(warning: StatusWarning) -> dict[str, str | None]:
    return {
        "kind": warning.kind,
        "store": warning.store or "actions",
        "message": clean(warning.message, None),
    }


def _copy_json(copy: Copy) -> dict[str, Any]:
    return {
        "store": copy.name,
        "state": copy.state,
        "updated_at": copy.updated_at,
        "error": copy.error,
    }


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
        "unfinished_run": None
        if outlook.unfinished is None
        else unfinished_document(outlook.unfinished, report.secret),
        "warnings": [_warning_json(w) for w in outlook.token_warnings],
        "safe_to_revoke": outlook.safe_to_revoke is not None,
        "stores": list(report.stores.families),
        "repositories": [
            {
                "repository": result.repository,
                "state": result.state,
                "via": result.via,
                "updated_at": result.updated_at,
                "error": result.error,
                "copies": [_copy_json(c) for c in result.all_copies],
                "warnings": [_warning_json(w) for w in outlook.of(result.repository)],
            }
            for result in report.results
        ],
    }


def status_json(report: StatusReport, outlook: Outlook) -> str:
    """`status_document` as indented JSON."""
    return json_text(status_document(report, outlook))


def check_hint(report: StatusReport, credential: str = "GH_TOKEN") -> str | None:
    """For exit code 3: is the *checking* credential (found in `credential`) the problem,
    the connection, or some repositories? The same 403 everywhere is the checker's
    permission, not the secret's; no answer at all is the connection's fault, never the
    credential's (GitHub never saw it)."""
    errors = [r for r in report.results if r.state == "error"]
    if not errors:
        return None
    statuses = {r.http_status for r in errors}
    everywhere = len(errors) == len(report.results)
    checker = f"the checking credential (the operator's, from {credential})"
    unanswered = [r for r in errors if r.unanswered]
    if len(unanswered) == len(errors):
        where = "no repository" if everywhere else plural(len(errors), "repository", "repositories")
        return (
            f"{where} could be checked because GitHub never answered (see above): it is the "
            f"connection, neither the credential nor {report.secret}; "
            + (unanswered[0].connection_hint or "")
        )
    if statuses == {401}:
        return (
            f"GitHub rejected the operator credential (from {credential}; HTTP 401): it is the "
            f"checking credential that is wrong, not {report.secret}; check GH_TOKEN / "
            "GITHUB_TOKEN or run `gh auth login`"
        )
    if statuses == {403} and everywhere:
        needs = sorted({r.accepted_permissions for r in errors if r.accepted_permissions})
        said = f" (GitHub says it needs: {', '.join(needs)})" if needs else ""
        return (
            f"every repository answered 403: {checker} lacks permission{said}, not "
            f"{report.secret}; it needs 'Secrets: read' (fine-grained) or the repo scope "
            "(classic) on these repositories"
        )
    if statuses <= {404, 403} and everywhere:
        return (
            f"no repository could be read: {checker} may not see them, or --org/--graph "
            "name the wrong ones"
        )
    count = plural(len(errors), "repository", "repositories")
    others = "" if everywhere else "; the others were"
    no_answer = (
        f" ({len(unanswered)} got no answer: check the connection for those)" if unanswered else ""
    )
    return (
        f"{count} could not be checked (see above){others}{no_answer}: check the checking "
        "credential's access to those, and their names"
    )
