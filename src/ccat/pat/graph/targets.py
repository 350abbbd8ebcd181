"""The CI dependency graph (`ci/dependency-graph.yml`) turned into an ordered target list.

The file is walked as a YAML node tree rather than loaded with `yaml.safe_load` because
the nodes keep line numbers: every configuration error names the file and the line, so
an operator paged at 3 a.m. can go straight to the mistake. Reading the file (bounded,
regular files only) and building the tree (no anchors, aliases or deep nesting) happen
in `graph_file`; that is the only I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from ccat.pat.errors import ConfigError, UsageError
from ccat.pat.github_rules import (
    ORG_NAME_RULE,
    REPOSITORY_NAME_RULE,
    is_org_name,
    is_repository_name,
)
from ccat.pat.graph.file import compose_graph_text, read_graph_bytes
from ccat.pat.settings import DEFAULTS

ROOT_REPOSITORY = "system-integration"


_TOP_KEYS = ("org", "repositories")
_REPO_KEYS = ("depends_on",)
_ITEM_KEYS = ("name", "depends_on")
_NULL_TAG = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Target:
    """One repository the secret must be present in."""

    org: str
    name: str

    @property
    def full_name(self) -> str:
        """`org/name`, as GitHub's REST paths want it."""
        return f"{self.org}/{self.name}"


@dataclass(frozen=True)
class Graph:
    """The loaded graph: where it came from, its targets in order, and what was ignored."""

    path: Path
    sha256: str
    org: str
    targets: tuple[Target, ...]
    warnings: tuple[str, ...]


