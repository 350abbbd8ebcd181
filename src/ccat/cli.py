"""The `ccat` command line: parse into an options record, run the command, exit.

Each command here only turns its arguments into a record of `ccat.options` and hands it
to the matching runner of `Commands`; the runners (`ccat.commands.*`) resolve the
inputs, call the engine, render and return the exit code. A test passes its own
`Commands` as the click context's `obj` to check parsing alone, as the GitHub CLI's
`runF` does. Nothing heavy is imported before a
runner needs it, so `--help` and `--version` stay fast.

Tokens never come from argv: the operator credential comes from the environment or
`gh auth token`, the new token from a hidden prompt or standard input.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from ccat import __version__
from ccat.cli_help import HelpCommand, HelpGroup
from ccat.options import (
    ConnectionArgs,
    DemoArgs,
    JournalArgs,
    OutputFormat,
    RevokeArgs,
    RotateArgs,
    StatusArgs,
    VerifyArgs,
)
from ccat.pat.settings import DEFAULTS


def _run_status(args: StatusArgs) -> int:
    from ccat.commands.status import run_status_command

    return run_status_command(args)


def _run_verify(args: VerifyArgs) -> int:
    from ccat.commands.verify import run_verify_command

    return run_verify_command(args)


def _run_rotate(args: RotateArgs) -> int:
    from ccat.commands.rotate import run_rotate_command

    return run_rotate_command(args)


def _run_revoke(args: RevokeArgs) -> int:
    from ccat.commands.revoke import run_revoke_command

    return run_revoke_command(args)


def _run_journal(args: JournalArgs) -> int:
    from ccat.commands.journal import run_journal_command

    return run_journal_command(args)


def _run_demo(args: DemoArgs) -> int:
    from ccat.commands.demo import run_demo_command

    return run_demo_command(args)


@dataclass(frozen=True)
class Commands:
    """What each command runs once parsed; tests put recorders here to check parsing."""

    status: Callable[[StatusArgs], int] = _run_status
    verify: Callable[[VerifyArgs], int] = _run_verify
    rotate: Callable[[RotateArgs], int] = _run_rotate
    revoke: Callable[[RevokeArgs], int] = _run_revoke
    journal: Callable[[JournalArgs], int] = _run_journal
    demo: Callable[[DemoArgs], int] = _run_demo


def _finite(value: float | None) -> float | None:
    """Reject `inf` and `nan`, which click's ranges let through."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter("must be a finite number of seconds")
    return value


GraphOption = Annotated[
    Path,
    typer.Option(
        "--graph",
        metavar="PATH",
        help="The CI dependency graph; every repository named in it is a target.",
    ),
]
OrgOption = Annotated[
    str | None,
    typer.Option(
        "--org",
        metavar="ORG",
        help="Organisation owning the repositories. [default: the graph's org, else "
        f"{DEFAULTS.org}]",
        show_default=False,
    ),
]
ApiUrlOption = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        metavar="URL",
        help="REST API base URL. [default: $GITHUB_API_URL, else from $GH_HOST, else "
        "https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3]",
        show_default=False,
    ),
]
InsecureHttpOption = Annotated[
    bool,
    typer.Option(
        "--insecure-http",
        help="Allow a plain http:// API URL to a host other than this machine (sends "
        "the operator credential unencrypted).",
    ),
]
SecretOption = Annotated[
    str, typer.Option("--secret", metavar="NAME", help="Name of the Actions repository secret.")
]
ConcurrencyOption = Annotated[
    int,
    typer.Option(
        "--concurrency",
        metavar="N",
        min=1,
        max=DEFAULTS.max_concurrency,
        help=f"Requests in flight at most, 1-{DEFAULTS.max_concurrency} (GitHub allows "
        f"{DEFAULTS.max_concurrency}).",
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        min=0.1,
        max=3600,
        callback=_finite,
        help="Seconds for one request, answer included; a timed-out request is retried once.",
    ),
]
MaxWaitOption = Annotated[
    float,
    typer.Option(
        "--max-wait",
        metavar="SECONDS",
        min=0,
        max=86400,
        callback=_finite,
        help="Longest time the command waits for GitHub's rate limits, all waits "
        "together; a wait beyond it fails that repository, saying when the limit resets.",
    ),
]
BudgetOption = Annotated[
    int,
    typer.Option(
        "--budget",
        metavar="POINTS",
        min=0,
        max=1_000_000,
        help="Request points per minute at most (a GET costs 1, a PUT 5), as GitHub.com "
        "allows; 0 for no limit (e.g. GitHub Enterprise Server without rate limits).",
    ),
]
DebugOption = Annotated[
    bool,
    typer.Option("--debug", help="Print each request and its timing on stderr (never a header)."),
]
JournalOption = Annotated[
    Path | None,
    typer.Option(
        "--journal",
        metavar="PATH",
        help="Rotation journal. [default: $CCAT_JOURNAL, else "
        "$XDG_STATE_HOME/ccat/pat-journal.json, else ~/.local/state/ccat/pat-journal.json]",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
RepoOption = Annotated[
    list[str] | None,
    typer.Option(
        "--repo",
        metavar="NAME",
        help="Only this repository of the graph (NAME or ORG/NAME; repeatable), to check "
        "or finish a subset. [default: every repository of the graph]",
        show_default=False,
    ),
]


def _stores(value: str | None) -> str | None:
    """Check `--stores` as the commands will read it (a usage error, exit 2)."""
    if value is None:
        return value
    from ccat.pat.stores import StoreSelection

    try:
        StoreSelection.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc).removeprefix("--stores: ")) from None
    return value


