"""Is the token CI holds good (SPEC §11, `ccat pat verify`): the engine that asks GitHub
with the token itself (`engine`), and the records of what it found, with the expiry
warning and what fails the check (`report`, pure). No journal is needed: this is the
unattended early warning of a nightly job."""

from ccat.pat.verification.engine import VerifyOptions, check_token, run_verification
from ccat.pat.verification.report import (
    REQUIRED_SCOPES,
    Reach,
    TokenVerdict,
    TokenWarning,
    VerifyReport,
    assess_token,
    days_left,
)

__all__ = [
    "REQUIRED_SCOPES",
    "Reach",
    "TokenVerdict",
    "TokenWarning",
    "VerifyOptions",
    "VerifyReport",
    "assess_token",
    "check_token",
    "days_left",
    "run_verification",
]
