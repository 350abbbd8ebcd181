"""Tests for `ccat.pat.journal.model`: the records, their operations, and strict reading."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccat.pat.errors import JournalError
from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TokenInfo,
    iso,
    new_run_id,
    token_kind,
)
from ccat.pat.journal.codec import decode_document, encode_document
from ccat.pat.journal.model import SCHEMA
from ccat.pat.times import utc_now_iso
from tests.support.journals import a_run, a_token

EXAMPLE = Path(__file__).parents[2] / ".state.example.json"
TOKEN = "github_pat_11AAAAAAA0123456789_abcdefghijklmnopqrstuvwxyz"
AT = "2026-11-25T19:00:01Z"

# SPEC §5's example document, verbatim apart from the elided values.
SPEC_EXAMPLE: dict[str, Any] = {
    "schema": 1,
    "current": {
        "run_id": "…",
        "secret": "GH_PAT",
        "org": "ccatobs",
        "api_url": "https://api.github.com",
        "graph": {"path": "ci/dependency-graph.yml", "sha256": "…"},
        "state": "stopped",
        "started_at": "…",
        "finished_at": "…",
        "operator": "alice",
        "token": {
            "fingerprint": {"salt": "…hex…", "sha256": "…hex…"},
            "login": "ccat-ci-bot",
            "expires_at": "2027-02-01T00:00:00Z",
        },
        "targets": [
            {
                "repository": "ccatobs/ops-db",
                "state": "pending",
                "started_at": None,
                "finished_at": None,
                "http_status": None,
                "error": None,
            }
        ],
    },
    "history": [],
}


def make_run(
    run_id: str = "20261125T190000Z-abcdef",
    state: str = "stopped",
    targets: list[TargetRecord] | None = None,
) -> RotationRun:
    """A run with one target in each state (or `targets`)."""
    if targets is None:
        targets = [
            TargetRecord.pending("ccatobs/system-integration").started("t1").succeeded(204, "t2"),
            TargetRecord.pending("ccatobs/ops-db-api")
            .started("t3")
            .failed(403, "Resource not accessible", "t4"),
            TargetRecord.pending("ccatobs/ops-db"),
        ]
    return a_run(
        targets,
        run_id=run_id,
        state=state,
        graph=GraphFile("ci/dependency-graph.yml", "ab" * 32),
        finished_at="2026-11-25T19:00:09Z",
        token=a_token("2027-02-01T00:00:00Z", token_kind(TOKEN), TOKEN),
    )


def key_paths(value: object, prefix: str = "") -> list[str]:
    """Every key path of a JSON value, in order (lists by their first element)."""
    if isinstance(value, dict):
        paths: list[str] = []
        for key, item in value.items():
            paths += [f"{prefix}.{key}", *key_paths(item, f"{prefix}.{key}")]
        return paths
    if isinstance(value, list) and value:
        return key_paths(value[0], prefix + "[]")
    return []


def decode(data: object) -> JournalDocument:
    return decode_document(json.dumps(data).encode(), path="j.json")


# --- times, ids and token kinds ---------------------------------------------------------


def test_iso_and_now() -> None:
    tz = timezone(timedelta(hours=2))
    assert iso(datetime(2026, 11, 25, 21, 0, 0, 999_999, tzinfo=tz)) == "2026-11-25T19:00:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        iso(datetime(2026, 11, 25))  # naive: refused
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_now_iso())
    assert re.fullmatch(
        r"20261125T190000Z-[0-9a-f]{6}", new_run_id(datetime(2026, 11, 25, 19, tzinfo=UTC))
    )


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("github_pat_11AAAA", "fine-grained"),
        ("ghp_abcdef", "classic"),
        ("gho_abcdef", "other"),
        ("GHP_abcdef", "other"),  # prefixes are case-sensitive
        ("github_pat", "other"),
        ("", "other"),
    ],
)
def test_token_kind_is_read_from_the_prefix(token: str, kind: str) -> None:
    assert token_kind(token) == kind


# --- fingerprint --------------------------------------------------------------------


def test_fingerprint_matches_only_the_same_token() -> None:
    fingerprint = Fingerprint.of(TOKEN)
    assert re.fullmatch(r"[0-9a-f]{32}", fingerprint.salt)
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint.sha256)
    assert fingerprint.short == fingerprint.sha256[:12]
    assert fingerprint.matches(TOKEN)
    assert not fingerprint.matches(TOKEN + "x")
    assert not fingerprint.matches(TOKEN.upper())
    assert not fingerprint.matches("")


def test_fingerprint_is_salted_and_never_contains_the_token() -> None:
    first, second = Fingerprint.of(TOKEN), Fingerprint.of(TOKEN)
    assert first != second  # fresh salt each time: equal tokens are not linkable
    assert first.matches(TOKEN) and second.matches(TOKEN)
    assert Fingerprint.of(TOKEN, bytes(16)) == Fingerprint.of(TOKEN, bytes(16))
    text = encode_document(JournalDocument(current=make_run(), history=[])).decode()
    text += repr(first)
    assert TOKEN not in text
    assert TOKEN.encode().hex() not in text


# --- records and their operations --------------------------------------------------------


def test_a_target_moves_through_new_records() -> None:
    pending = TargetRecord.pending("ccatobs/a")
    assert pending.to_json() == {
        "repository": "ccatobs/a",
        "state": "pending",
        "started_at": None,
        "finished_at": None,
        "http_status": None,
        "error": None,
        "store": "actions",
    }
    started = pending.started("t1")
    assert (started.state, started.started_at, started.finished_at) == ("pending", "t1", None)
    done = started.succeeded(201, "t2")
    assert (done.state, done.started_at, done.finished_at, done.http_status, done.error) == (
        "updated",
        "t1",
        "t2",
        201,
        None,
    )
    failed = started.failed(None, "connection reset", "t3")
    assert (failed.state, failed.http_status, failed.error) == ("failed", None, "connection reset")
    # A redo starts afresh: the old outcome is gone.
    again = failed.started("t4")
    assert again == TargetRecord("ccatobs/a", "pending", "t4", None, None, None)
    assert pending.state == "pending" and started.finished_at is None  # nothing changed


def test_records_that_the_engine_does_not_change_are_immutable() -> None:
    run = make_run()
    with pytest.raises(AttributeError):
        run.targets[0].state = "failed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        run.token.login = "mallory"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        run.token.fingerprint.sha256 = "00"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        run.graph.sha256 = "00"  # type: ignore[misc]


def test_run_queries() -> None:
    run = make_run()
    assert run.target("CCATOBS/Ops-DB") is run.targets[2]
    assert run.target("ccatobs/nope") is None
    assert run.updated() == ["ccatobs/system-integration"]
    assert run.not_updated() == ["ccatobs/ops-db-api", "ccatobs/ops-db"]


def test_put_replaces_the_record_of_that_repository_ignoring_case() -> None:
    run = make_run()
    run.put(TargetRecord.pending("CCATOBS/ops-db").started("t5").succeeded(204, "t6"))
    assert [t.repository for t in run.targets][2] == "CCATOBS/ops-db"
    assert run.updated() == ["ccatobs/system-integration", "CCATOBS/ops-db"]
    assert len(run.targets) == 3
    with pytest.raises(KeyError, match="ccatobs/elsewhere"):
        run.put(TargetRecord.pending("ccatobs/elsewhere"))
    assert len(run.targets) == 3


def test_finish_and_reopen() -> None:
    run = make_run(state="running")
    run.finish("interrupted", "t9")
    assert (run.state, run.finished_at) == ("interrupted", "t9")
    targets = [run.targets[0], TargetRecord.pending("ccatobs/new")]
    run.reopen(targets)
    assert (run.state, run.finished_at, run.targets) == ("running", None, targets)
    with pytest.raises(ValueError, match=r"targets\[1\]\.repository repeats"):
        run.reopen([TargetRecord.pending("ccatobs/a"), TargetRecord.pending("ccatobs/A")])
    assert run.targets == targets


def test_a_run_cannot_name_a_repository_twice() -> None:
    run = make_run()
    targets = [*run.targets, TargetRecord.pending("CCATOBS/System-Integration")]
    repeated = r'targets\[3\]\.repository repeats "CCATOBS/System-Integration" of targets\[0\]'
    with pytest.raises(ValueError, match=repeated):
        make_run(targets=targets)
    with pytest.raises(ValueError, match=repeated):
        run.reopen(targets)


def test_start_moves_the_current_run_to_the_history() -> None:
    document = JournalDocument(current=None, history=[])
    first, second = make_run("one", "stopped"), make_run("two", "running")
    document.start(first)
    assert (document.current, document.history) == (first, [])
    document.start(second)
    assert (document.current, document.history) == (second, [first])


def test_unfinished() -> None:
    assert JournalDocument(current=None, history=[]).unfinished is None
    assert JournalDocument(current=make_run(state="completed"), history=[]).unfinished is None
    for state in ("running", "stopped", "interrupted"):
        run = make_run(state=state)
        assert JournalDocument(current=run, history=[]).unfinished is run


# --- the document's shape -----------------------------------------------------------------


def test_shape_matches_the_spec_and_only_adds_fields() -> None:
    doc = JournalDocument(current=make_run(), history=[make_run("older", "completed")])
    data = doc.to_json()
    spec = dict(SPEC_EXAMPLE, history=[SPEC_EXAMPLE["current"]])
    written, specified = key_paths(data), key_paths(spec)
    # Every key of SPEC §5, in the same order; the only additions are the token's kind,
    # each target's store (SPEC §10) and the summaries of runs older than the history
    # keeps in full (last, after it).
    assert [path for path in written if path in specified] == specified
    assert sorted(set(written) - set(specified)) == [
        ".current.targets[].store",
        ".current.token.kind",
        ".history[].targets[].store",
        ".history[].token.kind",
        ".older_runs",
        ".revocations",
    ]
    assert list(data)[-2:] == ["older_runs", "revocations"]
    assert data["schema"] == SCHEMA == 1
    assert data["current"]["token"]["kind"] == "fine-grained"


def test_spec_example_itself_loads() -> None:
    text = json.dumps(SPEC_EXAMPLE, ensure_ascii=False).replace("…hex…", "00")
    doc = decode_document(text.encode(), path="spec")
    assert doc.current is not None
    assert doc.current.not_updated() == ["ccatobs/ops-db"]
    assert doc.current.token.kind is None  # written before kinds were recorded


def test_interrupted_is_a_run_state() -> None:
    data = JournalDocument(current=make_run(state="interrupted"), history=[]).to_json()
    doc = decode(data)
    assert doc.current is not None and doc.current.state == "interrupted"


def test_encoding_is_indented_json_with_a_final_newline() -> None:
    doc = JournalDocument(current=make_run(), history=[make_run("older", "completed")])
    text = encode_document(doc).decode()
    assert text == json.dumps(doc.to_json(), indent=2, ensure_ascii=False) + "\n"
    compact = encode_document(doc, indent=0)
    assert b"\n" not in compact[:-1] and json.loads(compact) == json.loads(text)


def test_unknown_fields_are_tolerated() -> None:
    document = JournalDocument(current=make_run(), history=[])
    data = document.to_json()
    data["current"]["note"] = "added by a later ccat"
    data["current"]["targets"][0]["attempts"] = [1, 2]
    data["added"] = {"deep": [[[]]]}
    assert decode(data) == document


# --- what is refused, and how it is said -----------------------------------------------


def _with(path: list[str | int], value: object) -> dict[str, Any]:
    root = JournalDocument(current=make_run(), history=[make_run("old", "completed")]).to_json()
    node: Any = root
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return root


def _message(data: object) -> str:
    with pytest.raises(JournalError) as info:
        decode(data)
    assert info.value.exit_code == 2
    return str(info.value)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ["current", "targets", 0, "http_status"],
            "204",
            'should be an integer or null, found "204"',
        ),
        (
            ["current", "targets", 0, "http_status"],
            True,
            "should be an integer or null, found true",
        ),
        (["current", "targets", 0, "http_status"], 2.5, "should be an integer or null, found 2.5"),
        (
            ["current", "state"],
            "paused",
            "should be one of running, stopped, interrupted, completed",
        ),
        (["current", "targets", 1, "state"], "done", "should be one of pending, updated, failed"),
        (["current", "run_id"], None, "journal.current.run_id should be a string, found null"),
        (["current", "token", "fingerprint", "salt"], "zz", "salt should be hex digits"),
        (["current", "token", "fingerprint", "sha256"], 12, "sha256 should be hex digits"),
        (["current", "token", "kind"], "fine", "token.kind should be one of fine-grained, classic"),
        (["current", "graph"], "ci/x.yml", "journal.current.graph should be an object"),
        (["current"], [], "journal.current should be an object or null, found a list"),
        (["history", 0, "targets"], None, "journal.history[0].targets should be a list"),
    ],
)
def test_a_wrong_value_is_named_by_its_path(
    path: list[str | int], value: object, expected: str
) -> None:
    message = _message(_with(path, value))
    assert expected in message
    where = "journal" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    assert where in message
    assert message.startswith("journal j.json is damaged: ")


def test_a_missing_field_is_named() -> None:
    data = _with(["current", "targets", 2, "error"], None)
    del data["current"]["targets"][2]["error"]
    assert "journal.current.targets[2].error is missing" in _message(data)


def test_a_repository_twice_in_a_run_is_damage_naming_it() -> None:
    data = _with(["history", 0, "targets", 2, "repository"], "CCATOBS/System-Integration")
    message = _message(data)
    assert (
        'journal.history[0].targets[2].repository repeats "CCATOBS/System-Integration" of '
        "targets[0]"
    ) in message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"[" * 200_000, "the top level should be an object, found a list"),
        (b'{"schema": 1, "current": ' + b"[" * 200_000, "nested too deeply"),
        (b'{"schema": 1, "x": ' + b'[{"a": ' * 100_000, "nested too deeply"),
        (b'{"schema": 1, "current": null, "history": ' + b"[" * 200_000, "nested too deeply"),
        (b'"a journal"', 'the top level should be an object, found "a journal"'),
        (b"{,}", "not valid JSON (object keys must be strings at line 1, column 2)"),
        (b'{\n  "schema": 1,\n  x', "(object keys must be strings at line 3, column 3)"),
        (b'{"schema": 1, "current": null, "history": []', "not valid JSON (input data was"),
    ],
)
def test_hostile_bytes_are_a_clean_journal_error(raw: bytes, fragment: str) -> None:
    with pytest.raises(JournalError) as info:
        decode_document(raw, path="j.json")
    assert fragment in str(info.value)


def test_an_unknown_schema_is_refused_before_its_shape() -> None:
    data = {"schema": 2, "runs": "whatever a later ccat writes"}
    message = _message(data)
    assert "has schema version 2; this ccat reads version 1" in message
    assert "mv j.json j.json.old" in message


def test_an_older_journal_without_token_kinds_reads_as_unknown_kind() -> None:
    data = JournalDocument(current=make_run(), history=[make_run("h")]).to_json()
    for run in [data["current"], *data["history"]]:
        del run["token"]["kind"]
    doc = decode(data)
    assert doc.current is not None and doc.current.token.kind is None
    assert doc.history[0].token.kind is None


def test_paths_in_the_move_aside_hint_are_quoted_for_the_shell() -> None:
    with pytest.raises(JournalError) as info:
        decode_document(b"{", path="/state/my journal.json")
    assert "mv '/state/my journal.json' '/state/my journal.json'.broken" in str(info.value)


# --- property-based: whatever the bytes, a document or a JournalError ----------------------

_text = st.text(max_size=30)
_opt_text = st.none() | _text
_records = st.builds(
    TargetRecord,
    repository=st.uuids().map(str),
    state=st.sampled_from(["pending", "updated", "failed"]),
    started_at=_opt_text,
    finished_at=_opt_text,
    http_status=st.none() | st.integers(-(2**63), 2**63 - 1),
    error=_opt_text,
)
_runs = st.builds(
    RotationRun,
    run_id=_text,
    secret=_text,
    org=_text,
    api_url=_text,
    graph=st.builds(GraphFile, path=_text, sha256=_text),
    state=st.sampled_from(["running", "stopped", "interrupted", "completed"]),
    started_at=_text,
    finished_at=_opt_text,
    operator=_opt_text,
    token=st.builds(
        TokenInfo,
        fingerprint=st.builds(Fingerprint.of, _text, st.binary(min_size=1, max_size=16)),
        login=_opt_text,
        expires_at=_opt_text,
        kind=st.sampled_from([None, "fine-grained", "classic", "other"]),
    ),
    targets=st.lists(_records, max_size=5),
)
_documents = st.builds(
    JournalDocument, current=st.none() | _runs, history=st.lists(_runs, max_size=3)
)


@settings(max_examples=150)
@given(_documents)
def test_every_document_round_trips(document: JournalDocument) -> None:
    for indent in (0, 2):
        data = encode_document(document, indent=indent)
        assert decode_document(data, path="j.json") == document
        assert json.loads(data) == document.to_json()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200)
@given(_documents, st.data())
def test_a_corrupted_document_is_read_or_refused_never_a_crash(
    document: JournalDocument, data: st.DataObject
) -> None:
    """Replace one value anywhere in a valid document by arbitrary JSON, or cut the
    text anywhere: decoding gives a document or a JournalError, nothing else."""
    tree: Any = document.to_json()
    parent: Any = None
    node, key = tree, None
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, data.draw(st.sampled_from(keys))
        node = node[key]
    if parent is not None:
        parent[key] = data.draw(_json)
    raw = json.dumps(tree).encode()
    raw = raw[: data.draw(st.integers(0, len(raw)))] if data.draw(st.booleans()) else raw
    try:
        decoded = decode_document(raw, path="j.json")
    except JournalError as exc:
        assert str(exc).startswith("journal j.json ")
    else:
        assert decoded == decode_document(encode_document(decoded), path="j.json")


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_read_or_refused_never_a_crash(raw: bytes) -> None:
    try:
        decode_document(raw, path="j.json")
    except JournalError as exc:
        assert "journal j.json" in str(exc)