StoresOption = Annotated[
    str | None,
    typer.Option(
        "--stores",
        metavar="LIST",
        callback=_stores,
        help="Which stores CI reads the secret from to look at, comma-separated: actions, "
        "dependabot, environments (every deployment environment). The Actions copy is "
        "required everywhere; elsewhere a copy is tracked where it exists. A store named "
        "here that cannot be read fails the check. [default: all three]",
        show_default=False,
    ),
]

VerifyStoresOption = Annotated[
    str | None,
    typer.Option(
        "--stores",
        metavar="LIST",
        callback=_stores,
        help="As in status (actions, dependabot, environments), so that one command line "
        "serves both. It does not change the checks: the token given is proven against "
        "every repository of the graph, whichever store CI read it from; status proves "
        "that every copy holds the newest rotation's token. [default: all three]",
        show_default=False,
    ),
]

OutputOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="table (the default), json, or markdown (GitHub-flavoured).",
        case_sensitive=False,
        show_default=False,
    ),
]
JsonShortOption = Annotated[bool, typer.Option("--json", help="Short for --format json.")]


def _warn_days(whose: str) -> typer.models.OptionInfo:
    """`--warn-days`, the one expiry cut-off of status, verify and rotate
    (`ccat.pat.expiry`)."""
    option: typer.models.OptionInfo = typer.Option(
        "--warn-days",
        metavar="DAYS",
        min=0,
        max=3650,
        help=f"Warn when {whose} expires within DAYS (0: only once expired).",
    )
    return option


WarnDaysOption = Annotated[int, _warn_days("the last rotation's token")]
RotateWarnDaysOption = Annotated[int, _warn_days("the new token")]
MaxAgeOption = Annotated[
    int | None,
    typer.Option(
        "--max-age",
        metavar="DAYS",
        min=1,
        max=3650,
        help="Warn of a secret set more than DAYS ago. [default: "
        f"{DEFAULTS.max_age_fine_grained} for a fine-grained token, "
        f"{DEFAULTS.max_age_classic} for a classic one, by the journal]",
        show_default=False,
    ),
]
TokenEnvOption = Annotated[
    str,
    typer.Option(
        "--token-env",
        metavar="NAME",
        help="The environment variable that holds the token to verify; when it is unset "
        "or empty, the token is read from standard input (a hidden prompt on a terminal).",
    ),
]
VerifyWarnDaysOption = Annotated[int, _warn_days("the token")]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Exit 1 on any warning too (for CI gates).")
]
DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Preflight and show the plan; write nothing. Works without a token (empty "
        "input): public keys and plan only.",
    ),
]
ResumeOption = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue the journal's unfinished run with the same token, skipping the "
        "repositories it already updated.",
    ),
]


def _yes(before: str) -> typer.models.OptionInfo:
    """`--yes`, the answer to the one question asked `before` doing anything lasting."""
    option: typer.models.OptionInfo = typer.Option(
        "--yes",
        "-y",
        help=f"Do not ask [y/N] before {before} (needed where there is no terminal).",
    )
    return option


