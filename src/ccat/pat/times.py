"""Times as ccat writes and reads them: ISO-8601 in UTC with whole seconds
(`2026-11-25T19:00:00Z`), the form GitHub writes its timestamps in too.

One way to write a time (`iso`) and two ways to read one: `parse_iso` takes any
ISO-8601 text (GitHub's offsets and fractions, a naive time read as UTC), `parse_exact`
only the form `iso` writes. Neither raises: an unknown time is None, and each caller
says what None means (never "fine"). Imports nothing of ccat's (the emulator uses it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

ISO_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
_EXACT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def iso(dt: datetime) -> str:
    """`2026-11-25T19:00:00Z`: UTC, whole seconds. A naive datetime is refused (ambiguous)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("iso() needs a timezone-aware datetime, e.g. datetime.now(UTC)")
    return dt.astimezone(UTC).strftime(ISO_FORMAT)


def parse_iso(value: str | None) -> datetime | None:
    """The time of an ISO-8601 text (`iso`'s, or GitHub's) in UTC, read as UTC when it
    names no zone; None when there is none, it is not one, or it is not a time UTC can
    hold (`0001-01-01T00:00:00+01:00`)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def parse_exact(value: str) -> datetime | None:
    """The time of `value` if it is written exactly as `iso` writes times (any year, ASCII
    digits), else None (`2026-02-30T00:00:00Z`, `24:00:00`, an offset, a fraction)."""
    return parse_iso(value) if _EXACT.fullmatch(value) else None


def utc_now_iso() -> str:
    """The current time as `iso` writes it."""
    return iso(datetime.now(UTC))
