"""The layers under every GitHub request, each calling the next one down (as httpx's own
client layers `send` over auth, redirects and a single request):

    Transport.send          rate limits: wait as GitHub says, the run within --max-wait
    └── _retrying           transient failures: 5xx and lost connections 3 times, a timeout once
        └── _attempt        one exchange: budget points, one deadline, a bounded read

Nothing here interprets a successful answer: `github.py` checks status and shape. What
the transport guarantees is that every exchange ends — with an `Answer` of at most
`MAX_BODY` bytes, or with a `GitHubError` — within the timeout, the retries, and the
rate-limit waits the operator allowed.
"""

from __future__ import annotations

import email.utils
import enum
import json
import math
import random
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import anyio
import httpx

from ccat import __version__
from ccat.pat.errors import GitHubError, InvalidAnswerError, RateLimitError, TransportError
from ccat.pat.github.budget import PointsBudget
from ccat.pat.github.connection import ConnectionFailure, connection_failure
from ccat.pat.github_rules import points_of
from ccat.pat.settings import ClientSettings
from ccat.pat.times import iso

API_VERSION = "2022-11-28"
USER_AGENT = f"ccat/{__version__} (+ccat pat)"
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
MAX_BODY = 1024 * 1024
# httpcore's pool does work per request that grows with its number of connections; many
# small pools keep every request's share of that work constant at any --concurrency.
# Pools of 4, 8 or 16 measure alike; one pool of 64 costs 3-6 times the CPU
# (benchmarks/bench_pools.py).
POOL_CONNECTIONS = 8
# GitHub: without a usable Retry-After or reset time, "wait for at least one minute
# before retrying", and "for an exponentially increasing amount of time" when the
# request is refused again. A reset already past (our clock ahead of GitHub's, or a
# header that lies) and a Retry-After under a second are no usable time: they used to
# become a retry every second, 55 requests in 7.6 s for 9 repositories.
DEFAULT_RATE_LIMIT_WAIT = 60.0
MAX_FALLBACK_DOUBLINGS = 6  # 60 s, 120 s, … 64 min: beyond any sensible --max-wait

_E = TypeVar("_E", bound=GitHubError)


@dataclass(frozen=True)
class Timing:
    """The transport's clocks and sleep, replaceable in tests so that nothing waits for real.

    `monotonic` measures durations and the budget window; `wall` is compared with
    GitHub's `x-ratelimit-reset` (epoch seconds); `rng` jitters the backoff.
    """

    sleep: Callable[[float], Awaitable[None]] = anyio.sleep
    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)


class WaitReason(enum.Enum):
    """Why the client is waiting before it sends (again)."""

    RATE_LIMIT = "rate limit"  # GitHub refused with a rate limit: announced always
    RETRY = "retry"  # backoff before retrying a transient failure
    BUDGET = "budget"  # our own per-minute budget (or a pause GitHub asked for)


@dataclass(frozen=True)
class Wait:
    """A wait the client announces: how long, why, for which repository."""

    reason: WaitReason
    seconds: float
    repository: str | None
    detail: str


class ClientListener(Protocol):
    """Receives what the client does, for `--debug` output, notices and progress."""

    def request_done(
        self, method: str, url: str, status: int | None, elapsed: float, attempt: int
    ) -> None:
        """A request finished (`status` None: no answer, e.g. a dropped connection)."""

    def waiting(self, wait: Wait) -> None:
        """The client sleeps before sending: a rate limit, a retry or the budget."""