YesOption = Annotated[bool, _yes("writing")]
WriteIntervalOption = Annotated[
    float,
    typer.Option(
        "--write-interval",
        metavar="SECONDS",
        min=0,
        max=3600,
        callback=_finite,
        help="Seconds between the starts of two writes (GitHub asks for 1 between mutating "
        "requests; 0 lets writes overlap up to --concurrency).",
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Revoke even though some copy may still hold the token, or a rotation is "
        "unfinished (their CI breaks). The token in place and the operator credential "
        "are refused all the same.",
    ),
]
RevokeYesOption = Annotated[bool, _yes("revoking")]
RotateJsonOption = Annotated[
    bool, typer.Option("--json", help="Print the outcome as JSON on stdout (messages on stderr).")
]
KeepOption = Annotated[
    bool,
    typer.Option(
        "--keep",
        help="Leave the emulator running afterwards and print the environment to try "
        "commands by hand (Ctrl-C stops it).",
    ),
]


def _fault_specs(value: list[str] | None) -> list[str] | None:
    """Check each `--fail` spec as the emulator will read it (imported only when given)."""
    if not value:
        return value
    import argparse

    from ccat.fakehub.command_line import fault_spec

    for spec in value:
        try:
            fault_spec(spec)
        except argparse.ArgumentTypeError as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


DemoFailOption = Annotated[
    list[str] | None,
    typer.Option(
        "--fail",
        metavar="SPEC",
        callback=_fault_specs,
        help="With --keep: once the story is told, arm a fault on the emulator, to "
        "rehearse a failure by hand (repeatable; SPEC as for `python -m ccat.fakehub "
        "--fail`, see the example).",
        show_default=False,
    ),
]


DemoExpiresOption = Annotated[
    int | None,
    typer.Option(
        "--expires-in",
        metavar="DAYS",
        min=0,
        max=3650,
        help="With --keep: once the story is told, make the new token expire DAYS days "
        "from then, to rehearse the expiry warning of verify and status.",
        show_default=False,
    ),
]


_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def _option(name: str, annotation: object, default: object) -> inspect.Parameter:
    return inspect.Parameter(name, _KEYWORD, default=default, annotation=annotation)


# The options of SPEC §2 in the order --help lists them, the secret's name between where
# GitHub is and how hard to press it; then a command's own, then which part of the graph.
_WHERE = (
    _option("graph", GraphOption, DEFAULTS.graph),
    _option("org", OrgOption, None),
    _option("api_url", ApiUrlOption, None),
    _option("insecure_http", InsecureHttpOption, False),
)
_SECRET = _option("secret", SecretOption, DEFAULTS.secret)
_PACE = (
    _option("concurrency", ConcurrencyOption, DEFAULTS.concurrency),
    _option("timeout", TimeoutOption, DEFAULTS.timeout),
    _option("max_wait", MaxWaitOption, DEFAULTS.max_wait),
    _option("budget", BudgetOption, DEFAULTS.budget),
    _option("debug", DebugOption, False),
)
_CONNECTION_FIELDS = frozenset(field.name for field in fields(ConnectionArgs))

Command = Callable[..., None]


def _connection_options(
    *, named: str = "secret", stores: object | None = StoresOption
) -> Callable[[Command], Command]:
    """The options every GitHub-talking command shares, declared once: the decorated
    command, `(ctx, connection, **own)`, is given them as one `ConnectionArgs`.

    `named`: the option --help lists in the secret's place, `--secret` itself or one of
    the command's own (verify's `--token-env`). `stores`: the `--stores` option, listed
    last after `--repo`; None for a command that takes neither (revoke)."""
    repo, stores_option = _option("repo", RepoOption, None), _option("stores", stores, None)
    scope = () if stores is None else (repo, stores_option)

    def declare(command: Command) -> Command:
        ctx, _connection, *own = inspect.signature(command, eval_str=True).parameters.values()
        slot = [option.replace(kind=_KEYWORD) for option in own if option.name == named]
        own = [option.replace(kind=_KEYWORD) for option in own if option.name != named]

        @functools.wraps(command)
        def parsed(ctx: typer.Context, **options: Any) -> None:
            repos = tuple(options.pop("repo", None) or ())
            given = {name: options.pop(name) for name in _CONNECTION_FIELDS & options.keys()}
            command(ctx, ConnectionArgs(**given, repos=repos), **options)

        # What typer reads to declare the options (`inspect.signature` honours it).
        declared = [ctx, *_WHERE, *(slot or [_SECRET]), *_PACE, *own, *scope]
        cast(Any, parsed).__signature__ = inspect.Signature(declared)
        return parsed

    return declare


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"ccat {__version__}")
        raise typer.Exit(0)


