"""Shared fixtures: the anyio backend and a running GitHub emulator with known tokens;
for the rotation tests (tests/pat, tests/cli), a distinctive new token, an emulator that
knows it, and the dependency graph and journal paths of a rotation.

Helpers for other tests: `from tests.support.environment import TERM, scrubbed
from tests.support.emulator import OPERATOR_TOKEN, seal`; for the
rotation tests, `tests/support/rotation.py`.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ccat.fakehub import FakeHub
from ccat.pat.journal import Journal
from ccat.pat.journal.codec import decode_document, encode_document
from tests.support.emulator import NEW_TOKEN, OPERATOR_TOKEN, REPOSITORIES, emulator
from tests.support.environment import TERM, scrubbed
from tests.support.rotation import (
    GRAPH_NAMES,
    ROTATION_OPERATOR_TOKEN,
    TARGETS,
    TOKEN_PREFIX,
    RotationCase,
    write_graph,
)
from tests.support.scene import Scene, build_scene

# The contract tests' report, printed by whichever process prints (pytest-xdist's
# controller included).
pytest_plugins = ["tests.support.contract_report"]

# Properties are judged by their examples, never by how fast they run: a loaded machine
# (or a suite running on both cores) must not fail one for slowness. Hypothesis's
# deadline and its "too slow" health check are timed assertions (GUIDE: speed is
# measured in benchmarks); every property's own @settings adds its example count.
settings.register_profile("ccat", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ccat")


@pytest.fixture(scope="session", autouse=True)
def hermetic_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The caller's environment never reaches a test (tests/support/environment.py):
    scrubbed before the first test, given back after the last."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if scrubbed(name)]:
            patch.delenv(name)
        patch.setenv("TERM", TERM)
        patch.setenv("HOME", str(home))
        yield


@pytest.fixture
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio only."""
    return "asyncio"


@pytest.fixture
def fakehub() -> Iterator[FakeHub]:
    """A started emulator serving REPOSITORIES, knowing OPERATOR_TOKEN and NEW_TOKEN."""
    with emulator(REPOSITORIES, OPERATOR_TOKEN, NEW_TOKEN) as hub:
        yield hub


@pytest.fixture
def new_token() -> str:
    """A new PAT value that cannot be mistaken for anything else in a file or an output."""
    return TOKEN_PREFIX + secrets.token_hex(16)


@pytest.fixture
def hub(new_token: str) -> Iterator[FakeHub]:
    """An emulator serving the rotation's TARGETS that knows ROTATION_OPERATOR_TOKEN and
    `new_token`."""
    with emulator(TARGETS, ROTATION_OPERATOR_TOKEN, new_token) as running:
        yield running


@pytest.fixture
def targets() -> list[str]:
    """The rotation's targets, in target order."""
    return list(TARGETS)


@pytest.fixture
def graph_file(tmp_path: Path) -> Path:
    """The dependency graph whose targets are TARGETS."""
    return write_graph(tmp_path / "dependency-graph.yml", GRAPH_NAMES)


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """Where the journal goes (its directory does not exist yet)."""
    return tmp_path / "state" / "ccat" / "pat-journal.json"


@pytest.fixture
def case(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    tmp_path: Path,
) -> RotationCase:
    """The fixtures above as one: what a rotation test works with."""
    return RotationCase(hub, graph_file, journal_path, new_token, targets, tmp_path)


@pytest.fixture
def now() -> datetime:
    """This moment, to the second: when the status scene is looked at."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def scene(tmp_path: Path, now: datetime) -> Iterator[Scene]:
    """The status scene as of `now` (tests/support/scene.py), its emulator running."""
    built = build_scene(tmp_path, now)
    with built.hub:
        yield built


# --- every journal a test leaves behind round-trips through the model -------------------


@pytest.fixture(autouse=True)
def journals_round_trip(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that used `tmp_path`: every journal ccat wrote there (a regular
    file of mode 0600, SPEC §5, holding a JSON object with a `schema`) is read by the
    model, with its update log, and written out again as the same document."""
    yield
    tmp_path = request.node.funcargs.get("tmp_path")
    if not isinstance(tmp_path, Path):
        return
    for path in sorted(tmp_path.rglob("*")):
        if _written_journal(path):
            assert_round_trips(path)


def _written_journal(path: Path) -> bool:
    if path.suffix in (".lock", ".log", ".tmp") or path.is_symlink() or not path.is_file():
        return False
    if stat.S_IMODE(path.stat().st_mode) != 0o600:
        return False  # not written by ccat: a test's own (maybe deliberately broken) file
    try:
        data = json.loads(path.read_bytes())
    except ValueError:
        return False
    return isinstance(data, dict) and "schema" in data


def assert_round_trips(path: Path) -> None:
    """The journal at `path` loads (document and log) and re-serialises to an equal
    document, losing nothing the file says that the model knows."""
    document = Journal(path).load()
    again = encode_document(document)
    assert decode_document(again, path=str(path)) == document, f"{path} does not round-trip"
    raw = path.read_bytes()
    on_disk = decode_document(raw, path=str(path))
    _assert_kept(json.loads(raw), json.loads(encode_document(on_disk)), str(path))


def _assert_kept(read: object, written: object, where: str) -> None:
    """Every value of `read` that `written` has is equal in it (same JSON type too);
    fields `written` adds (newer than the file) are null, or a target's `store`, which
    reads as `actions` in a journal from before stores (SPEC §10)."""
    if isinstance(written, dict):
        assert isinstance(read, dict), where
        for key, value in written.items():
            if key in read:
                _assert_kept(read[key], value, f"{where}.{key}")
            else:
                defaulted = key == "store" and value == "actions" and "repository" in written
                assert value is None or defaulted, f"{where}.{key} appeared with a value"
    elif isinstance(written, list):
        assert isinstance(read, list) and len(read) == len(written), where
        for index, (left, right) in enumerate(zip(read, written, strict=True)):
            _assert_kept(left, right, f"{where}[{index}]")
    else:
        assert type(read) is type(written) and read == written, f"{where} changed"
