"""Is the secret where CI reads it: the concurrent status engine (`engine`, one record per
repository, never an exception), the early warnings of SPEC §9 (`warnings`, pure), and
the unfinished rotation of SPEC §12 (`unfinished`: never an all-clear meanwhile)."""

from ccat.pat.status.engine import SecretStatus, StatusOptions, StatusReport, run_status
from ccat.pat.status.unfinished import UnfinishedRun, find_unfinished
from ccat.pat.status.warnings import Outlook, StatusWarning, assess, relevant_runs

__all__ = [
    "Outlook",
    "SecretStatus",
    "StatusOptions",
    "StatusReport",
    "StatusWarning",
    "UnfinishedRun",
    "assess",
    "find_unfinished",
    "relevant_runs",
    "run_status",
]