VersionOption = Annotated[
    bool,
    typer.Option(
        "--version",
        "-V",
        is_eager=True,
        callback=_print_version,
        help="Print ccat's version and exit.",
    ),
]

# Each example is one line of at most 76 characters, so that it is never wrapped in
# an 80-column terminal (`\b` keeps click from re-flowing the block; help is indented 4).
STATUS_EPILOG = """\b
Examples:
  ccat pat status
  ccat pat status --strict              # warnings fail too (for CI gates)
  ccat pat status --format markdown     # a table for a pull request or wiki
  ccat pat status --json | jq '.repositories[] | select(.state != "present")'
  ccat pat status --graph other/graph.yml --org my-org
  ccat pat status --repo ops-db --repo ops-db-api   # only these two
"""
VERIFY_EPILOG = """\b
Examples:
  ccat pat verify                       # $GH_PAT, else paste it at a prompt
  pass show ci/gh-pat | ccat pat verify # from a password manager
  ccat pat verify --strict --warn-days 30   # fail 30 days before it expires
  ccat pat verify --json | jq .token.expires_at
  ccat pat verify --token-env OLD_PAT   # the token in $OLD_PAT
"""
ROTATE_EPILOG = """\b
Examples:
  ccat pat rotate --dry-run             # preflight and plan; writes nothing
  ccat pat rotate                       # paste the token at the hidden prompt
  pass show ci/gh-pat | ccat pat rotate # token on stdin; [y/N] on the tty
  pass show ci/gh-pat | ccat pat rotate --yes   # unattended: no question
  ccat pat rotate --resume              # after a failure: the same token
  ccat pat rotate --resume --repo ops-db  # finish only this one, for now
  pass show ci/gh-pat | ccat pat rotate --yes --json > outcome.json
  ccat pat journal                      # what the last rotation did
"""
REVOKE_EPILOG = """\b
Examples:
  ccat pat status                       # first: is it safe to revoke?
  ccat pat revoke                       # paste the previous token
  pass show ci/gh-pat-old | ccat pat revoke   # [y/N] on the terminal
  pass show ci/gh-pat-old | ccat pat revoke --yes   # unattended
  ccat pat journal                      # the revocation is recorded there
"""
JOURNAL_EPILOG = """\b
Examples:
  ccat pat journal                      # the last run, for incident response
  ccat pat journal --json | jq .current.state
  ccat pat journal --json | jq '.current.targets[] | select(.error)'
  ccat pat journal --journal /path/to/pat-journal.json
"""
DEMO_EPILOG = """\b
Examples:
  ccat pat demo
  ccat pat demo --keep                  # then try commands by hand
  ccat pat demo --keep --fail 'PUT /repos/ccatobs/ops-db/.*=403x1'
  ccat pat demo --keep --expires-in 5   # rehearse the expiry warning
"""
# One line each in the commands list (click would cut a longer first sentence with "...").
PAT_SHORT = "Check and rotate GH_PAT across the dependency graph."
STATUS_SHORT = "Check the secret in every repository; warn of what breaks next."
VERIFY_SHORT = "Check the token CI holds: valid, not expiring, reaching everywhere."
ROTATE_SHORT = "Set a new value of the secret in every repository."
REVOKE_SHORT = "Revoke the previous token once every copy holds the new one."
JOURNAL_SHORT = "Show the last rotation, for incident response."
DEMO_SHORT = "The whole story against the bundled GitHub emulator."

