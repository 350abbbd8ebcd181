"""Tests for `ccat.pat.journal`: paths, atomic saves, the update log, crash safety."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

import ccat
from ccat.cli import app
from ccat.pat.errors import JournalError
from ccat.pat.journal import (
    GraphFile,
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
    default_journal_path,
)
from ccat.pat.journal.codec import encode_document, encode_line
from ccat.pat.journal.model import FoldLine
from tests.support.journals import a_run, a_token

HERE = Path(__file__).parent
EXAMPLE = HERE.parents[1] / ".state.example.json"
TOKEN = "github_pat_11AAAAAAA0123456789_abcdefghijklmnopqrstuvwxyz"
AT = "2026-11-25T19:00:01Z"


def make_run(run_id: str = "20261125T190000Z-abcdef", state: str = "stopped") -> RotationRun:
    """A run with one target in each state (every one updated, if `state` is completed)."""
    run = a_run(
        [
            TargetRecord.pending("ccatobs/system-integration")
            .started("2026-11-25T19:00:01Z")
            .succeeded(204, "2026-11-25T19:00:02Z"),
            TargetRecord.pending("ccatobs/ops-db-api")
            .started("2026-11-25T19:00:03Z")
            .failed(403, "Resource not accessible", "2026-11-25T19:00:04Z"),
            TargetRecord.pending("ccatobs/ops-db"),
        ],
        run_id=run_id,
        state=state,
        graph=GraphFile("ci/dependency-graph.yml", "ab" * 32),
        finished_at="2026-11-25T19:00:09Z",
        token=a_token("2027-02-01T00:00:00Z", value=TOKEN),
    )
    if state == "completed":
        for record in run.targets:
            at = "2026-11-25T19:00:08Z"
            run.put(TargetRecord.pending(record.repository).started(at).succeeded(204, at))
    return run


def document(*runs: RotationRun) -> JournalDocument:
    """A document whose current run is the first of `runs` (None without) and whose
    history is the rest."""
    return JournalDocument(current=runs[0] if runs else None, history=list(runs[1:]))


def child_env() -> dict[str, str]:
    """Environment in which a subprocess imports this very `ccat`."""
    src = str(Path(ccat.__file__).resolve().parents[1])
    # The repository's root too: the killer builds its runs with tests/support/journals.py.
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(HERE), str(HERE.parents[1])])}


def killer() -> ModuleType:
    """`journal_killer.py`, loaded by path (this folder is not a package)."""
    spec = importlib.util.spec_from_file_location("journal_killer", HERE / "journal_killer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- paths -----------------------------------------------------------------------------


def test_default_journal_path() -> None:
    assert default_journal_path({"CCAT_JOURNAL": "/j.json", "XDG_STATE_HOME": "/x"}) == Path(
        "/j.json"
    )
    assert default_journal_path({"CCAT_JOURNAL": "~/j.json", "HOME": "/h"}).name == "j.json"
    assert default_journal_path({"XDG_STATE_HOME": "/x", "HOME": "/h"}) == Path(
        "/x/ccat/pat-journal.json"
    )
    assert default_journal_path({"HOME": "/h"}) == Path("/h/.local/state/ccat/pat-journal.json")
    # A relative XDG_STATE_HOME is invalid per the XDG spec and ignored.
    assert default_journal_path({"XDG_STATE_HOME": "rel", "HOME": "/h"}) == Path(
        "/h/.local/state/ccat/pat-journal.json"
    )
    assert default_journal_path({"CCAT_JOURNAL": "", "HOME": "/h"}).parent == Path(
        "/h/.local/state/ccat"
    )


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("", "the journal path is empty"),
        (".", "the journal path . names a directory, not a file"),
        ("..", "the journal path .. names a directory, not a file"),
        ("/", "the journal path / names a directory, not a file"),
        ("state/", "the journal path state/ names a directory, not a file"),
        ("/dev/null", "the journal path /dev/null is a device, not a regular file"),
        ("/tmp", "the journal path /tmp is a directory, not a regular file"),
    ],
)
def test_a_path_that_cannot_be_a_journal_is_refused(path: str, fragment: str) -> None:
    with pytest.raises(JournalError) as info:
        Journal(path)
    assert fragment in str(info.value)
    assert info.value.exit_code == 2
    assert "mv " not in str(info.value)  # nothing to move aside: it is not a journal


def test_a_fifo_a_directory_and_a_file_as_folder_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    plain = tmp_path / "plain"
    plain.write_text("a file, not a folder")
    for path, fragment in [
        (fifo, "is a FIFO, not a regular file"),
        (folder, "is a directory, not a regular file"),
        (plain / "pat-journal.json", "Not a directory"),
    ]:
        with pytest.raises(JournalError, match=fragment) as info:
            Journal(path)
        assert "mv " not in str(info.value)


def test_a_fifo_put_there_after_the_check_is_refused_without_blocking(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    os.mkfifo(journal.path)  # swapped in behind our back: reading it must not hang
    with pytest.raises(JournalError, match="is a FIFO, not a regular file") as info:
        journal.load()
    assert "mv " not in str(info.value)


def test_a_journal_path_that_is_a_symlink_is_refused_naming_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    Journal(real).save(document(make_run()))
    link = tmp_path / "pat-journal.json"
    link.symlink_to(real)
    with pytest.raises(JournalError) as info:
        Journal(link)
    message = str(info.value)
    assert f"the journal path {link} is a symbolic link (to {real})" in message
    assert info.value.hint is not None and str(real) in info.value.hint
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere.json")
    with pytest.raises(JournalError, match="is a symbolic link"):
        Journal(dangling)


def test_symlinks_and_dots_in_the_directory_are_resolved(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    spellings = [
        tmp_path / "link" / "pat-journal.json",
        real / "sub" / ".." / "pat-journal.json",
        Path(os.path.relpath(real / "pat-journal.json")),
    ]
    assert {Journal(path).path for path in spellings} == {real / "pat-journal.json"}
    assert Journal(spellings[0]).lock_path == real / "pat-journal.json.lock"


def test_the_journal_command_refuses_such_paths_with_exit_2_and_no_traceback(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    runner = CliRunner()
    for path in ["", ".", "/", str(tmp_path), str(fifo), "/dev/null", str(link)]:
        for extra in ([], ["--json"]):
            result = runner.invoke(app, ["pat", "journal", "--journal", path, *extra])
            assert result.exit_code == 2, (path, result.output)
            assert "the journal path" in result.stderr, (path, result.stderr)
            assert "Traceback" not in result.output + result.stderr
            assert result.exception is None or isinstance(result.exception, SystemExit)


# --- atomic, private saves ------------------------------------------------------------


def test_round_trip(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    assert not journal.exists()
    assert journal.load() == document()
    doc = document(make_run(), make_run("older", "completed"))
    journal.save(doc)
    assert journal.exists()
    assert journal.load() == doc
    text = journal.path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.startswith('{\n  "schema": 1,\n')  # indent=2, readable with jq and less
    loaded = journal.load().current
    assert loaded is not None and loaded.token.fingerprint.matches(TOKEN)


def test_save_creates_private_directories_and_file(tmp_path: Path) -> None:
    tmp_mode = stat.S_IMODE(tmp_path.stat().st_mode)
    old_umask = os.umask(0o022)
    try:
        journal = Journal(tmp_path / "state" / "ccat" / "pat-journal.json")
        journal.save(document(make_run()))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "state" / "ccat").stat().st_mode) == 0o700
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert os.listdir(journal.path.parent) == ["pat-journal.json"]  # no temp file left
    assert stat.S_IMODE(tmp_path.stat().st_mode) == tmp_mode  # existing dirs are left alone


def test_overwrite_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    for number in range(5):
        journal.save(document(make_run(f"run-{number}")))
    assert sorted(os.listdir(tmp_path)) == ["pat-journal.json"]
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    current = journal.load().current
    assert current is not None and current.run_id == "run-4"


def test_failed_save_removes_its_temp_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    journal.path.mkdir()  # os.replace of a file onto a directory fails
    with pytest.raises(JournalError, match="cannot write the journal"):
        journal.save(document(make_run()))
    assert os.listdir(tmp_path) == ["pat-journal.json"]


# --- damaged journals are errors, never empty ---------------------------------------


def _with(path: list[str | int], value: object) -> str:
    root = document(make_run(), make_run("old", "completed")).to_json()
    node: Any = root
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(root)


def _repeated() -> str:
    root = document(make_run()).to_json()
    root["current"]["targets"][2]["repository"] = "ccatobs/OPS-DB-API"
    return json.dumps(root)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("", "the file is empty"),
        ("{", "not valid JSON"),
        ('{"schema": 1, "current": null, "history": []', "not valid JSON"),
        ("[]", "top level should be an object, found a list"),
        ("[" * 200_000, "top level should be an object, found a list"),
        ('{"current": null, "history": []}', "schema version null"),
        ('{"schema": 2, "current": null, "history": []}', "schema version 2"),
        ('{"schema": true, "current": null, "history": []}', "schema version true"),
        ('{"schema": 1, "history": []}', "journal.current is missing"),
        ('{"schema": 1, "current": null, "history": {}}', "journal.history should be a list"),
        (_with(["current", "targets", 0, "http_status"], "204"), "should be an integer or null"),
        (_with(["current", "targets", 0, "http_status"], True), "found true"),
        (_with(["current", "state"], "paused"), "journal.current.state should be one of"),
        (_with(["current", "run_id"], None), "journal.current.run_id should be a string"),
        (_with(["current", "token", "fingerprint", "salt"], "zz"), "should be hex digits"),
        (_with(["current", "graph"], "ci/x.yml"), "journal.current.graph should be an object"),
        (_with(["history", 0, "targets"], None), "journal.history[0].targets should be a list"),
        (_repeated(), 'journal.current.targets[2].repository repeats "ccatobs/OPS-DB-API"'),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) else None,
)
def test_damaged_journal_is_an_error_and_untouched(
    tmp_path: Path, content: str, fragment: str
) -> None:
    path = tmp_path / "pat-journal.json"
    path.write_text(content, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(JournalError) as info:
        Journal(path).load()
    message = str(info.value)
    assert fragment in message
    assert str(path) in message
    assert "mv " in message  # says what to do
    assert info.value.exit_code == 2
    assert path.read_bytes() == before


def test_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "pat-journal.json"
    path.write_bytes(b'{"schema": 1, "current": "\xff"}')
    with pytest.raises(JournalError, match="not UTF-8"):
        Journal(path).load()


def test_unknown_extra_fields_are_tolerated(tmp_path: Path) -> None:
    doc = document(make_run())
    data = doc.to_json()
    data["current"]["note"] = "added by a later ccat"
    path = tmp_path / "pat-journal.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert Journal(path).load() == doc


# --- target saves and the update log -------------------------------------------------------


def running(journal: Journal) -> tuple[JournalDocument, RotationRun]:
    """Save a document with a running run over three pending targets, as a run starts."""
    run = make_run(state="running")
    run.reopen([TargetRecord.pending(t.repository) for t in run.targets])
    doc = document(run, make_run("older", "completed"))
    journal.save(doc)
    return doc, run


def test_a_target_save_is_durable_and_load_applies_it(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    doc, run = running(journal)
    on_disk = journal.path.read_bytes()
    started = run.targets[1].started("2026-11-25T19:00:05Z")
    journal.save_target(run, started)
    assert run.targets[1] is started  # put into the run too
    journal.save_target(run, started.succeeded(201, "2026-11-25T19:00:06Z"))

    assert journal.path.read_bytes() == on_disk  # the document was not rewritten...
    assert len(journal.log_path.read_bytes().splitlines()) == 2  # ...two lines were added
    assert stat.S_IMODE(journal.log_path.stat().st_mode) == 0o600
    loaded = Journal(journal.path).load()
    assert loaded == doc
    assert loaded.current is not None
    assert loaded.current.updated() == ["ccatobs/ops-db-api"]


def test_the_journal_command_shows_the_truth_mid_run(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    doc, run = running(journal)
    journal.save_target(
        run, run.targets[0].started("2026-11-25T19:00:00Z").succeeded(204, "2026-11-25T19:00:01Z")
    )
    journal.save_target(run, run.targets[1].started("2026-11-25T19:00:02Z"))
    assert json.loads(journal.path.read_bytes()) != doc.to_json()  # the file lags...
    args = ["pat", "journal", "--journal", str(journal.path)]
    with journal.lock():  # as the rotation holds it
        result = CliRunner().invoke(app, [*args, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == doc.to_json()  # ...the command does not
        table = CliRunner().invoke(app, args)
    assert "in flight: the write is under way" in " ".join(table.stdout.split())
    # Once no process holds the lock, the same run has crashed: --json says so.
    result = CliRunner().invoke(app, [*args, "--json"])
    current = json.loads(result.stdout)["current"]
    assert (current["state"], current["recorded_state"]) == ("crashed", "running")
    table = CliRunner().invoke(app, args)
    assert "in flight, outcome unknown" in table.stdout


def test_the_log_is_folded_into_the_document_every_so_many_updates(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json", fold_every=3)
    doc, run = running(journal)
    for index in range(2):
        journal.save_target(run, run.targets[index].started(f"2026-11-25T19:00:0{index}Z"))
    assert journal.log_path.exists()
    journal.save_target(run, run.targets[2].started("2026-11-25T19:00:02Z"))  # the third: folded
    assert not journal.log_path.exists()
    assert json.loads(journal.path.read_bytes()) == doc.to_json()  # jq sees the truth
    assert Journal(journal.path).load() == doc


def test_the_log_is_folded_once_it_is_as_large_as_the_document(tmp_path: Path) -> None:
    """On size, never on time: each fold rewrites no more bytes than were appended since
    the last, so a save costs the same at any size of journal."""
    journal = Journal(tmp_path / "pat-journal.json", fold_min_bytes=0)
    doc, run = running(journal)
    size = journal.path.stat().st_size
    lines = 0
    while journal.log_path.exists() or lines == 0:
        assert lines < 100, "never folded"
        index = lines % len(run.targets)
        journal.save_target(run, run.targets[index].started(f"2026-11-25T19:01:{lines:02d}Z"))
        lines += 1
        if journal.log_path.exists():
            assert journal.log_path.stat().st_size < size
    assert journal.path.stat().st_size >= size  # folded: the document holds them all
    assert Journal(journal.path).load() == doc
    # The floor: a small document is not rewritten for every few updates.
    floored = Journal(tmp_path / "floored" / "pat-journal.json")
    _, run = running(floored)
    for index in range(30):
        record = run.targets[index % len(run.targets)]
        floored.save_target(run, record.started("2026-11-25T19:01:00Z"))
    assert floored.log_path.stat().st_size > floored.path.stat().st_size


def test_a_whole_save_removes_the_log(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    doc, run = running(journal)
    journal.save_target(run, run.targets[0].started("2026-11-25T19:00:00Z"))
    run.finish("interrupted", "2026-11-25T19:00:09Z")
    journal.save(doc)
    assert sorted(os.listdir(tmp_path)) == ["pat-journal.json"]
    assert Journal(journal.path).load() == doc


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    _, run = running(journal)
    journal.save_target(run, run.targets[0].started("2026-11-25T19:00:00Z"))
    truth = Journal(journal.path).load()
    complete = journal.log_path.read_bytes()
    # A kill (or a power cut) during the next append: any prefix of the line may remain.
    journal.save_target(run, run.targets[0].succeeded(204, "2026-11-25T19:00:01Z"))
    line = journal.log_path.read_bytes()[len(complete) :]
    for cut in range(len(line)):  # every prefix short of the newline
        journal.log_path.write_bytes(complete + line[:cut])
        assert Journal(journal.path).load() == truth


def test_log_lines_of_an_older_document_are_ignored(tmp_path: Path) -> None:
    """A kill between the folded document's rename and the log's removal leaves lines
    that are already in the document; applying them again could undo later updates.

    (Round one left the log as it was; a fold now first appends a line naming the new
    document, so the log such a kill leaves ends with that line.)"""
    journal = Journal(tmp_path / "pat-journal.json")
    doc, run = running(journal)
    journal.save_target(run, run.targets[0].started("2026-11-25T19:00:00Z"))
    journal.save_target(run, run.targets[0].succeeded(204, "2026-11-25T19:00:01Z"))
    stale = journal.log_path.read_bytes()  # says: ops-db... started, then updated
    journal.save(doc)  # folded; the log is gone
    folded = encode_line(FoldLine(hashlib.sha256(journal.path.read_bytes()).hexdigest()))
    journal.log_path.write_bytes(stale + folded)  # as if the removal had not happened
    loaded = Journal(journal.path).load()
    assert loaded == doc
    assert loaded.current is not None and loaded.current.targets[0].state == "updated"
    # A process that starts from here folds and removes the stale log on its first save.
    journal.save(loaded)
    assert not journal.log_path.exists()


def test_a_document_changed_while_its_log_holds_updates_is_damage(tmp_path: Path) -> None:
    """Issue 14, defect 4: re-saving the document (as `jq` does: same data, other bytes)
    while its log holds updates used to drop them silently (the lines no longer named
    it, so they read as folded). Now the journal is refused, and says so."""
    journal = Journal(tmp_path / "pat-journal.json")
    doc, run = running(journal)
    journal.save_target(run, run.targets[0].started("2026-11-25T19:00:00Z"))
    journal.save_target(run, run.targets[0].succeeded(204, "2026-11-25T19:00:01Z"))
    assert Journal(journal.path).load() == doc
    original = journal.path.read_bytes()
    log = journal.log_path.read_bytes()
    journal.path.write_text(json.dumps(json.loads(original)), encoding="utf-8")  # re-saved
    with pytest.raises(JournalError) as info:
        Journal(journal.path).load()
    message = " ".join(str(info.value).split())
    assert f"journal {journal.path} is damaged: it no longer matches its update log" in message
    assert "line 1 was written on top of a document whose SHA-256 starts" in message
    assert info.value.hint is not None and f"mv {journal.log_path}" in info.value.hint
    assert journal.log_path.read_bytes() == log  # left untouched
    # The lines left behind by a fold into another document do not excuse it either.
    other = encode_line(FoldLine(hashlib.sha256(b"another document").hexdigest()))
    journal.log_path.write_bytes(log + other)
    with pytest.raises(JournalError, match="no longer matches its update log"):
        Journal(journal.path).load()
    journal.path.write_bytes(original)
    journal.log_path.write_bytes(log)
    assert Journal(journal.path).load() == doc


def test_a_log_line_missing_from_the_middle_is_damage(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    _, run = running(journal)
    for index in range(3):
        journal.save_target(run, run.targets[index].started("2026-11-25T19:00:00Z"))
    first, _, third, end = journal.log_path.read_bytes().split(b"\n")
    journal.log_path.write_bytes(b"\n".join([first, third, end]))
    with pytest.raises(
        JournalError,
        match="line 2 is update 3 on top of this document, but "
        "update 2 was due: a line is missing or out of order",
    ):
        Journal(journal.path).load()
    journal.log_path.unlink()


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("not json", "line 1 is not valid JSON"),
        ('{"document": "00", "run_id": "r"}', "line 1: target is missing"),
        ('{"document": "zz", "run_id": "r", "target": {}}', "line 1: document should be hex"),
    ],
)
def test_a_damaged_log_line_is_an_error_naming_the_log(
    tmp_path: Path, line: str, fragment: str
) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    _, run = running(journal)
    journal.save_target(run, run.targets[0].started("2026-11-25T19:00:00Z"))
    with journal.log_path.open("ab") as log:
        log.write(line.encode() + b"\n")
    before = journal.log_path.read_bytes()
    with pytest.raises(JournalError) as info:
        Journal(journal.path).load()
    message = str(info.value)
    assert f"its update log {journal.log_path}: " in message
    assert fragment.replace("line 1", "line 2") in message
    assert f"mv {journal.log_path} {journal.log_path}.broken" in message
    assert journal.log_path.read_bytes() == before
    # Doing as told: the journal reads again, without the log's updates.
    journal.log_path.rename(journal.log_path.with_name("pat-journal.json.log.broken"))
    loaded = Journal(journal.path).load()
    assert loaded.current is not None and loaded.current.targets[0].started_at is None


def test_a_log_line_for_another_run_or_repository_is_damage(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    _, run = running(journal)
    journal.save_target(run, run.targets[0].started("2026-11-25T19:00:00Z"))
    line = json.loads(journal.log_path.read_bytes())
    changes: list[tuple[dict[str, object], str]] = [
        ({"run_id": "another-run"}, "line 1 updates run another-run, not the journal's"),
        (
            {"target": {**line["target"], "repository": "ccatobs/elsewhere"}},
            "line 1 updates ccatobs/elsewhere, not a target of run",
        ),
    ]
    for change, fragment in changes:
        journal.log_path.write_text(json.dumps({**line, **change}) + "\n")
        with pytest.raises(JournalError, match=fragment):
            Journal(journal.path).load()
    journal.log_path.unlink()


def test_save_target_refuses_what_it_cannot_record(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    lone = make_run(state="running")
    with pytest.raises(ValueError, match="last saved document"):
        journal.save_target(lone, lone.targets[0].started("2026-11-25T19:00:00Z"))
    _, run = running(journal)
    with pytest.raises(ValueError, match="last saved document"):
        journal.save_target(
            lone, lone.targets[0].started("2026-11-25T19:00:00Z")
        )  # not the saved run
    with pytest.raises(KeyError, match="ccatobs/elsewhere"):
        journal.save_target(run, TargetRecord.pending("ccatobs/elsewhere"))
    assert not journal.log_path.exists()  # nothing was written for either


def test_a_target_save_that_cannot_be_written_is_a_journal_error(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "pat-journal.json")
    _, run = running(journal)
    journal.log_path.mkdir()  # appending to it fails
    with pytest.raises(JournalError, match="cannot write the journal's update log"):
        journal.save_target(run, run.targets[0].started("2026-11-25T19:00:00Z"))
    assert run.targets[0].started_at is None  # not put into the run: it is not durable
    with pytest.raises(JournalError, match="is a directory, not a regular file"):
        journal.load()
    journal.log_path.rmdir()


# --- crash safety ------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_at_random_instants_never_leaves_a_partial_journal(tmp_path: Path) -> None:
    path = tmp_path / "pat-journal.json"
    helper = killer()
    rng = random.Random(20261125)  # reproducible instants
    for kill in range(20):
        start = kill * 1_000_000
        process = subprocess.Popen(
            [sys.executable, str(HERE / "journal_killer.py"), "save", str(path), str(start)],
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        try:
            process.wait(timeout=rng.uniform(0, 0.05))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
        assert process.returncode == -signal.SIGKILL

        doc = Journal(path).load()  # must parse: never a partial file
        assert doc.current is not None
        number = int(doc.current.run_id.removeprefix("run-"))
        assert start <= number < start + 1_000_000  # written by this round, after "ready"
        assert doc == helper.build_document(number)  # exactly a state that was written


def _kill_writer(path: Path, fold_every: int, when: Callable[[], None]) -> int:
    """Start a `targets` writer on `path`, SIGKILL it once `when()` returns, and give
    the number of steps it acknowledged."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "journal_killer.py"), "targets", str(path), str(fold_every)],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        when()
        process.send_signal(signal.SIGKILL)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL
    return max((int(number) for number in output.split("\n")[:-1]), default=0)


