"""Tests for `ccat.pat.graph`: every rule of SPEC §2.1, with error lines and messages."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from ccat.pat.errors import ConfigError, UsageError
from ccat.pat.graph import Graph, load_graph
from ccat.pat.graph.targets import ROOT_REPOSITORY, Target
from ccat.pat.settings import DEFAULTS


def write(tmp_path: Path, text: str) -> Path:
    """Write a dedented graph file and return its path."""
    path = tmp_path / "dependency-graph.yml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def names(graph: Graph) -> list[str]:
    return [target.name for target in graph.targets]


def config_error(tmp_path: Path, text: str, org: str | None = None) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_graph(path, org)
    assert info.value.path == str(path)
    return info.value


def test_constants() -> None:
    assert DEFAULTS.org == "ccatobs"
    assert ROOT_REPOSITORY == "system-integration"
    assert Path("ci/dependency-graph.yml") == DEFAULTS.graph


def test_target_full_name() -> None:
    assert Target("ccatobs", "ops-db").full_name == "ccatobs/ops-db"


def test_spec_example(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        org: ccatobs                 # optional
        repositories:
          ops-db: {}
          ops-db-api:
            depends_on: [ops-db]
        """,
    )
    graph = load_graph(path)
    assert graph.org == "ccatobs"
    assert graph.path == path
    assert graph.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert graph.targets == (
        Target("ccatobs", "system-integration"),
        Target("ccatobs", "ops-db"),
        Target("ccatobs", "ops-db-api"),
    )
    assert graph.warnings == ()


def test_order_of_first_appearance_including_depends_on(tmp_path: Path) -> None:
    graph = load_graph(
        write(
            tmp_path,
            """
            repositories:
              c:
                depends_on: [b, a]
              a:
              d: {depends_on: [e, c]}
            """,
        )
    )
    assert names(graph) == ["system-integration", "c", "b", "a", "d", "e"]


def test_dedup_is_case_insensitive_and_keeps_first_spelling(tmp_path: Path) -> None:
    graph = load_graph(
        write(
            tmp_path,
            """
            repositories:
              Ops-DB: {}
              ops-db-api: {depends_on: [ops-db, OPS-DB, ccatobs/Ops-Db]}
              System-Integration: {}
            """,
        )
    )
    assert names(graph) == ["system-integration", "Ops-DB", "ops-db-api"]


def test_default_org_and_override(tmp_path: Path) -> None:
    path = write(tmp_path, "repositories: [a]\n")
    assert load_graph(path).org == DEFAULTS.org
    graph = load_graph(path, org="other-org")
    assert graph.org == "other-org"
    assert {t.org for t in graph.targets} == {"other-org"}


def test_override_wins_over_file_org(tmp_path: Path) -> None:
    path = write(tmp_path, "org: ccatobs\nrepositories: [a, ccatobs/b, mirror/c]\n")
    graph = load_graph(path, org="mirror")
    # Names qualified with the file's own org follow the graph to the overriding org.
    assert [t.full_name for t in graph.targets] == [
        "mirror/system-integration",
        "mirror/a",
        "mirror/b",
        "mirror/c",
    ]


def test_invalid_override_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, "repositories: [a]\n")
    with pytest.raises(UsageError, match="--org 'bad_org' is not a valid"):
        load_graph(path, org="bad_org")


def test_list_of_names(tmp_path: Path) -> None:
    graph = load_graph(write(tmp_path, "repositories:\n  - a\n  - ccatobs/b\n  - 2048\n  - yes\n"))
    assert names(graph) == ["system-integration", "a", "b", "2048", "yes"]


def test_list_of_mappings(tmp_path: Path) -> None:
    graph = load_graph(
        write(
            tmp_path,
            """
            repositories:
              - name: a
              - name: b
                depends_on: [a, c]
              - depends_on: [d]
                name: e
              - plain
            """,
        )
    )
    assert names(graph) == ["system-integration", "a", "b", "c", "d", "e", "plain"]


def test_empty_repositories_gives_only_the_root(tmp_path: Path) -> None:
    graph = load_graph(write(tmp_path, "repositories: {}\n"))
    assert names(graph) == ["system-integration"]


