"""The writes of a rotation (SPEC §4.4 to 4.6): paced, in target order, journal first,
and none started after a failure or while an earlier write is in trouble."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import anyio

from ccat.pat.errors import GitHubError, JournalError, SealingError
from ccat.pat.github import GitHubClient, PublicKey, seal
from ccat.pat.journal import RotationRun, TargetRecord
from ccat.pat.rotation.plan import RotateOptions, WriteFailure
from ccat.pat.times import iso


class _Changed:
    """A notification any number of waiters can wait for, re-armed after each notify."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = anyio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class Writer:
    """Paced writes in target order (SPEC §4.4 to 4.6): at most `concurrency` in flight, each
    start at least `write_interval` after the previous one, no start after a failure, and
    none while an earlier write is being retried or waits out a rate limit."""

    def __init__(
        self,
        options: RotateOptions,
        client: GitHubClient,
        run: RotationRun,
        keys: Mapping[str, PublicKey],
    ) -> None:
        self.client = client
        self.options = options
        self.started = 0  # writes whose start is journaled
        self.run = run
        # A resumed run may spell a name as the graph did then; GitHub ignores case.
        self.keys = {name.lower(): key for name, key in keys.items()}
        self.failure: WriteFailure | None = None
        # The first journal save that failed (no write starts after it), and the
        # repositories whose known outcome the journal could not take.
        self.journal_error: JournalError | None = None
        self.unjournaled: list[str] = []
        self.troubled: set[str] = set()
        self.changed = _Changed()

    @property
    def stopped(self) -> bool:
        return self.failure is not None or self.journal_error is not None

    def _save(self, record: TargetRecord) -> bool:
        """Journal `record`; if that fails no further write may start (its outcome could
        not be recorded), so remember the error and stop as on a failed write. The run in
        memory takes the record only once it is durable (`save_target` puts it)."""
        try:
            self.options.journal.save_target(self.run, record)
        except JournalError as exc:
            if self.journal_error is None:
                self.journal_error = exc
            self.changed.notify()
            # The update log may have taken it before a later step failed (`save_target`
            # puts a record into the run once it is appended): then it is durable.
            return self.run.target(record.repository) == record
        return True

    async def write_all(self, repositories: Sequence[str]) -> WriteFailure | None:
        limiter = anyio.CapacityLimiter(self.options.concurrency)
        last_start: float | None = None
        total = len(repositories)
        async with anyio.create_task_group() as group:
            for number, repository in enumerate(repositories, start=1):
                # Waiting for a slot, the interval or a troubled write is not "started":
                # check after all three.
                slot = object()  # the limiter's borrower: records are not hashable
                await limiter.acquire_on_behalf_of(slot)
                while not self.stopped:
                    if self.troubled:
                        await self.changed.wait()
                        continue
                    remaining = (
                        0.0
                        if last_start is None
                        else last_start + self.options.write_interval - self.options.monotonic()
                    )
                    if remaining <= 0:
                        break
                    with anyio.move_on_after(remaining):
                        await self.changed.wait()
                if self.stopped:
                    limiter.release_on_behalf_of(slot)
                    break
                last_start = self.options.monotonic()
                record = self.run.target(repository) or TargetRecord.pending(repository)
                # Saved before the request: a crash now leaves "started, not finished",
                # which `ccat pat journal` shows as in flight and `--resume` redoes.
                if not self._save(record.started(iso(self.options.clock()))):
                    limiter.release_on_behalf_of(slot)
                    break
                self.started += 1
                if self.options.listener is not None:
                    self.options.listener.write_started(repository, number, total)
                group.start_soon(self._write, repository, limiter, slot)
        return self.failure

    async def _write(self, repository: str, limiter: anyio.CapacityLimiter, slot: object) -> None:
        key = self.keys[repository.lower()]
        token = self.options.new_token
        assert token is not None

        def setback() -> None:
            self.troubled.add(repository)
            self.changed.notify()

        record = self.run.target(repository)
        assert record is not None
        try:
            try:
                status = await self.client.put_secret(
                    repository,
                    self.options.secret,
                    seal(token, key.key),
                    key.key_id,
                    on_setback=setback,
                )
            except (GitHubError, SealingError) as exc:
                # A key preflight accepted that libsodium refuses now is this write's
                # failure too, not an error that cancels the writes in flight.
                code = exc.status if isinstance(exc, GitHubError) else None
                detail = exc.detail if isinstance(exc, GitHubError) else exc.message
                record = record.failed(code, detail, iso(self.options.clock()))
                if self.failure is None:
                    self.failure = WriteFailure(record, exc.hint)
            else:
                record = record.succeeded(status, iso(self.options.clock()))
            # Journal first, then report. The save is synchronous: no cancellation can
            # land between the answer and the save, so a known outcome is never lost.
            if self._save(record):
                if self.options.listener is not None:
                    self.options.listener.write_finished(record)
            else:
                # Known, but not in the journal: the run in memory still takes it, so the
                # final report is exact; the journal lags (never claims) behind it.
                self.run.put(record)
                self.unjournaled.append(record.repository)
        finally:
            self.troubled.discard(repository)
            self.changed.notify()
            limiter.release_on_behalf_of(slot)
