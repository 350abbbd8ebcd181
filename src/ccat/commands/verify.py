"""`ccat pat verify`: is the token CI holds valid, not about to expire, and does it reach
every repository of the graph? (SPEC §11.)

The token comes from the environment variable `--token-env` names (default `GH_PAT`, as
a workflow step maps `secrets.GH_PAT`), else from standard input (a hidden prompt on a
terminal) — never argv. It is the only credential used: no operator credential, no
journal. Exit codes: 0 valid everywhere (warnings printed); 1 rejected (expired,
revoked), a scope missing, a repository it cannot reach, or with --strict a warning;
3 could not check (network); 2 usage or configuration, or no token;
130/143/129 stopped by a signal.

Where things go, as in `status`: the report on stdout; on stderr where the API is (when
not api.github.com), the graph's warnings, the hints, and when stdout is JSON or
Markdown the summary and the warnings; under GitHub Actions the workflow commands
(after the table on stdout, on stderr when stdout is JSON or Markdown) and the
Markdown report appended to the step summary.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ccat.commands.credentials import Credential, TokenPrompt, read_token, validate_token
from ccat.commands.inputs import Connection, resolve_connection
from ccat.commands.signals import Interrupted, SignalGate
from ccat.commands.step_summary import to_github_actions
from ccat.commands.terminal import Terminal
from ccat.options import OutputFormat, VerifyArgs
from ccat.pat.errors import CcatError, UsageError
from ccat.pat.journal import token_kind
from ccat.pat.settings import DEFAULT_API_URL
from ccat.pat.verification import (
    TokenWarning,
    VerifyOptions,
    VerifyReport,
    assess_token,
    run_verification,
)
from ccat.render.progress import check_progress
from ccat.render.text import shown
from ccat.render.verify import verify_hints, verify_json, verify_screen, verify_summary
from ccat.render.verify_ci import verify_commands, verify_markdown, verify_step_summary

EXIT_OK, EXIT_FAILED, EXIT_UNCHECKED = 0, 1, 3
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STDIN = "standard input"


def exit_code(report: VerifyReport, warnings: tuple[TokenWarning, ...], *, strict: bool) -> int:
    """SPEC §11: a problem (or, strict, a warning) is 1, else could not check is 3."""
    if report.problems or (strict and warnings):
        return EXIT_FAILED
    return EXIT_UNCHECKED if report.unchecked else EXIT_OK


def run_verify_command(args: VerifyArgs, terminal: Terminal | None = None) -> int:
    """Run `ccat pat verify`; returns the exit code (130/143/129 when a signal stops the
    checks)."""
    with SignalGate.installed() as gate:
        return _run_verify(args, terminal or Terminal.current(), gate)


def read_verified_token(name: str, terminal: Terminal) -> Credential:
    """The token to verify: the variable `name` when it is set and not empty, else
    standard input. Malformed or missing: a `UsageError` that never quotes it."""
    if not _VARIABLE.fullmatch(name):
        raise UsageError(
            f"--token-env {name!r} is not an environment variable's name",
            hint="letters, digits and underscores, not starting with a digit, e.g. GH_PAT",
        )
    value = terminal.env.get(name, "").strip(" \t\n\r\v\f")
    if value:
        validate_token(value, name)
        return Credential(value, name)
    asking = TokenPrompt(
        prompt="Paste the token to verify: ",
        what="the token",
        consequence=f"nothing was checked ({name} is unset or empty)",
        example="pass show ci/gh-pat | ccat pat verify",
        paste="paste it",
        empty_hint=(
            f"set {name} to the token (in a workflow step: `env: {name}: ${{{{ secrets.GH_PAT "
            "}}`; an empty value there means the secret is not set in this repository), or "
            "pipe it in, e.g. `pass show ci/gh-pat | ccat pat verify`"
        ),
    )
    token = read_token(asking, stdin=terminal.stdin)
    assert token is not None  # not allow_empty
    return Credential(token, STDIN)


def _run_verify(args: VerifyArgs, terminal: Terminal, gate: SignalGate) -> int:
    err = terminal.err
    try:
        connection = resolve_connection(
            args.connection,
            terminal.env,
            credential=lambda _url: read_verified_token(args.token_env, terminal),
        )
        if connection.settings.api_url != DEFAULT_API_URL:
            err.print(
                f"GitHub API at {shown(connection.settings.api_url)}; token from "
                f"{shown(connection.credential_source)}"
            )
        for warning in connection.graph.warnings:
            err.print(f"[yellow]warning:[/] {shown(warning)}")
        report = _check(args, connection, terminal, gate)
    except CcatError as exc:
        return terminal.fail(exc)
    except Interrupted as interrupted:
        return terminal.stopped(interrupted, "verify")
    gate.hold()
    now = datetime.now(UTC)
    warnings = assess_token(report.token, now, args.warn_days)
    machine = args.output is not OutputFormat.TABLE
    terminal.print_report(
        args.output,
        lambda: verify_json(report, warnings, now),
        lambda: verify_markdown(report, warnings, now),
        lambda width: verify_screen(report, warnings, now, width),
    )
    to_github_actions(
        terminal,
        lambda: verify_commands(report, warnings),
        lambda room: verify_step_summary(report, warnings, now, room),
        machine=machine,
    )
    if not machine:
        for hint in verify_hints(report):
            err.print(f"[dim]hint:[/] {shown(hint.plain)}")
    else:
        # JSON and Markdown are for a program or a file: the person hears it here.
        for said in warnings:
            err.print(f"[yellow]warning:[/] {shown(said.message)}")
        err.print(shown(verify_summary(report, warnings)))
    return exit_code(report, warnings, strict=args.strict)


def _check(
    args: VerifyArgs, connection: Connection, terminal: Terminal, gate: SignalGate
) -> VerifyReport:
    """Run the engine with progress on a terminal and notices on stderr."""
    repositories = connection.repositories
    live = check_progress(terminal.err, len(repositories), debug=connection.debug)
    with live as (progress, notices):
        options = VerifyOptions(
            connect=lambda: connection.client_factory(notices),
            repositories=repositories,
            org=connection.graph.org,
            name=args.token_env,
            source=connection.credential_source,
            kind=token_kind(connection.settings.token),
            concurrency=args.connection.concurrency,
            listener=progress,
        )
        return gate.run(lambda: run_verification(options))