def test_null_depends_on_is_empty(tmp_path: Path) -> None:
    graph = load_graph(write(tmp_path, "repositories:\n  a:\n    depends_on:\n"))
    assert names(graph) == ["system-integration", "a"]


def test_qualified_names_case_insensitive_org(tmp_path: Path) -> None:
    graph = load_graph(write(tmp_path, "org: CCATobs\nrepositories: [ccatobs/a, CCATOBS/b]\n"))
    assert graph.org == "CCATobs"
    assert names(graph) == ["system-integration", "a", "b"]


def test_unknown_keys_warn_with_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        org: ccatobs
        owner: someone
        repositories:
          a:
            depends_on: [b]
            branch: main
        """,
    )
    graph = load_graph(path)
    assert names(graph) == ["system-integration", "a", "b"]
    assert graph.warnings == (
        f"{path}:2: unknown top-level key 'owner' ignored (known: org, repositories)",
        f"{path}:6: unknown key 'branch' in repository 'a' ignored (known: depends_on)",
    )


def test_unknown_key_in_list_item_warns(tmp_path: Path) -> None:
    path = write(tmp_path, "repositories:\n  - name: a\n    team: ops\n")
    graph = load_graph(path)
    assert len(graph.warnings) == 1
    assert graph.warnings[0].startswith(f"{path}:3: unknown key 'team' in repository 'a'")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yml"
    with pytest.raises(ConfigError, match="dependency graph not found") as info:
        load_graph(path)
    assert info.value.line is None
    assert "--graph PATH" in str(info.value)
    assert str(info.value).startswith(f"{path}: ")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_graph(tmp_path)


def test_unreadable_file(tmp_path: Path) -> None:
    # A path through a regular file fails with ENOTDIR, even for root (who can read a
    # file of mode 0, so chmod would prove nothing in CI).
    path = write(tmp_path, "repositories: [a]\n") / "graph.yml"
    with pytest.raises(ConfigError, match="cannot read the dependency graph: Not a directory"):
        load_graph(path)


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    error = config_error(tmp_path, text)
    assert "the file is empty" in error.message
    assert "'repositories'" in error.message


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    error = config_error(tmp_path, "org: ccatobs\nrepositories:\n  a: [b\n  c: {}\n")
    # libyaml says "did not find expected ',' or ']'", PyYAML "expected ',' or ']', but
    # got ':'": the line, the missing bracket and where the list opened are in both.
    assert ":4: YAML syntax error: " in error.message
    assert "',' or ']'" in error.message
    assert error.message.endswith("(while parsing a flow sequence that starts on line 3)")
    assert error.line == 4
    assert str(error).startswith(f"{error.path}:4: ")


def test_bad_indentation_has_line(tmp_path: Path) -> None:
    error = config_error(tmp_path, "repositories:\n  a: {}\n b: {}\n")
    assert "YAML syntax error" in error.message
    assert error.line == 3


def test_several_documents(tmp_path: Path) -> None:
    error = config_error(tmp_path, "repositories: [a]\n---\nrepositories: [b]\n")
    assert "single document" in error.message
    assert error.line == 2


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "g.yml"
    path.write_bytes(b"repositories:\n  - caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8") as info:
        load_graph(path)
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("text", "found"),
    [("- a\n- b\n", "a list"), ("just text\n", "'just text'")],
)
def test_top_level_not_a_mapping(tmp_path: Path, text: str, found: str) -> None:
    error = config_error(tmp_path, text)
    assert error.line == 1
    assert "expected a mapping with 'org' and 'repositories'" in error.message
    assert f"found {found}" in error.message


def test_missing_repositories(tmp_path: Path) -> None:
    error = config_error(tmp_path, "org: ccatobs\nrepos: [a]\n")
    assert "missing the 'repositories' key" in error.message
    assert error.line == 1


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("repositories: ops-db\n", 1, "'repositories' must be a mapping"),
        ("repositories:\n", 1, "found nothing"),
        ("org: ccatobs\nrepositories:\n  a: [b]\n", 3, "attributes of 'a' must be a mapping"),
        ("repositories:\n  a: {depends_on: b}\n", 2, "'depends_on' of 'a' must be a list"),
        ("repositories:\n  a:\n    depends_on:\n      - {x: 1}\n", 4, "found a mapping"),
        ("repositories:\n  - [a, b]\n", 2, "expected a repository name or a mapping"),
        ("repositories:\n  -\n", 2, "found nothing"),
        ("repositories:\n  - depends_on: [a]\n", 2, "needs a 'name' key"),
        ("repositories:\n  - name: [a]\n", 2, "expected a repository name, found a list"),
        ("org: [a]\nrepositories: []\n", 1, "'org' must be a GitHub organisation name"),
        ("org:\nrepositories: []\n", 1, "remove the key to use the default 'ccatobs'"),
        ("repositories:\n  a: {}\n  a: {}\n", 3, "key 'a' appears twice"),
        ("repositories:\n  ? [a]\n  : {}\n", 2, "expected a key name, found a list"),
    ],
)
def test_wrong_types(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    error = config_error(tmp_path, text)
    assert fragment in error.message
    assert error.line == line


@pytest.mark.parametrize(
    "name",
    ["ops db", "a" * 101, ".", "..", "café", "a:b", "x/", "/x", "''", "a\\b"],
)
def test_invalid_repository_names(tmp_path: Path, name: str) -> None:
    quoted = name if name == "''" else f'"{name}"'.replace("\\", "\\\\")
    error = config_error(tmp_path, f"repositories:\n  - ok\n  - {quoted}\n")
    assert error.line == 3
    assert "1-100 characters of A-Z a-z 0-9 . _ -" in error.message or "not in organisation" in (
        error.message
    )


def test_valid_edge_names(tmp_path: Path) -> None:
    graph = load_graph(write(tmp_path, f"repositories: ['{'a' * 100}', .github, a_b.c-d, '...']\n"))
    assert names(graph)[1:] == ["a" * 100, ".github", "a_b.c-d", "..."]


def test_invalid_name_message(tmp_path: Path) -> None:
    error = config_error(tmp_path, "repositories:\n  ops db: {}\n")
    assert str(error) == (
        f"{error.path}:2: repository name 'ops db' is not valid: "
        "expected 1-100 characters of A-Z a-z 0-9 . _ - (not '.' or '..')"
    )


def test_foreign_org_is_rejected(tmp_path: Path) -> None:
    error = config_error(tmp_path, "repositories:\n  a:\n    depends_on: [other/b]\n")
    assert error.line == 3
    assert "repository 'other/b' is not in organisation 'ccatobs'" in error.message
    assert "'ccatobs/b'" in error.message


def test_too_many_slashes(tmp_path: Path) -> None:
    error = config_error(tmp_path, "repositories: [ccatobs/a/b]\n")
    assert "not in organisation" in error.message


@pytest.mark.parametrize("org", ["-bad", "bad-", "a--b", "under_score", "x" * 40])
def test_invalid_org_in_file(tmp_path: Path, org: str) -> None:
    error = config_error(tmp_path, f"org: '{org}'\nrepositories: []\n")
    assert error.line == 1
    assert f"org '{org}' is not a valid organisation name" in error.message


@pytest.mark.parametrize("org", ["a", "ccatobs", "a-b-c", "x" * 39, "A1"])
def test_valid_orgs(tmp_path: Path, org: str) -> None:
    assert load_graph(write(tmp_path, f"org: '{org}'\nrepositories: []\n")).org == org


def test_yaml_tags_do_not_break_loading(tmp_path: Path) -> None:
    # Explicit tags are taken as written: a name is still a name.
    text = "repositories:\n  a: {depends_on: !!seq [x, !!str y]}\n  !!str b: {}\n"
    assert names(load_graph(write(tmp_path, text))) == ["system-integration", "a", "x", "y", "b"]


def test_anchor_and_alias_are_refused(tmp_path: Path) -> None:
    # Once accepted (duplicates collapsed); refused now: an anchored list reused many
    # times expands beyond any time bound, and a graph has no need for it.
    text = "repositories:\n  a: {depends_on: &common [x, y]}\n  b: {depends_on: *common}\n"
    error = config_error(tmp_path, text)
    assert error.line == 2
    assert "anchor '&common' refused" in error.message
    assert "no need for anchors or aliases" in error.message