def _assert_the_truth(path: Path, acknowledged: int) -> None:
    """The journal parses, holds every acknowledged update and at most the one save
    that was under way: it never claims an update that was not made."""
    helper = killer()
    assert acknowledged < helper.STEPS, "the writer finished before it was killed"
    loaded = Journal(path).load()
    assert loaded in (helper.after_steps(acknowledged), helper.after_steps(acknowledged + 1))


@pytest.mark.slow
@pytest.mark.parametrize("fold_every", [0, 7], ids=["appends-only", "fold-every-7"])
def test_sigkill_at_random_instants_of_target_saves_leaves_the_truth(
    tmp_path: Path, fold_every: int
) -> None:
    rng = random.Random(fold_every)
    for kill in range(12):
        path = tmp_path / f"kill-{kill}" / "pat-journal.json"
        acknowledged = _kill_writer(path, fold_every, lambda: time.sleep(rng.uniform(0, 0.1)))
        _assert_the_truth(path, acknowledged)


@pytest.mark.slow
def test_sigkill_in_the_middle_of_folds_leaves_the_truth(tmp_path: Path) -> None:
    """Every update folds, and each kill comes once a fold's temporary file appears
    (then up to 5 ms later): kills land while the new document is written, renamed, or
    the old log removed."""
    rng = random.Random(20261125)
    left_mid_write = 0
    for kill in range(12):
        path = tmp_path / f"kill-{kill}" / "pat-journal.json"

        def once_a_fold_writes(folder: Path = path.parent) -> None:
            deadline = time.monotonic() + 20
            while not any(name.endswith(".tmp") for name in os.listdir(folder)):
                assert time.monotonic() < deadline, "no fold started"
            time.sleep(rng.choice([0, rng.uniform(0, 0.005)]))

        acknowledged = _kill_writer(path, 1, once_a_fold_writes)
        left_mid_write += any(path.parent.glob(".*.tmp"))
        _assert_the_truth(path, acknowledged)
    assert left_mid_write, "no kill landed while a fold wrote its document"


