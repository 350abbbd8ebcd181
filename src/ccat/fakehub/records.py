"""The emulator's public records: faults to inject, rate limits and the per-minute points
budget, stored secrets, log lines."""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ccat.pat.github_rules import POINTS_PER_MINUTE, POINTS_WINDOW

FaultAction = Literal["status", "drop", "hang"]
RateLimitKind = Literal["primary", "secondary"]


@dataclass(frozen=True)
class Fault:
    """A failure to inject into the answers of matching requests.

    `path` is an `fnmatch` pattern over the request path without its query and without
    an `/api/v3` prefix, or a compiled regular expression that must match that whole
    path; `method` is an HTTP method or `"*"`. Each matching request consumes one of
    `count` (None: forever). `action` says what happens:

    - `"status"`: answer `status` (any of 200-599) with a GitHub-style JSON error
      carrying `message`, a `Retry-After` header when `retry_after` is set, and any extra
      `headers` (which replace the emulator's own headers of the same name);
    - `"drop"`: close the connection without answering;
    - `"hang"`: never answer, until the client disconnects or the hub stops.

    For hostile answers: `body` (bytes) is sent as it is instead of the JSON error
    (`b""`: no body at all), repeated `body_repeat` times — streamed in chunks with the
    right `Content-Length`, so a 300 MB answer costs no memory; its `Content-Type` is
    GitHub's JSON one unless `headers` says otherwise. `github_headers=False` leaves out
    every header GitHub sends (`Server`, `Date`, `X-GitHub-*`, `X-RateLimit-*`,
    `Content-Type`), keeping only `headers` and the framing. A `Content-Length` or
    `Transfer-Encoding` in `headers` replaces the framing (the connection is then closed
    after the answer). No body is sent with a 204 or 304, nor to a HEAD request.
    """

    method: str = "*"
    path: str | re.Pattern[str] = "*"
    status: int = 500
    count: int | None = 1
    message: str = "Server Error"
    retry_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    action: FaultAction = "status"
    body: bytes | None = None
    body_repeat: int = 1
    github_headers: bool = True

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and (normalised) path is affected."""
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return fnmatch.fnmatchcase(path, self.path)

    def check(self) -> None:
        """Raise ValueError unless the emulator can send this fault as described."""
        if self.action not in ("status", "drop", "hang"):
            raise ValueError(f"unknown fault action {self.action!r}")
        if not 200 <= self.status <= 599:
            raise ValueError(f"a fault answers a status of 200-599, not {self.status}")
        if self.body_repeat < 0:
            raise ValueError("body_repeat is a count, at least 0")
        if self.body is not None and not isinstance(self.body, bytes):
            raise ValueError("a fault's body is bytes, sent as they are")
        for name, value in self.headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"not an HTTP header name: {name!r}")
            if _BREAKS_HEAD.search(value) or not _latin1(value):
                raise ValueError(f"header {name}: the value must be Latin-1 without CR, LF, NUL")


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_BREAKS_HEAD = re.compile(r"[\r\n\x00]")


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


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
class PointsLimit:
    """GitHub.com's secondary rate limit on REST, which the hub may enforce (ccat's own
    side of it, the budget a run spends, is `ccat.pat.github.PointsBudget`).

    At most `points` points in any sliding window of `window` seconds, over every request
    the hub receives: GET, HEAD and OPTIONS cost 1 point, any other method 5. A request
    that would exceed the budget gets 429 with the secondary-rate-limit message and
    `Retry-After` (whole seconds until enough points have left the window) and costs
    nothing. With `max_concurrent` set, a request arriving while that many are already
    in flight gets the same 429 (`Retry-After: 1`). `clock` (monotonic seconds) is the
    window's clock, injectable so that a test need not wait a minute.
    """

    points: int = POINTS_PER_MINUTE
    window: float = POINTS_WINDOW
    max_concurrent: int | None = 100
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.points < 1 or self.window <= 0:
            raise ValueError("a points limit needs at least 1 point and a positive window")
        if self.max_concurrent is not None and self.max_concurrent < 1:
            raise ValueError("max_concurrent is at least 1, or None")


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
