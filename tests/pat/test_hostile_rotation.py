"""Property-based, at the rotation level (issue 7): whatever status, headers and body
GitHub sends to a write, a public-key fetch or the new token's reach check — once, or
to every attempt — `run_rotation` ends within a bound, raises nothing but our own
errors, and the journal says `updated` only when the write was answered 201 or 204.

Three targets, one write at a time, the middle one answered by hypothesis. The
emulator's decrypted values are the witness for the others: a target is `updated` in
the journal exactly when the emulator holds the new value (the faulted one: exactly when
its answer was 201 or 204, since a fault answers instead of the emulator). The outcome's
lists are the journal's. The client runs on a fake clock, so rate-limit and backoff
waits cost nothing.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccat.fakehub import FakeHub, Fault
from ccat.pat.errors import CcatError, PreflightError
from ccat.pat.github import GitHubClient, open_client
from ccat.pat.graph import load_graph
from ccat.pat.journal import Journal
from ccat.pat.rotation import RotateOptions, RotationOutcome
from ccat.pat.settings import ClientSettings
from tests.conftest import emulator
from tests.fake_time import FakeTime
from tests.rotation_support import (
    GRAPH_NAMES,
    ROTATION_OPERATOR_TOKEN,
    SECRET,
    TARGETS,
    TOKEN_PREFIX,
    current,
    holding,
    key_path,
    put_repositories,
    run_rotation,
    secret_path,
    write_graph,
)

REPOSITORIES = list(TARGETS[:3])
FAULTED = REPOSITORIES[1]
NEW_TOKEN = TOKEN_PREFIX + "hostile-rotation-token"
BOUND = 20.0  # seconds a whole rotation may take, whatever is answered
WRITTEN = (201, 204)

STATUSES = st.one_of(
    st.sampled_from(
        [200, 201, 202, 204, 301, 304, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504]
    ),
    st.integers(200, 599),
)
HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "retry-after",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "content-type",
            "x-accepted-github-permissions",
            "location",
        ]
    ),
    st.one_of(
        st.sampled_from(["0", "1", "-1", "inf", "nan", "1e300", "60", "", "text/html"]),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
    ),
    max_size=4,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
ANY_BODY = st.binary(max_size=64) | JSON_VALUES.map(lambda value: json.dumps(value).encode())


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with emulator(REPOSITORIES, ROTATION_OPERATOR_TOKEN, NEW_TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-rotation")
    return write_graph(folder / "graph.yml", GRAPH_NAMES[:2])


def bodies(endpoint: str, hub: FakeHub) -> st.SearchStrategy[tuple[str, bytes]]:
    """Labelled bodies: "documented" (what GitHub sends on success) or "other"."""
    documented: dict[str, Any] = {
        "PUT": {},
        "runs": {"total_count": 0, "workflow_runs": []},
        "public key": dict(zip(("key_id", "key"), hub.public_key(FAULTED), strict=True)),
    }
    other = [ANY_BODY]
    if endpoint == "public key":  # the right shape, but not a Curve25519 key
        not_a_key = {"key_id": "1", "key": base64.b64encode(b"k" * 31).decode()}
        other.append(st.just(json.dumps(not_a_key).encode()))
    return st.one_of(
        st.just(("documented", json.dumps(documented[endpoint]).encode())),
        st.one_of(*other).map(lambda body: ("other", body)),
    )


ENDPOINTS = {
    "PUT": ("PUT", secret_path(FAULTED)),
    "public key": ("GET", key_path(FAULTED)),
    "runs": ("GET", f"/repos/{FAULTED}/actions/runs"),
}


def rotate(hub: FakeHub, graph: Path, journal: Path) -> RotationOutcome | CcatError:
    """One rotation in its own event loop, on one client (each client costs a TLS
    context to build); our own error is returned, any other exception escapes."""
    settings_ = ClientSettings(
        api_url=hub.url,
        token=ROTATION_OPERATOR_TOKEN,
        timeout=5.0,
        max_wait=120.0,
        concurrency=8,  # one connection pool: one TLS context
        budget=0,
    )

    async def run() -> RotationOutcome | CcatError:
        async with open_client(settings_, timing=FakeTime().timing) as client:

            @asynccontextmanager
            async def shared() -> AsyncIterator[GitHubClient]:
                yield client

            options = RotateOptions(
                connect=shared,
                journal=Journal(journal),
                graph=load_graph(graph),
                secret=SECRET,
                api_url=hub.url,
                operator_token=ROTATION_OPERATOR_TOKEN,
                new_token=NEW_TOKEN,
                concurrency=1,
                write_interval=0,
            )
            with anyio.fail_after(BOUND):
                try:
                    return await run_rotation(options)
                except CcatError as exc:
                    return exc

    return anyio.run(run)


def reset(hub: FakeHub) -> None:
    hub.clear_faults()
    for repository in REPOSITORIES:
        hub.delete_secret(repository, SECRET)
    hub.reset_log()


HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@HYPOTHESIS
@given(data=st.data(), status=STATUSES, headers=HEADERS, every_attempt=st.booleans())
def test_a_rotation_says_updated_only_for_a_documented_write(
    hub: FakeHub,
    graph: Path,
    endpoint: str,
    data: st.DataObject,
    status: int,
    headers: dict[str, str],
    every_attempt: bool,
) -> None:
    kind, body = data.draw(bodies(endpoint, hub), label="body")
    method, path = ENDPOINTS[endpoint]
    reset(hub)
    count = None if every_attempt else 1
    hub.add_fault(Fault(method, path, status, count, body=body, headers=headers))
    journal = Path(tempfile.mkdtemp(dir=graph.parent)) / "journal.json"

    result = rotate(hub, graph, journal)

    if isinstance(result, CcatError):
        # Only preflight may refuse, and only for an answer that is not the documented one.
        assert isinstance(result, PreflightError), result
        assert endpoint != "PUT"
        assert [failure.subject for failure in result.failures] == [FAULTED]
        assert not (status == 200 and kind == "documented")
        assert put_repositories(hub) == [] and not journal.exists()
        return
    run = current(journal)
    assert result.run is not None
    assert (result.run.updated(), result.run.not_updated()) == (run.updated(), run.not_updated())
    assert run.state == ("completed" if not run.not_updated() else "stopped")
    held = holding(hub, NEW_TOKEN)
    for repository in REPOSITORIES:
        updated = repository in run.updated()
        if repository == FAULTED and endpoint == "PUT" and every_attempt:
            # The fault answered every attempt: nothing was stored; GitHub's word decides.
            assert repository not in held
            assert updated == (status in WRITTEN), (status, run.target(repository))
        elif repository == FAULTED and endpoint == "PUT" and updated and repository not in held:
            assert status in WRITTEN  # believed only on GitHub's documented answer
        else:
            assert updated == (repository in held), repository
    if endpoint != "PUT" and every_attempt:
        assert status == 200 and kind == "documented"  # preflight passed on nothing else
