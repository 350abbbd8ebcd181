"""Shared fixtures: the anyio backend and a running GitHub emulator with known tokens;
for the rotation tests (tests/pat, tests/cli), a distinctive new token, an emulator that
knows it, and the dependency graph and journal paths of a rotation.

Helpers for other tests: `from tests.conftest import OPERATOR_TOKEN, seal`; for the
rotation tests, `tests/rotation_support.py`.
"""

from __future__ import annotations

import base64
import json
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from nacl.public import PublicKey, SealedBox

from ccat.fakehub import FakeHub
from ccat.pat.journal import Journal
from ccat.pat.journal.codec import decode_document, encode_document
from tests.rotation_support import (
    GRAPH_NAMES,
    ROTATION_OPERATOR_TOKEN,
    TARGETS,
    TOKEN_PREFIX,
    write_graph,
)

OPERATOR_TOKEN = "operator-token"
OPERATOR_LOGIN = "ccat-operator"
NEW_TOKEN = "new-pat-value"
NEW_TOKEN_LOGIN = "ccat-ci-bot"
NEW_TOKEN_EXPIRATION = "2027-02-01 00:00:00 UTC"  # as GitHub sends the header
REPOSITORIES = ("ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api")


def emulator(repositories: Iterable[str], operator_token: str, new_token: str) -> FakeHub:
    """An emulator (not started) serving `repositories`, where `operator_token` belongs to
    OPERATOR_LOGIN and `new_token` to NEW_TOKEN_LOGIN, expiring at NEW_TOKEN_EXPIRATION."""
    return FakeHub(
        repositories,
        operator_token=operator_token,
        operator_login=OPERATOR_LOGIN,
        tokens={new_token: NEW_TOKEN_LOGIN},
        token_expirations={new_token: NEW_TOKEN_EXPIRATION},
    )


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


def seal(public_key: str, value: str) -> str:
    """Encrypt `value` for a base64 repository public key, as GitHub clients must."""
    box = SealedBox(PublicKey(base64.b64decode(public_key)))
    return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")


def auth(token: str = OPERATOR_TOKEN) -> dict[str, str]:
    """Headers that authenticate as `token`, the way ccat sends them."""
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }


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