@dataclass(frozen=True)
class Request:
    """One logical request. `on_setback` is called when its first attempt did not succeed
    and a retry or a wait follows (the rotation stops starting writes meanwhile).
    `anonymous`: sent without any `Authorization` header (`POST /credentials/revoke`,
    whose body is the token it revokes: neither is ever shown)."""

    method: str
    path: str
    repository: str | None
    token: str | None = field(default=None, repr=False)
    body: Mapping[str, Any] | None = field(default=None, repr=False)
    on_setback: Callable[[], None] | None = None
    anonymous: bool = False

    @property
    def line(self) -> str:
        """`METHOD /path`, as errors and the journal quote it (never a header)."""
        return f"{self.method} {self.path}"

    def error(
        self,
        kind: type[_E],
        said: str,
        *,
        detail: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> _E:
        """A `kind` of error about this request: `said` after the request line, with the
        repository and the line attached; `detail` (default `said`) is what the journal
        records as the target's error."""
        return kind(
            f"{self.line}: {said}",
            detail=said if detail is None else detail,
            repository=self.repository,
            request=self.line,
            status=status,
            hint=hint,
        )


@dataclass(frozen=True)
class Answer:
    """A complete answer: status, headers and a body of at most `MAX_BODY` bytes."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> object:
        """The body as JSON; `None` when it is empty or not JSON (the caller says which
        shape it wanted)."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):  # RecursionError: `[[[[…` a million deep
            return None


@dataclass(frozen=True)
class _RateLimitWait:
    """A rate limit's wait: `told` when GitHub's headers gave it; else GitHub's documented
    fallback, and `why` the headers gave no usable time."""

    seconds: float
    told: bool
    why: str = ""


class _Oversized(Exception):
    """The answer is larger than `MAX_BODY`, before or after decompression."""


class _Undecodable(Exception):
    """The answer is compressed in a way we did not ask for."""


class Transport:
    """Sends `Request`s through a few small connection pools; see the module docstring."""

    def __init__(
        self,
        pools: list[httpx.AsyncClient],
        settings: ClientSettings,
        *,
        listener: ClientListener | None = None,
        timing: Timing | None = None,
        budget: PointsBudget | None = None,
    ) -> None:
        self.settings = settings
        self._pools = pools
        self._busy = [0] * len(pools)
        self._listener = listener
        self._timing = timing or Timing()
        self.budget = budget or PointsBudget(
            settings.budget, monotonic=self._timing.monotonic, sleep=self._timing.sleep
        )

    # -- rate limits ---------------------------------------------------------------

    async def send(self, request: Request) -> Answer:
        """Send `request`, waiting out rate limits while the run's waits for them stay
        within `max_wait` seconds in all (see `PointsBudget.paused_total`)."""
        refusals = 0
        while True:
            answer = await self._retrying(request)
            wait = self._rate_limit_wait(answer, refusals)
            if wait is None:
                return answer
            refusals += 1
            # Waits of several requests overlap (each pauses the whole run): what counts
            # is how much longer the run would now be paused.
            total = self.budget.paused_total + self.budget.pause_growth(wait.seconds)
            if total > self.settings.max_wait:
                raise self._too_long(request, answer, wait)
            self._setback(request)
            # Every request of the run holds back, not only this one: GitHub counts
            # each refused request against us.
            self.budget.pause(wait.seconds)
            detail = f"HTTP {answer.status}" + ("" if wait.told else f"; {wait.why}")
            self._notify(Wait(WaitReason.RATE_LIMIT, wait.seconds, request.repository, detail))
            await self._timing.sleep(wait.seconds)

    def _rate_limit_wait(self, answer: Answer, refusals: int) -> _RateLimitWait | None:
        """How long to wait if `answer` is a rate-limit answer (SPEC §6), else None;
        `refusals` is how many rate-limit answers this request had before.

        A wait GitHub asks for that is not a finite number of seconds is infinity:
        longer than any --max-wait, so it fails that request cleanly.
        """
        if answer.status not in (403, 429):
            return None
        data = answer.json()
        message = data.get("message") if isinstance(data, dict) else None
        mentions = isinstance(message, str) and "rate limit" in message.lower()
        exhausted = answer.headers.get("x-ratelimit-remaining", "").strip() == "0"
        if not mentions and not exhausted:
            return None
        why = "GitHub said no time to wait"
        retry_after = answer.headers.get("retry-after")
        if retry_after is not None:
            seconds = _retry_after_seconds(retry_after, self._timing.wall())
            if seconds is not None and seconds >= 1:
                return _RateLimitWait(seconds, told=True)
            why = "GitHub's Retry-After is not a wait"
        # The reset time is the primary limit's: it says when to retry only once that
        # limit is used up (GitHub's order: Retry-After, then the reset if remaining is 0).
        reset = answer.headers.get("x-ratelimit-reset") if exhausted else None
        epoch = None if reset is None else _number(reset)
        if epoch is not None:
            seconds = epoch - self._timing.wall()
            if seconds >= 1:
                return _RateLimitWait(seconds, told=True)
            why = "GitHub's reset time is already past"
        doubled = DEFAULT_RATE_LIMIT_WAIT * 2 ** min(refusals, MAX_FALLBACK_DOUBLINGS)
        return _RateLimitWait(doubled, told=False, why=why)

    def _too_long(self, request: Request, answer: Answer, wait: _RateLimitWait) -> RateLimitError:
        """The rate limit would take the run's waits beyond --max-wait."""
        limit = self.settings.max_wait
        waited = self.budget.paused_total
        if not wait.told:
            what = f"{wait.why}; a wait of {wait.seconds:.0f} s"
            hint = "run again in a few minutes, or raise --max-wait"
        else:
            what = self._reset_text(wait.seconds)
            hint = "run again after the reset, or raise --max-wait"
        spent = f", after {waited:.0f} s of waits already" if waited >= 1 else ""
        beyond = f"beyond --max-wait {limit:g} s for the whole run{spent}"
        return request.error(
            RateLimitError,
            f"GitHub rate limit; {what} ({beyond})",
            detail=f"rate limited; {what}, {beyond}",
            status=answer.status,
            hint=hint,
        )

    def _reset_text(self, wait: float) -> str:
        if not math.isfinite(wait) or wait > 366 * 86400:
            return "GitHub asks for a wait of more than a year"
        reset_at = datetime.fromtimestamp(self._timing.wall() + wait, UTC)
        return f"it resets at {iso(reset_at)}, {wait:.0f} s away"

    # -- transient failures --------------------------------------------------------

    async def _retrying(self, request: Request) -> Answer:
        """One attempt, then retries of transient failures with backoff (SPEC §6)."""
        attempt = 0
        timeouts = 0
        while True:
            try:
                answer = await self._attempt(request, attempt)
            except (httpx.TransportError, TimeoutError) as exc:
                timed_out = isinstance(exc, TimeoutError | httpx.TimeoutException)
                timeouts += timed_out
                deterministic = isinstance(
                    exc, httpx.LocalProtocolError | httpx.UnsupportedProtocol
                )
                if (
                    deterministic
                    or attempt >= self.settings.retries
                    or timeouts > self.settings.timeout_retries
                ):
                    raise self._transport_error(request, attempt, exc) from None
                reason = self._failure(exc).reason
            else:
                if answer.status not in TRANSIENT_STATUSES or attempt >= self.settings.retries:
                    return answer
                reason = f"HTTP {answer.status}"
            attempt += 1
            self._setback(request)
            await self._backoff(request, attempt, reason)

    def _failure(self, exc: Exception) -> ConnectionFailure:
        return connection_failure(exc, self.settings.api_url, self.settings.timeout)

    def _transport_error(self, request: Request, attempt: int, exc: Exception) -> TransportError:
        failure = self._failure(exc)
        detail = f"{failure.reason} (after {attempt + 1} attempt{'s' if attempt else ''})"
        return request.error(TransportError, detail, hint=failure.hint)

    async def _backoff(self, request: Request, attempt: int, reason: str) -> None:
        """Exponential backoff with equal jitter (half fixed, half random) before a retry."""
        base = self.settings.backoff * (2 ** (attempt - 1))
        delay = base / 2 + self._timing.rng.uniform(0, base / 2)
        detail = f"{reason}, retry {attempt}/{self.settings.retries}"
        self._notify(Wait(WaitReason.RETRY, delay, request.repository, detail))
        await self._timing.sleep(delay)

    # -- one exchange --------------------------------------------------------------

    async def _attempt(self, request: Request, attempt: int) -> Answer:
        """Borrow budget points, then one exchange bounded by the timeout as a whole
        (httpx's own timeout is per network operation: a trickling server beats it)."""

        def budget_wait(seconds: float) -> None:
            detail = f"{self.budget.points} points per {self.budget.window:g} s"
            self._notify(Wait(WaitReason.BUDGET, seconds, request.repository, detail))

        spent = await self.budget.acquire(points_of(request.method), budget_wait)
        started = self._timing.monotonic()
        status: int | None = None
        try:
            with anyio.fail_after(self.settings.timeout):
                answer = await self._exchange(request)
            status = answer.status
            return answer
        finally:
            self.budget.release(spent)
            if self._listener is not None:
                url = f"{self.settings.api_url}{request.path}"
                elapsed = self._timing.monotonic() - started
                self._listener.request_done(request.method, url, status, elapsed, attempt)

    async def _exchange(self, request: Request) -> Answer:
        index = min(range(len(self._pools)), key=self._busy.__getitem__)
        self._busy[index] += 1
        token = request.token if request.token is not None else self.settings.token
        headers = {} if request.anonymous else {"Authorization": f"Bearer {token}"}
        try:
            async with self._pools[index].stream(
                request.method, request.path, json=request.body, headers=headers
            ) as response:
                try:
                    body = await _read_bounded(response)
                except _Oversized:
                    raise self._invalid(request, response.status_code, "larger than 1 MB") from None
                except _Undecodable as exc:
                    raise self._invalid(request, response.status_code, str(exc)) from None
                return Answer(response.status_code, response.headers, body)
        except UnicodeError:
            # A header value that is not ASCII. Tokens are validated before any request,
            # so this is a bug; the codec's message would quote the character: drop it.
            raise request.error(TransportError, "the request could not be encoded") from None
        finally:
            self._busy[index] -= 1

    @staticmethod
    def _invalid(request: Request, status: int, what: str) -> InvalidAnswerError:
        return request.error(
            InvalidAnswerError,
            f"HTTP {status}: the answer is {what}; it was not read",
            detail=f"HTTP {status}: the answer is {what}",
            status=status,
        )

    # -- listener --------------------------------------------------------------------

    def _notify(self, wait: Wait) -> None:
        if self._listener is not None:
            self._listener.waiting(wait)

    @staticmethod
    def _setback(request: Request) -> None:
        if request.on_setback is not None:
            request.on_setback()


async def _read_bounded(response: httpx.Response) -> bytes:
    """The body, at most `MAX_BODY` bytes once decompressed; else `_Oversized`."""
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _Oversized
    raw = bytearray()
    async for chunk in response.aiter_raw():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise _Oversized
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return bytes(raw)
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise _Undecodable(f"compressed as {encoding[:20]!r}, which was not asked for")
    # wbits 47: a zlib or gzip header, detected. max_length bounds what a small but
    # highly compressed body may expand to.
    decoder = zlib.decompressobj(47)
    try:
        body = decoder.decompress(bytes(raw), MAX_BODY + 1)
    except zlib.error:
        raise _Undecodable(f"not valid {encoding} data") from None
    if len(body) > MAX_BODY or decoder.unconsumed_tail:
        raise _Oversized
    return body


def _number(text: str) -> float | None:
    """A header's number, or None when it is not one; infinity stays infinity."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _retry_after_seconds(value: str, now: float) -> float | None:
    """`Retry-After` as seconds: a number of seconds or an HTTP date (RFC 9110)."""
    seconds = _number(value)
    if seconds is not None:
        return seconds if seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


@asynccontextmanager
async def open_pools(
    settings: ClientSettings, pool_connections: int = POOL_CONNECTIONS
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """The connection pools of a `Transport`: ceil(concurrency / pool_connections) of
    them, closed on exit (`pool_connections` is a measured choice;
    benchmarks/bench_pools.py varies it)."""
    count = max(1, math.ceil(settings.concurrency / pool_connections))
    per_pool = max(1, math.ceil(settings.concurrency / count))
    # One TLS context for every pool: each would otherwise load the CA bundle again
    # (about 25 ms of CPU each: 0.3 s at --concurrency 100). httpx's own default,
    # SSL_CERT_FILE / SSL_CERT_DIR included.
    tls = httpx.create_ssl_context()
    async with AsyncExitStack() as stack:
        pools = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=settings.api_url,
                    headers={
                        "Accept": "application/vnd.github+json",
                        "X-GitHub-Api-Version": API_VERSION,
                        "User-Agent": USER_AGENT,
                        # Decompressed by `_read_bounded` with a bound; nothing else is asked.
                        "Accept-Encoding": "gzip, deflate",
                    },
                    timeout=httpx.Timeout(settings.timeout),
                    verify=tls,
                    limits=httpx.Limits(
                        max_connections=per_pool, max_keepalive_connections=per_pool
                    ),
                    # trust_env stays on: operators behind a proxy (HTTPS_PROXY) or with a
                    # private CA for GitHub Enterprise Server (SSL_CERT_FILE) need it.
                    follow_redirects=False,
                )
            )
            for _ in range(count)
        ]
        yield pools
