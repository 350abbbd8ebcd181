"""What parsing the command line produces: one frozen record per command.

Parsing fills these records and nothing else: no file is read, no request sent, so CLI
tests can check parsing without running anything (`ccat.cli.Commands`). Resolving them —
loading the graph, finding the credential — is `ccat.commands.inputs`' job. Defaults
come from `ccat.pat.settings.DEFAULTS`; this module imports nothing heavy (start-up).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from ccat.pat.settings import DEFAULTS


class OutputFormat(enum.StrEnum):
    """How `status` prints its report."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


@dataclass(frozen=True)
class ConnectionArgs:
    """The options of SPEC §2 that every GitHub-talking command shares, as given."""

    graph: Path = DEFAULTS.graph
    org: str | None = None
    api_url: str | None = None
    insecure_http: bool = False
    secret: str = DEFAULTS.secret
    concurrency: int = DEFAULTS.concurrency
    timeout: float = DEFAULTS.timeout
    max_wait: float = DEFAULTS.max_wait
    budget: int = DEFAULTS.budget
    debug: bool = False
    # `--repo NAME`, as given (repeatable): the repositories of the graph to act on; none
    # given: every one.
    repos: tuple[str, ...] = ()
    # `--stores LIST`, as given (checked when parsed); None: the default, all three.
    stores: str | None = None


@dataclass(frozen=True)
class StatusArgs:
    """`ccat pat status`."""

    connection: ConnectionArgs
    output: OutputFormat = OutputFormat.TABLE
    journal: Path | None = None
    warn_days: int = DEFAULTS.warn_days
    max_age: int | None = None
    strict: bool = False


@dataclass(frozen=True)
class VerifyArgs:
    """`ccat pat verify`: `token_env` names the environment variable that holds the
    token to verify (standard input when it is unset or empty)."""

    connection: ConnectionArgs
    token_env: str = DEFAULTS.secret
    output: OutputFormat = OutputFormat.TABLE
    warn_days: int = DEFAULTS.warn_days
    strict: bool = False


@dataclass(frozen=True)
class RotateArgs:
    """`ccat pat rotate`."""

    connection: ConnectionArgs
    journal: Path | None = None
    dry_run: bool = False
    resume: bool = False
    yes: bool = False
    write_interval: float = DEFAULTS.write_interval
    json: bool = False
    warn_days: int = DEFAULTS.warn_days


@dataclass(frozen=True)
class RevokeArgs:
    """`ccat pat revoke`: `force` overrides only the rule that every copy must hold the
    newest rotation's token."""

    connection: ConnectionArgs
    journal: Path | None = None
    yes: bool = False
    force: bool = False


@dataclass(frozen=True)
class JournalArgs:
    """`ccat pat journal`."""

    journal: Path | None = None
    graph: Path = DEFAULTS.graph
    json: bool = False


@dataclass(frozen=True)
class DemoArgs:
    """`ccat pat demo`; `fail` are fault specs to arm once the story is told (`--keep`),
    `expires_in` the days until the new token expires from then on (None: as before)."""

    keep: bool = False
    fail: tuple[str, ...] = ()
    expires_in: int | None = None
