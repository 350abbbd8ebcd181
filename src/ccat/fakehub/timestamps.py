"""GitHub's timestamps in the emulator's epoch seconds: ISO-8601 UTC with second
resolution (`ccat.pat.times`, the one format), and reading them back."""

from __future__ import annotations

from datetime import UTC, datetime

from ccat.pat.times import iso as iso_text
from ccat.pat.times import parse_iso


def iso(epoch: int) -> str:
    """ISO-8601 UTC with second resolution, as GitHub writes timestamps."""
    return iso_text(datetime.fromtimestamp(epoch, UTC))


def parse_time(value: str | datetime) -> int:
    """Epoch seconds of an ISO-8601 string ("…Z" accepted; no zone: UTC) or an aware
    datetime; ValueError when it is not a time."""
    if isinstance(value, str):
        parsed = parse_iso(value)
        if parsed is None:
            raise ValueError(f"not an ISO-8601 time: {value!r}")
        value = parsed
    return int(value.timestamp())
