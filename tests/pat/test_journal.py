"""Tests for `ccat.pat.journal`: paths, atomic saves, validation on load, crash safety."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

import ccat
from ccat.cli import app
from ccat.pat.errors import JournalError
from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TokenInfo,
    default_journal_path,
)
from ccat.pat.journal_codec import encode_document

HERE = Path(__file__).parent
EXAMPLE = HERE.parents[1] / ".state.example.json"
TOKEN = "github_pat_11AAAAAAA0123456789_abcdefghijklmnopqrstuvwxyz"
AT = "2026-11-25T19:00:01Z"


def make_run(run_id: str = "20261125T190000Z-abcdef", state: str = "stopped") -> RotationRun:
    """A run with one target in each state."""
    return RotationRun(
        run_id=run_id,
        secret="GH_PAT",
        org="ccatobs",
        api_url="https://api.github.com",
        graph=GraphFile("ci/dependency-graph.yml", "ab" * 32),
        state=state,  # type: ignore[arg-type]
        started_at="2026-11-25T19:00:00Z",
        finished_at="2026-11-25T19:00:09Z",
        operator="alice",
        token=TokenInfo(Fingerprint.of(TOKEN), "ccat-ci-bot", "2027-02-01T00:00:00Z"),
        targets=[
            TargetRecord.pending("ccatobs/system-integration").started("t1").succeeded(204, "t2"),
            TargetRecord.pending("ccatobs/ops-db-api")
            .started("t3")
            .failed(403, "Resource not accessible", "t4"),
            TargetRecord.pending("ccatobs/ops-db"),
        ],
    )


def document(*runs: RotationRun) -> JournalDocument:
    """A document whose current run is the first of `runs` (None without) and whose
    history is the rest."""
    return JournalDocument(current=runs[0] if runs else None, history=list(runs[1:]))


def child_env() -> dict[str, str]:
    """Environment in which a subprocess imports this very `ccat`."""
    src = str(Path(ccat.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, str(HERE)])}


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
    journal.save(document())
    stale = journal.path.parent / f".{journal.path.name}.abc123.tmp"
    stale.write_text('{"half": ')
    other = journal.path.parent / "unrelated.tmp"
    other.write_text("keep me")
    with journal.lock():
        assert not stale.exists()
    assert other.exists()
    assert journal.load().current is None
