"""Tests for the journal's run lock and `Journal.holder()` (`ccat.pat.journal.lock`)."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import ccat
from ccat.pat.errors import JournalError, JournalLockedError
from ccat.pat.journal import Journal, LockHolder

HERE = Path(__file__).parent


def child_env() -> dict[str, str]:
    """Environment in which a subprocess imports this very `ccat`."""
    src = str(Path(ccat.__file__).resolve().parents[1])
    # The repository's root too: the killer builds its runs with tests/support/journals.py.
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(HERE), str(HERE.parents[1])])}


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A separate process holding the lock of `tmp_path/pat-journal.json`."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "journal_killer.py"),
            "hold",
            str(tmp_path / "pat-journal.json"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    assert process.stdout is not None and process.stdout.readline() == "locked\n"
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=10)


@pytest.mark.slow
def test_lock_held_by_another_process(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    with pytest.raises(JournalLockedError) as info, journal.lock():
        pass
    assert f"pid {holder.pid} on host {socket.gethostname()}" in str(info.value)
    assert str(journal.lock_path) in str(info.value)
    assert info.value.hint is not None and "released" in info.value.hint
    assert info.value.exit_code == 2
    holder.communicate(input="", timeout=10)  # closing stdin makes it release and exit
    with journal.lock():
        pass


@pytest.mark.slow
def test_holder_names_a_live_holder_and_does_not_disturb_it(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    details = journal.lock_path.read_bytes()
    for _ in range(50):  # looking, however often, neither frees nor rewrites the lock
        seen = journal.holder()
        assert seen is not None and seen.pid == holder.pid
    assert seen is not None
    assert seen.host == socket.gethostname() and seen.started_at is not None
    assert journal.lock_path.read_bytes() == details
    with pytest.raises(JournalLockedError), journal.lock():
        pass
    holder.communicate(input="", timeout=10)
    assert journal.holder() is None  # it exited: free again


def test_holder_is_none_without_a_lock_file_and_creates_none(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state" / "pat-journal.json")
    assert journal.holder() is None
    assert not (tmp_path / "state").exists()


def test_stale_details_without_a_held_lock_mean_not_running(tmp_path: Path) -> None:
    """A SIGKILLed rotation leaves its details behind; only the flock counts."""
    journal = Journal(tmp_path / "pat-journal.json")
    stale = json.dumps({"pid": 999_999, "host": "gone", "user": "x", "started_at": "t"})
    journal.lock_path.write_text(stale + "\n")
    assert journal.holder() is None
    assert journal.lock_path.read_text() == stale + "\n"  # looking changes nothing
    with journal.lock():  # and a new rotation takes it
        assert f'"pid":{os.getpid()}' in journal.lock_path.read_text()


def test_holder_while_this_process_holds_the_lock(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    with journal.lock():
        seen = journal.holder()
        assert seen is not None
        assert (seen.pid, seen.host) == (os.getpid(), socket.gethostname())
        assert seen.describe().startswith(f"pid {os.getpid()} on host ")
    assert journal.holder() is None


def test_a_rotation_starting_while_someone_looks_is_not_turned_away(tmp_path: Path) -> None:
    """`holder()` holds a shared lock for an instant; a rotation that starts during it
    (no details written: nobody runs) waits that instant out instead of failing."""
    journal = Journal(tmp_path / "pat-journal.json")
    journal.lock_path.touch(mode=0o600)
    fd = os.open(journal.lock_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)  # someone looking...
    threading.Timer(0.01, os.close, [fd]).start()  # ...for an instant
    with journal.lock():
        assert f'"pid":{os.getpid()}' in journal.lock_path.read_text()


def test_a_lock_held_without_details_is_reported_after_a_while(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    journal.lock_path.touch(mode=0o600)
    fd = os.open(journal.lock_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # held, by something that writes no details
        with (
            pytest.raises(JournalLockedError, match="holder details not yet written"),
            journal.lock(),
        ):
            pass
    finally:
        os.close(fd)


def test_holder_describe_without_details() -> None:
    assert "not yet written" in LockHolder().describe()
    described = LockHolder(12, "h", None, "t").describe()
    assert described == "pid 12 on host h, user ?, since t"


def test_lock_is_released_after_the_context(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "sub" / "pat-journal.json")
    with journal.lock():
        assert journal.lock_path.name == "pat-journal.json.lock"
        assert stat.S_IMODE(journal.lock_path.stat().st_mode) == 0o600
        assert f'"pid":{os.getpid()}' in journal.lock_path.read_text(encoding="utf-8")
        # A second acquisition, even from this process, is refused.
        with pytest.raises(JournalLockedError, match=f"pid {os.getpid()}"), journal.lock():
            pass
    assert journal.lock_path.read_text(encoding="utf-8") == ""  # no stale holder details
    with pytest.raises(RuntimeError), journal.lock():
        raise RuntimeError
    with journal.lock():
        pass


def test_lock_refuses_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    journal = Journal(tmp_path / "pat-journal.json")
    journal.lock_path.symlink_to(victim)
    with pytest.raises(JournalError, match="cannot open the journal lock"), journal.lock():
        pass
    with pytest.raises(JournalError, match="cannot open the journal lock"):
        journal.holder()
    assert victim.read_text(encoding="utf-8") == "precious"


def test_two_spellings_of_one_journal_exclude_each_other(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    through_link = Journal(tmp_path / "link" / "pat-journal.json")
    through_dots = Journal(real / "sub" / ".." / "pat-journal.json")
    with through_link.lock():
        with pytest.raises(JournalLockedError), through_dots.lock():
            pass
        assert through_dots.holder() is not None
    with through_dots.lock(), pytest.raises(JournalLockedError), through_link.lock():
        pass
