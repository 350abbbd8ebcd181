"""Retiring the previous token (SPEC §11, `ccat pat revoke`): the rule that says whether
every copy of the graph holds the newest token (`blockers`, pure, over a status
report), and what the journal knows of a token and the refusals that need no request
(`journal`). The request itself is the client's (`revoke_credentials`, sent without
any Authorization header); the command runs the rest."""

from ccat.pat.revocation.blockers import Blocker, revocation_blockers
from ccat.pat.revocation.journal import (
    KnownToken,
    known_token,
    refuse_in_place,
    refuse_unrevocable,
)

__all__ = [
    "Blocker",
    "KnownToken",
    "known_token",
    "refuse_in_place",
    "refuse_unrevocable",
    "revocation_blockers",
]
