"""When a token's expiry is worth a warning: the one cut-off that `status` (the token
of the last completed rotation) and `rotate` (the new token, at preflight) apply, both
with `--warn-days`.

A warning is due when `expires_at - now` is at most `warn_days` days: exactly that many
days left still warns, a second more does not. The token has expired once
`expires_at <= now`. A day is 24 hours; days left are whole days, rounded down
(negative once expired). `expiry_warning` is how `status` and `verify` word the
warning.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ccat.pat.times import parse_iso

_DAY = timedelta(days=1)


def days_left(expires: datetime, now: datetime) -> int:
    """Whole days from `now` until `expires`, rounded down (negative once expired)."""
    return (expires - now) // _DAY


def expiry_due(expires_at: str | None, now: datetime, warn_days: int) -> datetime | None:
    """The expiry of `expires_at` (ISO-8601) when a warning is due, as `now` and
    `warn_days` say (see the module); None when it is further off, or there is none or
    it cannot be read (the callers say that apart)."""
    expires = parse_iso(expires_at)
    if expires is None or expires - now > timedelta(days=warn_days):
        return None
    return expires


def expiry_warning(who: str, expires: datetime, now: datetime) -> str:
    """The warning `status` and `verify` give of `who` (e.g. "the token (octocat)")
    once `expiry_due` returned `expires`: expired, within a day, or in whole days."""
    day = expires.strftime("%Y-%m-%d")
    left = days_left(expires, now)
    if expires <= now:
        return f"{who} expired on {day}: CI fails until it is rotated"
    if left == 0:
        return f"{who} expires on {day}, within a day: CI breaks then; rotate now"
    days = f"{left} day{'s' if left != 1 else ''}"
    return f"{who} expires on {day}, in {days}: CI breaks then; rotate before"
