"""The emulator's public records: faults to inject, rate-limit modes, stored secrets, log lines."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Literal

FaultAction = Literal["status", "drop", "hang"]
RateLimitKind = Literal["primary", "secondary"]


@dataclass(frozen=True)
class Fault:
    """A failure to inject into the answers of matching requests.

    `path` is an `fnmatch` pattern over the request path without its query and without
    an `/api/v3` prefix; `method` is an HTTP method or `"*"`. Each matching request
    consumes one of `count` (None: forever). `action` says what happens:

    - `"status"`: answer `status` with a GitHub-style JSON error carrying `message`,
      a `Retry-After` header when `retry_after` is set, and any extra `headers`;
    - `"drop"`: close the connection without answering;
    - `"hang"`: never answer, until the client disconnects or the hub stops.
    """

    method: str = "*"
    path: str = "*"
    status: int = 500
    count: int | None = 1
    message: str = "Server Error"
    retry_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    action: FaultAction = "status"

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and (normalised) path is affected."""
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path)


@dataclass(frozen=True)
class RateLimitMode:
    """A rate limit the hub enforces until it is set back to None.

    `"primary"`: the remaining `remaining` requests are answered normally, then every
    request gets 403 "API rate limit exceeded…" with `x-ratelimit-remaining: 0` and
    `x-ratelimit-reset: reset_at` (epoch seconds; default one minute after the mode is set).
    `"secondary"`: every request gets 429 "You have exceeded a secondary rate limit…"
    with `Retry-After: retry_after`. `GET /rate_limit` is never limited, as on GitHub.

    GitHub documents both kinds as "a 403 or 429 response"; `status` picks one (None:
    403 for primary, 429 for secondary, what api.github.com mostly sends).
    """

    kind: RateLimitKind
    remaining: int = 0
    reset_at: int | None = None
    retry_after: int = 60
    status: int | None = None

    def __post_init__(self) -> None:
        if self.status not in (None, 403, 429):
            raise ValueError(f"a rate limit answers 403 or 429, not {self.status}")

    @property
    def answer_status(self) -> int:
        """The HTTP status of a rate-limited answer."""
        if self.status is not None:
            return self.status
        return 403 if self.kind == "primary" else 429


@dataclass(frozen=True)
class StoredSecret:
    """A secret as the hub stores it: its decrypted value and ISO-8601 UTC timestamps."""

    name: str
    value: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class LoggedRequest:
    """One request the hub received and how it answered.

    `path` has neither query nor `/api/v3` prefix (`raw_path` is the request target as
    sent); `headers` has lower-case names and the `authorization` value replaced by
    `"<redacted>"`; `token_login` is the login the token maps to (None when missing or
    unknown); `json` is the parsed body (None when absent or not JSON); `status` is None
    when the connection was dropped or left hanging; `started`/`finished` are
    `time.monotonic()` values.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    token_login: str | None
    json: Any
    status: int | None
    started: float
    finished: float
    raw_path: str = ""
