"""Where the API URL and the operator credential come from (SPEC §2.2).

First found wins: `--api-url`, `GITHUB_API_URL`, github.com; `GH_TOKEN`, `GITHUB_TOKEN`,
then `gh auth token` when the GitHub CLI is installed. The credential is read from the
environment or from `gh`'s standard output, never from argv.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ccat.pat.errors import CredentialError, UsageError
from ccat.pat.github import DEFAULT_API_URL

GH_TIMEOUT = 15.0


@dataclass(frozen=True)
class Credential:
    """The operator credential and where it was found (`source` is safe to show)."""

    token: str = field(repr=False)
    source: str


def resolve_api_url(option: str | None, env: Mapping[str, str]) -> str:
    """The REST API base URL without a trailing slash; reject what is not http(s)."""
    url = (option or env.get("GITHUB_API_URL") or DEFAULT_API_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        origin = "--api-url" if option else "GITHUB_API_URL"
        raise UsageError(
            f"{origin} {url!r} is not an http(s) URL",
            hint="e.g. https://api.github.com or https://HOST/api/v3 for GitHub Enterprise Server",
        )
    return url


def _gh_hostname(api_url: str) -> str:
    """The host `gh auth token --hostname` expects for this API URL."""
    host = urlsplit(api_url).hostname or "github.com"
    return "github.com" if host == "api.github.com" else host


def resolve_credential(env: Mapping[str, str], api_url: str) -> Credential:
    """Find the operator credential, or raise `CredentialError` saying how to give one."""
    for name in ("GH_TOKEN", "GITHUB_TOKEN"):
        value = env.get(name, "").strip()
        if value:
            return Credential(value, name)
    gh = shutil.which("gh", path=env.get("PATH"))
    if gh is not None:
        hostname = _gh_hostname(api_url)
        try:
            done = subprocess.run(
                [gh, "auth", "token", "--hostname", hostname],
                capture_output=True,
                text=True,
                timeout=GH_TIMEOUT,
                check=False,
                env=dict(env),
            )
        except (OSError, subprocess.TimeoutExpired):
            done = None
        token = done.stdout.strip() if done is not None and done.returncode == 0 else ""
        if token:
            return Credential(token, f"gh auth token ({hostname})")
    raise CredentialError(
        "no operator credential: GH_TOKEN and GITHUB_TOKEN are unset"
        + ("" if gh is None else " and `gh auth token` gave none"),
        hint=(
            "export GH_TOKEN with a token that may read and write the repositories' "
            "Actions secrets, or log in with `gh auth login`"
        ),
    )
