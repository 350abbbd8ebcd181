"""Tests for `ccat.pat.graph.file`: the graph file is read as if hostile (issue 7.6).

Only regular files, never a blocking open, at most 10 MiB; no anchors or aliases; bounded
nesting; every failure a `ConfigError` naming the file. Property tests check that the
node tree is the one PyYAML's own composer builds, with either event parser.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccat.pat.errors import ConfigError
from ccat.pat.graph import load_graph
from ccat.pat.graph.file import (
    MAX_GRAPH_BYTES,
    MAX_GRAPH_DEPTH,
    compose_graph_text,
    read_graph_bytes,
)
from ccat.pat.graph.targets import ROOT_REPOSITORY
from ccat.pat.regular_file import read_at_most

LOADERS = [
    pytest.param(yaml.SafeLoader, id="pure-python"),
    pytest.param(
        getattr(yaml, "CSafeLoader", None),
        id="libyaml",
        marks=pytest.mark.skipif(
            not yaml.__with_libyaml__, reason="PyYAML was built without libyaml"
        ),
    ),
]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def refused(path: Path) -> ConfigError:
    """The `ConfigError` loading `path` raises; it must name the file."""
    with pytest.raises(ConfigError) as info:
        load_graph(path)
    assert info.value.path == str(path)
    assert str(info.value).startswith(f"{path}")
    return info.value


# --- what is read --------------------------------------------------------------------


@pytest.mark.timeout(10)  # a blocking open would hang here: fail fast instead
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "graph.yml"
    os.mkfifo(fifo)  # no writer: a plain open() would wait for one forever
    error = refused(fifo)
    assert "is a FIFO, not a regular file" in error.message


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_character_device_is_refused(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist on this system")
    error = refused(Path(device))
    assert "is a device, not a regular file" in error.message


def test_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    # What is checked is the opened file, not the name: a link to /dev/zero is a device.
    link = tmp_path / "graph.yml"
    link.symlink_to("/dev/zero")
    assert "is a device" in refused(link).message


def test_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "graph.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        assert "is a socket, not a regular file" in refused(path).message


def test_directory_is_refused(tmp_path: Path) -> None:
    assert "is a directory" in refused(tmp_path).message


def test_larger_than_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "graph.yml"
    with path.open("wb") as file:
        file.truncate(64 * 1024**3)  # 64 GiB, sparse: reading it whole would never end
    error = refused(path)
    assert "larger than 10 MiB" in error.message
    assert error.line is None


def test_one_byte_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "graph.yml"
    path.write_bytes(b"repositories: [a]\n" + b" " * MAX_GRAPH_BYTES)
    assert "larger than 10 MiB" in refused(path).message


def test_exactly_the_cap_is_read(tmp_path: Path) -> None:
    head = b"repositories: [a]\n#"
    path = tmp_path / "graph.yml"
    path.write_bytes(head + b"x" * (MAX_GRAPH_BYTES - len(head) - 1) + b"\n")
    assert path.stat().st_size == MAX_GRAPH_BYTES
    assert [t.name for t in load_graph(path).targets] == [ROOT_REPOSITORY, "a"]


def test_reading_stops_at_the_limit_of_an_endless_source() -> None:
    # The read loop itself is bounded, whatever fstat said (a /proc file says 0 bytes).
    fd = os.open("/dev/zero", os.O_RDONLY)
    try:
        assert read_at_most(fd, 3 * 1024 * 1024 + 7) == b"\0" * (3 * 1024 * 1024 + 7)
    finally:
        os.close(fd)


def test_a_file_whose_size_is_unknown_is_read(tmp_path: Path) -> None:
    # /proc files say they are empty but are not: read, then judged as YAML.
    path = Path("/proc/self/status")
    if not path.exists():
        pytest.skip("no /proc on this system")
    assert path.stat().st_size == 0
    assert read_graph_bytes(path).startswith(b"Name:")


def test_unreadable_path_is_a_config_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yml"
    loop.symlink_to(loop)
    assert "cannot read the dependency graph" in refused(loop).message


# --- what is parsed ------------------------------------------------------------------


def test_the_alias_bomb_of_the_issue_is_refused_at_once(tmp_path: Path) -> None:
    # 337 KB: one anchored list, reused 10,000 times; it never finished before.
    names = ", ".join(f"repo-{i:03d}" for i in range(400))
    text = (
        f"common: &common [{names}]\nrepositories:\n"
        + "  - {name: x, depends_on: *common}\n" * 10_000
    )
    path = tmp_path / "graph.yml"
    path.write_text(text)
    assert path.stat().st_size > 300_000
    error = refused(path)
    assert error.line == 1
    assert "anchor '&common' refused" in error.message


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("repositories:\n  - &a ops-db\n", 2, "anchor '&a' refused"),
        ("repositories: &r [a]\n", 1, "anchor '&r' refused"),
        ("repositories:\n  - *undefined\n", 2, "alias '*undefined' refused"),
        ("repositories:\n  a: {<<: *base}\n", 2, "alias '*base' refused"),
    ],
)
def test_anchors_and_aliases_are_refused(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = tmp_path / "graph.yml"
    path.write_text(text)
    error = refused(path)
    assert error.line == line
    assert fragment in error.message
    assert "a dependency graph has no need for anchors or aliases" in error.message


@pytest.mark.parametrize("opening", ["[", "{a: ", "- "])
@pytest.mark.parametrize("count", [500, 200_000])
def test_deep_nesting_is_a_clean_error(tmp_path: Path, opening: str, count: int) -> None:
    path = tmp_path / "graph.yml"
    path.write_text(opening * count)
    error = refused(path)
    # Ours ("nested more than 32 levels deep"), or libyaml's own limit when its scanner,
    # reading ahead on one long line, reaches it first ("exceeded maximum nesting depth").
    assert "nest" in error.message
    assert error.line == 1


def test_a_control_character_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "graph.yml"
    path.write_text("repositories:\n  - ok\n  - a\x07b\n")
    error = refused(path)
    assert error.line == 3
    assert "a character YAML does not allow" in error.message


# --- properties ----------------------------------------------------------------------

_NAME = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,11}", fullmatch=True)
_GRAPHS = st.lists(st.tuples(_NAME, st.lists(_NAME, max_size=4)), max_size=12)


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def _graph_text(graph: list[tuple[str, list[str]]], flow: bool | None, as_list: bool) -> str:
    repositories: object
    if as_list:
        repositories = [{"name": name, "depends_on": deps} for name, deps in graph]
    else:
        repositories = {name: {"depends_on": deps} for name, deps in graph}
    document = {"org": "ccatobs", "repositories": repositories}
    return yaml.dump(document, Dumper=_NoAliasDumper, default_flow_style=flow, sort_keys=False)


def _expected(graph: list[tuple[str, list[str]]], as_list: bool) -> list[str]:
    """SPEC §2.1 by hand: the root first, then first appearance, deduplicated by case."""
    seen: dict[str, str] = {ROOT_REPOSITORY.casefold(): ROOT_REPOSITORY}
    # In mapping form a repeated key keeps its last attributes (and is an error).
    entries = graph if as_list else list({name: deps for name, deps in graph}.items())
    for name, deps in entries:
        for each in (name, *deps):
            seen.setdefault(each.casefold(), each)
    return list(seen.values())


def _shape(node: yaml.Node | None) -> object:
    """A node tree as plain data, with each node's tag and position."""
    if node is None:
        return None
    where = (node.tag, node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.MappingNode):
        return (where, [(_shape(key), _shape(value)) for key, value in node.value])
    if isinstance(node, yaml.SequenceNode):
        return (where, [_shape(item) for item in node.value])
    return (where, node.value)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One file, rewritten by each example of a property test."""
    yield tmp_path_factory.mktemp("graph-properties") / "graph.yml"


@given(graph=_GRAPHS, flow=st.sampled_from([None, True, False]), as_list=st.booleans())
@PROPERTY
def test_any_written_graph_loads_in_order(
    scratch: Path, graph: list[tuple[str, list[str]]], flow: bool | None, as_list: bool
) -> None:
    if not as_list and len({name for name, _ in graph}) < len(graph):
        as_list = True  # a mapping cannot hold the same key twice
    scratch.write_text(_graph_text(graph, flow, as_list))
    names = [target.name for target in load_graph(scratch).targets]
    assert names == _expected(graph, as_list)


@pytest.mark.parametrize("loader", LOADERS)
@given(graph=_GRAPHS, flow=st.sampled_from([None, True, False]), as_list=st.booleans())
@PROPERTY
def test_the_tree_is_the_one_pyyaml_composes(
    loader: type[yaml.SafeLoader],
    graph: list[tuple[str, list[str]]],
    flow: bool | None,
    as_list: bool,
) -> None:
    text = _graph_text(graph, flow, as_list)
    ours = compose_graph_text(text, Path("graph.yml"), loader)
    assert _shape(ours) == _shape(yaml.compose(text, Loader=yaml.SafeLoader))


@given(
    names=st.lists(_NAME, min_size=1, max_size=20),
    data=st.data(),
    anchor=st.from_regex(r"[A-Za-z0-9_-]{1,10}", fullmatch=True),
)
@PROPERTY
def test_an_anchor_anywhere_is_refused_at_its_line(
    scratch: Path, names: list[str], data: st.DataObject, anchor: str
) -> None:
    index = data.draw(st.integers(0, len(names) - 1))
    # Quoted: a name such as "-" would otherwise be YAML syntax.
    lines = [
        f"  - &{anchor} '{name}'" if i == index else f"  - '{name}'" for i, name in enumerate(names)
    ]
    scratch.write_text("repositories:\n" + "\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as info:
        load_graph(scratch)
    assert info.value.line == index + 2
    assert f"anchor '&{anchor}' refused" in info.value.message


@given(depth=st.integers(1, 300), opening=st.sampled_from(["[", "{k: ", "- "]))
@PROPERTY
def test_nesting_is_refused_exactly_beyond_the_bound(
    scratch: Path, depth: int, opening: str
) -> None:
    closing = {"[": "]", "{k: ": "}", "- ": ""}[opening]
    start = "repositories:\n  " if opening == "- " else "repositories: "  # `- - a` is block
    # The top-level mapping is one level; each opening adds one.
    scratch.write_text(start + opening * depth + "a" + closing * depth + "\n")
    try:
        load_graph(scratch)
    except ConfigError as error:
        too_deep = "levels deep" in error.message
        assert too_deep == (depth + 1 > MAX_GRAPH_DEPTH)
    else:
        assert depth + 1 <= MAX_GRAPH_DEPTH


_YAMLISH = st.text(
    alphabet=st.sampled_from(list("ab-_./:[]{},&*!|>?#'\"%@` \n\t\x00é0")), max_size=200
)


@given(text=_YAMLISH)
@PROPERTY
def test_any_text_loads_or_is_a_config_error(scratch: Path, text: str) -> None:
    scratch.write_text(text, encoding="utf-8")
    try:
        graph = load_graph(scratch)
    except ConfigError as error:
        assert error.path == str(scratch)
        assert str(error).startswith(str(scratch))
    else:
        assert graph.targets[0].name == ROOT_REPOSITORY


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: &x [b]\nc: *x\n", 1, "anchor '&x' refused"),
        ("a: [b]\nc: *x\n", 2, "alias '*x' refused"),
        ("a:\n  " + "[" * 40 + "b" + "]" * 40 + "\n", 2, "nested more than 32 levels deep"),
        ("a: b\n---\nc: d\n", 2, "a second YAML document"),
        ("a: [b\nc: d\n", 2, "YAML syntax error"),
    ],
)
def test_both_parsers_refuse_alike(
    loader: type[yaml.SafeLoader], text: str, line: int, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        compose_graph_text(text, Path("g.yml"), loader)
    assert info.value.line == line
    assert fragment in info.value.message
    assert str(info.value).startswith(f"g.yml:{line}: ")