app = typer.Typer(
    cls=HelpGroup,
    help="ccat: keep one CI secret right across a whole GitHub organisation.",
    no_args_is_help=True,
    rich_markup_mode=None,
    # A traceback must never show local variables: one of them could be a token.
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
pat = typer.Typer(
    cls=HelpGroup,
    help="Check and rotate the GitHub Actions secret GH_PAT in every repository of "
    "ci/dependency-graph.yml. The operator credential (which reads and writes the secrets) "
    "comes from GH_TOKEN, GITHUB_TOKEN or `gh auth token` (GitHub Enterprise: GH_HOST with "
    "GH_ENTERPRISE_TOKEN); no option ever takes a token.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(pat, name="pat", short_help=PAT_SHORT)


def _report_format(output: OutputFormat, *, json_output: bool) -> OutputFormat:
    """`--format`, or JSON for `--json` (its short form: with another format, exit 2)."""
    if json_output and output not in (OutputFormat.TABLE, OutputFormat.JSON):
        raise typer.BadParameter("--json is short for --format json", param_hint="--json")
    return OutputFormat.JSON if json_output else output


def _runners(ctx: typer.Context) -> Commands:
    """The runners: `Commands()` unless a test passed its own as the context's `obj`."""
    return ctx.obj if isinstance(ctx.obj, Commands) else Commands()


@app.callback()
def root(version: VersionOption = False) -> None:
    """ccat: keep one CI secret right across a whole GitHub organisation."""


@app.command(cls=HelpCommand)
def version() -> None:
    """Print ccat's version."""
    typer.echo(f"ccat {__version__}")


@pat.command(cls=HelpCommand, epilog=STATUS_EPILOG, short_help=STATUS_SHORT)
@_connection_options()
def status(
    ctx: typer.Context,
    connection: ConnectionArgs,
    output: OutputOption = OutputFormat.TABLE,
    json_output: JsonShortOption = False,
    journal: JournalOption = None,
    warn_days: WarnDaysOption = DEFAULTS.warn_days,
    max_age: MaxAgeOption = None,
    strict: StrictOption = False,
) -> None:
    """Check that the secret is present in every repository of the graph, and warn
    of what breaks next: an expiring token, old or missed secrets.

    Exit 0: present everywhere (warnings do not fail unless --strict). 1: missing
    somewhere (or, with --strict, any warning). 3: none known missing but some
    repository could not be checked. 2: usage or configuration error. 4: the
    operator credential is missing or rejected. 130/143/129: stopped by Ctrl-C,
    SIGTERM or SIGHUP.
    """
    output = _report_format(output, json_output=json_output)
    args = StatusArgs(connection, output, journal, warn_days, max_age, strict)
    raise typer.Exit(_runners(ctx).status(args))


@pat.command(cls=HelpCommand, epilog=VERIFY_EPILOG, short_help=VERIFY_SHORT)
@_connection_options(named="token_env", stores=VerifyStoresOption)
def verify(
    ctx: typer.Context,
    connection: ConnectionArgs,
    token_env: TokenEnvOption = DEFAULTS.secret,
    output: OutputOption = OutputFormat.TABLE,
    json_output: JsonShortOption = False,
    warn_days: VerifyWarnDaysOption = DEFAULTS.warn_days,
    strict: StrictOption = False,
) -> None:
    """Check the token CI holds, with the token itself: GitHub accepts it (its login,
    expiry and, for a classic token, the repo and workflow scopes), and it can read
    Actions in every repository of the graph, as CI needs. No operator credential and
    no journal are needed: run it every night where the token is, in CI.

    The token comes from $GH_PAT (--token-env; in a workflow step, `env: GH_PAT:
    ${{ secrets.GH_PAT }}`), else standard input; never from an option. It is never
    printed, not even in part.

    Exit 0: valid everywhere (warnings do not fail unless --strict). 1: rejected
    (expired, revoked), a scope missing, a repository it cannot reach, or with
    --strict a warning (expiry within --warn-days). 3: some repository could not be
    checked. 2: usage or configuration error, or no token. 130/143/129: stopped by
    Ctrl-C, SIGTERM or SIGHUP.
    """
    output = _report_format(output, json_output=json_output)
    args = VerifyArgs(connection, token_env, output, warn_days, strict)
    raise typer.Exit(_runners(ctx).verify(args))


@pat.command(cls=HelpCommand, epilog=ROTATE_EPILOG, short_help=ROTATE_SHORT)
@_connection_options()
def rotate(
    ctx: typer.Context,
    connection: ConnectionArgs,
    journal: JournalOption = None,
    dry_run: DryRunOption = False,
    resume: ResumeOption = False,
    yes: YesOption = False,
    write_interval: WriteIntervalOption = DEFAULTS.write_interval,
    json_output: RotateJsonOption = False,
    warn_days: RotateWarnDaysOption = DEFAULTS.warn_days,
) -> None:
    """Set a new value of the secret in every repository of the graph.

    The new token is read from a hidden prompt (or one line of standard input) and
    proven before anything is written: GitHub must know it, it must read Actions in
    every repository, and every public key must be fetched. Writes then go one
    repository at a time and stop at the first failure, saying exactly which were
    updated; a crash-safe journal lets `ccat pat rotate --resume` finish the rest.

    Nothing is written without a yes: the plan and [y/N] on the terminal (also when
    the token is piped), or --yes.

    Exit 0: rotated everywhere (or dry run OK). 1: a write or the preflight failed.
    2: not confirmed, or a usage, configuration, journal or token error (nothing
    written). 4: the operator credential is missing or rejected (nothing written).
    130/143/129: interrupted by Ctrl-C, SIGTERM or SIGHUP.
    """
    args = RotateArgs(
        connection, journal, dry_run, resume, yes, write_interval, json_output, warn_days
    )
    raise typer.Exit(_runners(ctx).rotate(args))


@pat.command(cls=HelpCommand, epilog=REVOKE_EPILOG, short_help=REVOKE_SHORT)
@_connection_options(stores=None)
def revoke(
    ctx: typer.Context,
    connection: ConnectionArgs,
    journal: JournalOption = None,
    yes: RevokeYesOption = False,
    force: ForceOption = False,
) -> None:
    """Revoke the previous token on GitHub, once nothing uses it.

    The token is read from a hidden prompt (or one line of standard input). Refused,
    with nothing sent: the token of the newest rotation (the one in place) and the
    operator credential (exit 2); and, unless --force, while any copy of the secret
    in the graph does not hold the newest completed rotation's token, could not be
    checked, or a rotation is unfinished (exit 1, naming them). Every copy is checked
    with the operator credential, as `ccat pat status` checks it. Then, after [y/N]
    (or --yes), GitHub's revocation API is called without any credential, as it
    requires, and the journal records it (fingerprint, time, login).

    Exit 0: revoked (or GitHub rejects the token already). 1: refused (a copy may
    still use it) or GitHub refused the revocation. 2: not confirmed, the token in
    place, the operator credential, no token, or a usage, configuration or journal
    error. 4: the operator credential is missing or rejected. 130/143/129: stopped by
    Ctrl-C, SIGTERM or SIGHUP.
    """
    raise typer.Exit(_runners(ctx).revoke(RevokeArgs(connection, journal, yes, force)))


@pat.command("journal", cls=HelpCommand, epilog=JOURNAL_EPILOG, short_help=JOURNAL_SHORT)
def journal_command(
    ctx: typer.Context,
    journal: JournalOption = None,
    graph: GraphOption = DEFAULTS.graph,
    json_output: JsonOption = False,
) -> None:
    """Show the last rotation: who, when, its state, each repository's outcome, and
    what `ccat pat rotate --resume` would do. `--json` prints the whole journal.

    Exit 0: shown. 2: no journal, or it cannot be read.
    """
    raise typer.Exit(_runners(ctx).journal(JournalArgs(journal, graph, json_output)))


@pat.command(cls=HelpCommand, epilog=DEMO_EPILOG, short_help=DEMO_SHORT)
def demo(
    ctx: typer.Context,
    keep: KeepOption = False,
    fail: DemoFailOption = None,
    expires_in: DemoExpiresOption = None,
) -> None:
    """Run the whole story against the bundled GitHub emulator (no account needed).

    Status with secrets missing, a rotation that fails midway, the journal,
    `--resume`, and a final status with every secret present, each as the real
    command prints it. With --keep, the emulator then keeps running for you to try
    commands by hand; --fail arms the failure to rehearse.
    """
    if fail and not keep:
        raise typer.BadParameter(
            "--fail arms a fault on the emulator that --keep leaves running; add --keep",
            param_hint="--fail",
        )
    if expires_in is not None and not keep:
        raise typer.BadParameter(
            "--expires-in changes the emulator that --keep leaves running; add --keep",
            param_hint="--expires-in",
        )
    raise typer.Exit(_runners(ctx).demo(DemoArgs(keep, tuple(fail or ()), expires_in)))


def main() -> None:
    """Console-script entry point. Under GitHub Actions, standard output and error are
    guarded against workflow commands the tool did not write (`commands.workflow_log`)."""
    from ccat.commands import signals
    from ccat.commands.workflow_log import guard_streams

    signals.process_ends_with_command = True  # see there: the process ends with it
    guard_streams(os.environ)
    app(prog_name="ccat")


if __name__ == "__main__":  # pragma: no cover
    main()
