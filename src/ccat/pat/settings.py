"""Every default of `ccat pat`, in one place: the CLI shows them, the engines use them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from ccat.pat.github_rules import POINTS_PER_MINUTE

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class Defaults:
    """The defaults of SPEC §2 to §4 and §9."""

    graph: Path = Path("ci/dependency-graph.yml")
    org: str = "ccatobs"  # when neither --org nor the graph names one
    secret: str = "GH_PAT"
    concurrency: int = 16  # requests in flight; GitHub allows at most 100
    max_concurrency: int = 100
    timeout: float = 30.0  # seconds for one request, answer included
    max_wait: float = 300.0  # longest the whole command waits for rate limits, in all
    budget: int = POINTS_PER_MINUTE  # points per minute, GitHub.com's rule; 0 = none
    write_interval: float = 1.0  # GitHub asks for a second between mutating requests
    warn_days: int = 14  # warn when the token expires within this many days
    max_age_fine_grained: int = 90  # the runbook's rotation cadence, in days
    max_age_classic: int = 60


DEFAULTS = Defaults()

# GitHub's clock and ours may differ a little: a timestamp GitHub wrote is compared with
# ours (journal times) with this much slack, so that our own write never looks foreign.
CLOCK_SKEW = timedelta(seconds=120)


@dataclass(frozen=True)
class ClientSettings:
    """How to reach GitHub and how long to try. `token` is the operator credential."""

    api_url: str = DEFAULT_API_URL
    token: str = field(default="", repr=False)
    timeout: float = DEFAULTS.timeout
    max_wait: float = DEFAULTS.max_wait
    concurrency: int = DEFAULTS.concurrency
    budget: int = DEFAULTS.budget
    retries: int = 3
    timeout_retries: int = 1
    backoff: float = 0.5
