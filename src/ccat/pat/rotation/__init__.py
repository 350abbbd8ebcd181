"""A rotation (SPEC §4): its options, plan and outcome records (`plan`), the preflight that
proves the new token and every key before any write (`preflight`), the paced writes
that stop on the first failure (`writes`), and the engine that runs them and keeps the
journal first (`engine`, with `--resume`)."""

from ccat.pat.rotation.engine import Rotation, refuse_operator_credential, resumable_run
from ccat.pat.rotation.plan import Plan, RotateOptions, RotationOutcome

__all__ = [
    "Plan",
    "RotateOptions",
    "Rotation",
    "RotationOutcome",
    "refuse_operator_credential",
    "resumable_run",
]
