"""Ctrl-C, SIGTERM and SIGHUP end a command the same way: cleanly, with the exit code
128 + the signal's number (130, 143, 129), after the engine has recorded the truth.

Outside an event loop the signals raise `Interrupted` (Ctrl-C at a prompt works as
anywhere else). Inside one (`run_interruptible`) they cancel the work instead, so that
the engine can journal what it knows, shielded, before the command ends.
"""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

import anyio

T = TypeVar("T")
HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):  # a BaseException, like the KeyboardInterrupt it replaces
    """A signal ended the command; `exit_code` is 128 + its number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        self.exit_code = 128 + signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextmanager
def raising_signals() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP raise `Interrupted`."""
    previous = {signum: signal.getsignal(signum) for signum in HANDLED}
    for signum in HANDLED:
        signal.signal(signum, _raise)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_interruptible(func: Callable[[], Awaitable[T]]) -> T:
    """`anyio.run(func)`, where a signal cancels `func` and then raises `Interrupted`.

    An exception of `func` comes out as itself, not wrapped in an exception group.
    """
    received: list[int] = []
    results: list[T] = []
    errors: list[Exception] = []

    async def main() -> None:
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                with anyio.open_signal_receiver(*HANDLED) as signals:
                    async for signum in signals:
                        received.append(signum)
                        group.cancel_scope.cancel()
                        return

            async def work() -> None:
                try:
                    results.append(await func())
                except Exception as exc:  # re-raised below, outside the task group
                    errors.append(exc)
                group.cancel_scope.cancel()  # the watcher's job is done

            group.start_soon(watch)
            group.start_soon(work)

    previous = {signum: signal.getsignal(signum) for signum in HANDLED}
    try:
        anyio.run(main)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if errors:
        raise errors[0]
    if received or not results:
        raise Interrupted(received[0] if received else signal.SIGINT)
    return results[0]
