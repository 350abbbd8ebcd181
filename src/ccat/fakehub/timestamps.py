"""GitHub's timestamps: ISO-8601 UTC with second resolution, and parsing them back."""

from __future__ import annotations

import time
from datetime import datetime


def iso(epoch: int) -> str:
    """ISO-8601 UTC with second resolution, as GitHub writes timestamps."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse_time(value: str | datetime) -> int:
    """Epoch seconds of an ISO-8601 string ("…Z" accepted) or an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return int(value.timestamp())