def load_graph(path: Path, org: str | None = None) -> Graph:
    """Read the dependency graph at `path`; `org` (from `--org`) overrides the file's.

    Raises `ConfigError` (with the line when known) for anything unusable, and
    `UsageError` when the `--org` override itself is not a valid organisation name.
    """
    if org is not None and not is_org_name(org):
        raise UsageError(
            f"--org {org!r} is not a valid GitHub organisation name: expected {ORG_NAME_RULE}"
        )
    data = read_graph_bytes(path)
    parser = _GraphParser(path)
    root = parser.compose(data)
    targets = parser.parse(root, org)
    return Graph(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        org=parser.org,
        targets=targets,
        warnings=tuple(parser.warnings),
    )


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _describe(node: yaml.Node) -> str:
    """Say what was found, in words an operator recognises."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
        return "nothing (an empty value)"
    return f"{str(node.value)!r}"


class _GraphParser:
    """Walks the composed node tree once, collecting targets and warnings in file order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.org = DEFAULTS.org
        self.file_org = DEFAULTS.org
        self.warnings: list[str] = []
        self._names: dict[str, str] = {}  # casefolded -> first spelling, in insertion order

    def error(self, message: str, node: yaml.Node | None = None) -> ConfigError:
        return ConfigError(message, path=str(self.path), line=None if node is None else _line(node))

    def warn(self, message: str, node: yaml.Node) -> None:
        self.warnings.append(f"{self.path}:{_line(node)}: {message}")

    def compose(self, data: bytes) -> yaml.Node:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ConfigError(
                "not UTF-8 text; expected a YAML file", path=str(self.path), line=line
            ) from None
        root = compose_graph_text(text, self.path)
        if root is None:
            raise self.error("the file is empty; expected a mapping with a 'repositories' key")
        return root

    def parse(self, root: yaml.Node, org_override: str | None) -> tuple[Target, ...]:
        if not isinstance(root, yaml.MappingNode):
            raise self.error(
                "expected a mapping with 'org' and 'repositories' at the top level, "
                f"found {_describe(root)}",
                root,
            )
        fields: dict[str, yaml.Node] = {}
        for key, key_node, value in self._pairs(root):
            if key in _TOP_KEYS:
                fields[key] = value
            else:
                self.warn(
                    f"unknown top-level key {key!r} ignored (known: org, repositories)", key_node
                )
        if "org" in fields:
            self.file_org = self._org(fields["org"])
        self.org = org_override if org_override is not None else self.file_org
        if "repositories" not in fields:
            raise self.error(
                "missing the 'repositories' key (a mapping or list of repositories)", root
            )
        self._add(ROOT_REPOSITORY)
        self._repositories(fields["repositories"])
        return tuple(Target(self.org, name) for name in self._names.values())

    def _pairs(self, node: yaml.MappingNode) -> Iterator[tuple[str, yaml.Node, yaml.Node]]:
        """Yield (key, key node, value node); keys must be strings, unique in one mapping."""
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _NULL_TAG:
                raise self.error(f"expected a key name, found {_describe(key_node)}", key_node)
            key = str(key_node.value)
            if key in seen:
                # safe_load would silently keep the last one; an operator should choose.
                raise self.error(f"key {key!r} appears twice in the same mapping", key_node)
            seen.add(key)
            yield key, key_node, value_node

    def _org(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL_TAG:
            raise self.error(
                f"'org' must be a GitHub organisation name, found {_describe(node)} "
                f"(remove the key to use the default {DEFAULTS.org!r})",
                node,
            )
        value = str(node.value)
        if not is_org_name(value):
            raise self.error(
                f"org {value!r} is not a valid organisation name: expected {ORG_NAME_RULE}", node
            )
        return value

    def _repositories(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, key_node, attributes in self._pairs(node):
                self._add_named(key, key_node)
                self._attributes(attributes, key)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                if isinstance(item, yaml.MappingNode):
                    self._item(item)
                else:
                    self._add_named(
                        self._name(item, "a repository name or a mapping with 'name'"), item
                    )
        else:
            raise self.error(
                "'repositories' must be a mapping (name: attributes) or a list of names, "
                f"found {_describe(node)}",
                node,
            )

    def _attributes(self, node: yaml.Node, repository: str) -> None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
            return  # `ops-db:` with nothing after it: a repository without attributes
        if not isinstance(node, yaml.MappingNode):
            raise self.error(
                f"attributes of {repository!r} must be a mapping (e.g. {{depends_on: [...]}}) "
                f"or empty, found {_describe(node)}",
                node,
            )
        for key, key_node, value in self._pairs(node):
            if key == "depends_on":
                self._depends_on(value, repository)
            else:
                self.warn(
                    f"unknown key {key!r} in repository {repository!r} ignored (known: depends_on)",
                    key_node,
                )

    def _item(self, node: yaml.MappingNode) -> None:
        pairs = list(self._pairs(node))
        name_node = next((value for key, _, value in pairs if key == "name"), None)
        if name_node is None:
            raise self.error("a repository given as a mapping needs a 'name' key", node)
        repository = self._name(name_node, "a repository name")
        # Keys are handled in file order so "first appearance" means what it says.
        for key, key_node, value in pairs:
            if key == "name":
                self._add_named(repository, value)
            elif key == "depends_on":
                self._depends_on(value, repository)
            else:
                self.warn(
                    f"unknown key {key!r} in repository {repository!r} ignored "
                    "(known: name, depends_on)",
                    key_node,
                )

    def _depends_on(self, node: yaml.Node, repository: str) -> None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG:
            return
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(
                f"'depends_on' of {repository!r} must be a list of repository names, "
                f"found {_describe(node)}",
                node,
            )
        for item in node.value:
            self._add_named(self._name(item, "a repository name"), item)

    def _name(self, node: yaml.Node, expected: str) -> str:
        # Any non-null scalar is taken as written: `- 2048` or `- yes` are valid repo names.
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL_TAG:
            raise self.error(f"expected {expected}, found {_describe(node)}", node)
        return str(node.value)

    def _add_named(self, written: str, node: yaml.Node) -> None:
        """Validate `repo` or `org/repo` and add it to the target set."""
        org, slash, name = written.rpartition("/")
        if slash:
            known = {self.org.casefold(), self.file_org.casefold()}
            if "/" in org or org.casefold() not in known:
                raise self.error(
                    f"repository {written!r} is not in organisation {self.org!r}; "
                    "write it without the prefix or as "
                    f"'{self.org}/{name}' (one org per graph)",
                    node,
                )
        if not is_repository_name(name):
            raise self.error(
                f"repository name {name!r} is not valid: expected {REPOSITORY_NAME_RULE}", node
            )
        self._add(name)

    def _add(self, name: str) -> None:
        self._names.setdefault(name.casefold(), name)
