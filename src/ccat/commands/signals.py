"""Ctrl-C, SIGTERM and SIGHUP end a command the same way: cleanly, with the exit code
128 + the signal's number (130, 143, 129), after the engine has recorded the truth.

One `SignalGate` owns the three signals for the whole command, and only the first one
counts: every later one is absorbed, so that a second signal a millisecond after the
first (a closing terminal sends SIGHUP then SIGTERM; an impatient operator presses
Ctrl-C twice) can neither kill the process before the journal says `interrupted` nor
interrupt the report of what was done. The first signal:

- outside an event loop raises `Interrupted` (Ctrl-C at a prompt works as anywhere else);
- inside one (`SignalGate.run`) cancels the work instead, so that the engine can
  journal what it knows before the command ends; the handler itself never raises there;
- while the gate `holds` (after a rotation's outcome is recorded) changes nothing: what
  was done is reported as it is.

The handlers are Python-level (`signal.signal`) for the gate's whole life. The event
loop's own signal handling (`loop.add_signal_handler`) is not used: leaving it puts the
default disposition back, which let a second signal kill the process.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

T = TypeVar("T")
HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# Set by the console entry point (`ccat.cli.main`), whose process ends with its command:
# a gate then ignores the signals from its end on, instead of putting the defaults back,
# which would let a signal in the process's last milliseconds replace the exit code of
# an outcome already reported by the signal's. Ignored, not handled: the interpreter's
# shutdown puts the default disposition back for Python handlers. (Left False
# in-process, e.g. under tests.)
process_ends_with_command = False


class Interrupted(BaseException):  # a BaseException, like the KeyboardInterrupt it replaces
    """A signal ended the command; `exit_code` is 128 + its number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.name = signal_name(signum)
        self.exit_code = 128 + signum


def signal_name(signum: int) -> str:
    """How a message names the signal: `Ctrl-C`, `SIGTERM`, `SIGHUP`."""
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


class SignalGate:
    """The signal handling of one command; see the module docstring.

    `first` is the first signal received (None: none yet), `absorbed` counts the later
    ones. Install it with `installed()`.
    """

    def __init__(self) -> None:
        self.first: int | None = None
        self.absorbed = 0
        self._raising = True
        self._cancel: Callable[[], None] | None = None

    @classmethod
    @contextmanager
    def installed(cls) -> Iterator[SignalGate]:
        """A gate handling SIGINT, SIGTERM and SIGHUP until the block ends."""
        gate = cls()
        previous = {signum: signal.getsignal(signum) for signum in HANDLED}
        for signum in HANDLED:
            signal.signal(signum, gate._handle)
        try:
            yield gate
        finally:
            gate.hold()
            for signum, handler in previous.items():
                signal.signal(signum, signal.SIG_IGN if process_ends_with_command else handler)

    def hold(self) -> None:
        """From now on no signal raises or cancels anything: the outcome is recorded and
        is reported as it is (a signal now is only counted)."""
        self._raising = False
        self._cancel = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.first is not None:
            self.absorbed += 1
            return
        self.first = signum
        if self._cancel is not None:
            self._cancel()
        elif self._raising:
            raise Interrupted(signum)

    def run(self, func: Callable[[], Awaitable[T]], *, result_stands: bool = False) -> T:
        """`anyio.run(func)`, where the first signal cancels `func`; then `Interrupted`.

        With `result_stands`, a result `func` managed to return stands even if a signal came
        (the engine has recorded it as final), and the gate holds afterwards. An exception
        of `func` comes out as itself.
        """
        # Imported here: `ccat.cli.main` imports this module at start-up.
        import asyncio

        import anyio

        results: list[T] = []
        errors: list[Exception] = []

        async def main() -> None:
            loop = asyncio.get_running_loop()
            with anyio.CancelScope() as scope:

                def cancel() -> None:
                    # Called by the signal handler, between two bytecodes of this thread:
                    # only schedule the cancellation (the loop's self-pipe wakes it up).
                    # A loop already closing raises: `run` sees `first` after it anyway.
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(scope.cancel)

                self._cancel = cancel
                if self.first is not None:  # came between the loop's start and now
                    scope.cancel()
                try:
                    results.append(await func())
                except Exception as exc:  # re-raised below, outside the event loop
                    errors.append(exc)
                finally:
                    # From here to the end of the loop, a signal is noticed after it.
                    self._cancel = None

        self._raising = False  # the loop starts and ends without a signal raising into it
        try:
            anyio.run(main)
        finally:
            self._raising = not result_stands
        if results and (result_stands or self.first is None):
            return results[0]
        if self.first is not None:  # the operator's stop wins over what the work raised
            raise Interrupted(self.first)
        if errors:
            raise errors[0]
        raise Interrupted(signal.SIGINT)  # cancelled without a signal: cannot happen
