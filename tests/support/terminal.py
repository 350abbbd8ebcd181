"""A real `python -m ccat` on a pseudo-terminal, for the tests of prompts and signals.
Import with `from tests.support.environment import child_env
from tests.support.terminal import ...`.

The process gets the pseudo-terminal as its controlling terminal and standard input
(`on_a_terminal`); the test reads what it prints there and types into it (Ctrl-C typed
there makes the terminal send SIGINT).
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ccat.fakehub import FakeHub
from tests.support.environment import child_env

CTRL_C = b"\x03"
CTRL_D = b"\x04"


def take_terminal(fd: int = 0) -> str:
    """What runs in the child: make the pseudo-terminal open as `fd` the session's
    controlling terminal, then be ccat. Done after exec'ing a fresh interpreter rather
    than with preexec_fn, which is unsafe in a process with threads (the emulator's).
    `fd` stays open in ccat (unused by it): with no descriptor of the terminal open, its
    master end would read as closed until ccat opens /dev/tty."""
    return (
        f"import fcntl, os, sys, termios; fcntl.ioctl({fd}, termios.TIOCSCTTY, 0); "
        "os.execv(sys.executable, [sys.executable, '-m', 'ccat', *sys.argv[1:]])"
    )


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def read_until(fd: int, needle: bytes, timeout: float = 30.0) -> bytes:
    """Read `fd` until `needle` has been read; everything read so far."""
    data = b""
    deadline = time.monotonic() + timeout
    while needle not in data:
        left = deadline - time.monotonic()
        assert left > 0, f"no {needle!r} in {data!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # a pseudo-terminal whose other end is closed
            chunk = b""
        assert chunk, f"end of output before {needle!r}: {data!r}"
        data += chunk
    return data


def read_rest(fd: int, timeout: float = 5.0) -> bytes:
    """Whatever `fd` still gives until its other end is closed (or `timeout`)."""
    data = b""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


@contextmanager
def on_a_terminal(
    args: list[str], hub: FakeHub, tmp_path: Path, *, stdin: int | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`python -m ccat ARGS` with a pseudo-terminal as its controlling terminal (and as
    standard input, unless `stdin` is given: then the token can come through a pipe
    while the terminal is still there); yields the process and the terminal's master
    end, where the test reads and types."""
    master, slave = pty.openpty()
    # With `stdin`, the terminal comes in as another descriptor and becomes the
    # controlling terminal: ccat reaches it through /dev/tty only.
    take = take_terminal(0 if stdin is None else slave)
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", take, *args],
            stdin=slave if stdin is None else stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(hub.operator_token, tmp_path),
            start_new_session=True,
            pass_fds=() if stdin is None else (slave,),
        )
    finally:
        os.close(slave)
    try:
        yield process, master
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
        os.close(master)