# --- the bundled example -------------------------------------------------------------


def test_state_example_loads_and_tells_the_incident_story() -> None:
    journal = Journal(EXAMPLE)
    doc = journal.load()
    run = doc.unfinished
    assert run is not None and run.state == "stopped" and run.org == "ccatobs"
    assert run.token.kind == "fine-grained"
    assert 5 <= len(run.targets) <= 6
    assert run.targets[0].repository == "ccatobs/system-integration"
    assert run.updated() and run.target("ccatobs/data-transfer") is not None
    failed = [t for t in run.targets if t.state == "failed"]
    assert len(failed) == 1
    assert failed[0].http_status == 403
    assert failed[0].error == "Resource not accessible by personal access token"
    assert [t.state for t in run.targets if t.state != "updated"][1:] == ["pending"] * (
        len(run.not_updated()) - 1
    )
    assert [old.state for old in doc.history] == ["completed"]
    # Byte for byte what save() would write: the example round-trips through the model.
    assert EXAMPLE.read_bytes() == encode_document(doc)


def test_taking_the_lock_removes_temporaries_of_a_killed_save(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "state" / "pat-journal.json")
    saved = document(make_run())
    journal.save(saved)
    stale = journal.path.parent / f".{journal.path.name}.abc123.tmp"
    stale.write_text('{"half": ')
    other = journal.path.parent / "unrelated.tmp"
    other.write_text("keep me")
    with journal.lock():
        assert not stale.exists()
    assert other.exists()
    assert journal.load() == saved
