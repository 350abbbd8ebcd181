"""One line per cause: what many repositories have in common is said once, with the
count and the names, instead of once per repository.

Nine repositories behind one dead host fail with the same message nine times; a rate
limit refuses five requests at once. `group` gathers the repositories that share a
message (in the order first seen), and `names` lists them, shortened when asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ccat.render.text import plural


@dataclass(frozen=True)
class Cause:
    """A message and the repositories (or other subjects) it is true of; no subject for
    one that concerns the run as a whole (the token's expiry)."""

    text: str
    subjects: tuple[str, ...] = ()
    # What the subjects are, singular and plural (revoke's are copies).
    noun: tuple[str, str] = ("repository", "repositories")

    @property
    def count(self) -> str:
        """`3 repositories`."""
        return plural(len(self.subjects), *self.noun)


def group(
    pairs: Iterable[tuple[str | None, str]],
    noun: tuple[str, str] = ("repository", "repositories"),
) -> list[Cause]:
    """(subject, message) pairs as one `Cause` per distinct message, in the order each
    message was first seen, its subjects in the order given (None: no subject); `noun`
    says what a subject is."""
    found: dict[str, list[str]] = {}
    for subject, text in pairs:
        subjects = found.setdefault(text, [])
        if subject is not None:
            subjects.append(subject)
    return [Cause(text, tuple(subjects), noun) for text, subjects in found.items()]


def names(subjects: Sequence[str], limit: int | None = None) -> str:
    """`a, b, c`; with `limit`, at most that many and `and 7 more` (never `and 1 more`:
    the last name takes that place)."""
    if limit is None or len(subjects) <= limit + 1:
        return ", ".join(subjects)
    kept = max(limit, 1)
    return f"{', '.join(subjects[:kept])} and {len(subjects) - kept:,} more"
