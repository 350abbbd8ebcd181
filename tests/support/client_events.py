"""One ordered record of what the client and the rotation engine did, for the tests that
must know what the client knew when (the fault matrix, the damage bound).

`Events` is both a `ccat.pat.github.transport.ClientListener` and a
`ccat.pat.rotation.engine.RotateListener`. Both are called from the one event loop, so the order
of `Events.log` is the order in which the client and the engine saw things happen; each
entry also carries `time.monotonic()`, the clock the emulator's log uses (it runs in a
thread of the same process).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ccat.pat.github import Wait, WaitReason
from ccat.pat.journal import TargetRecord


@dataclass(frozen=True)
class Event:
    """`kind` is "done" (an attempt ended), "start" (a write is about to be sent) or
    "finish" (a write's outcome is journaled); `path` is the request path for "done",
    the repository for the others."""

    kind: str
    path: str
    method: str = ""
    status: int | None = None
    attempt: int = 0
    at: float = 0.0


class Events:
    """Every attempt, wait, write start and write outcome, in the order they happened."""

    def __init__(self) -> None:
        self.log: list[Event] = []
        self.waits: list[Wait] = []

    # -- ClientListener ------------------------------------------------------------

    def request_done(
        self, method: str, url: str, status: int | None, elapsed: float, attempt: int
    ) -> None:
        path = urlsplit(url).path
        self.log.append(Event("done", path, method, status, attempt, time.monotonic()))

    def waiting(self, wait: Wait) -> None:
        self.waits.append(wait)

    # -- RotateListener ------------------------------------------------------------

    def preflight_checked(self, done: int, total: int) -> None:
        """Preflight progress is not needed here."""

    def write_started(self, repository: str, number: int, total: int) -> None:
        self.log.append(Event("start", repository, at=time.monotonic()))

    def write_finished(self, record: TargetRecord) -> None:
        self.log.append(Event("finish", record.repository, status=record.http_status))

    # -- questions -----------------------------------------------------------------

    def rate_limit_waits(self) -> list[float]:
        """The seconds of every rate-limit wait the client announced."""
        return [w.seconds for w in self.waits if w.reason is WaitReason.RATE_LIMIT]

    def started(self) -> list[str]:
        """The repositories whose write started, in start order."""
        return [e.path for e in self.log if e.kind == "start"]

    def first_setback(self, method: str, path: str, success: tuple[int, ...]) -> int | None:
        """The index in `log` of the first attempt of `method path` that did not end in
        one of the `success` statuses, None if every attempt succeeded."""
        for index, event in enumerate(self.log):
            if (
                event.kind == "done"
                and (event.method, event.path) == (method, path)
                and event.status not in success
            ):
                return index
        return None
