"""The crash-safe rotation journal (SPEC §5): its records (`model`), strict reading and
writing (`codec`), the story a journal must tell to be believed (`checks`), durable
file operations (`files`), the run lock (`lock`), and `Journal` itself (`store`): load,
save, the append-only update log. It knows nothing of HTTP."""

from ccat.pat.journal.codec import damaged
from ccat.pat.journal.lock import LockHolder
from ccat.pat.journal.model import (
    Fingerprint,
    GraphFile,
    JournalDocument,
    Revocation,
    RotationRun,
    RunState,
    RunSummary,
    SeenState,
    TargetRecord,
    TokenInfo,
    TokenKind,
    new_run_id,
    seen_state,
    token_kind,
)
from ccat.pat.journal.store import Journal, default_journal_path
from ccat.pat.times import iso, parse_iso  # the journal's time format, re-exported

__all__ = [
    "Fingerprint",
    "GraphFile",
    "Journal",
    "JournalDocument",
    "LockHolder",
    "Revocation",
    "RotationRun",
    "RunState",
    "RunSummary",
    "SeenState",
    "TargetRecord",
    "TokenInfo",
    "TokenKind",
    "damaged",
    "default_journal_path",
    "iso",
    "new_run_id",
    "parse_iso",
    "seen_state",
    "token_kind",
]
