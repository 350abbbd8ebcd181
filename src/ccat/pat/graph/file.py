"""Reading a dependency-graph file safely: bytes from a bounded regular file, then a
YAML node tree with line numbers and nothing that can multiply.

`--graph` is operator input, but it is often a path into a checkout someone else
pushed to, so it is read as if hostile:

- only a regular file is read, and at most `MAX_GRAPH_BYTES` of it
  (`ccat.pat.regular_file`): `/dev/zero` would grow without end and a FIFO would block
  forever;
- anchors and aliases are refused: an anchored list reused 10,000 times expands into a
  tree no one can walk in reasonable time, and a dependency graph has no need for them;
- nesting is bounded, so 500 `[` are a clean error rather than a `RecursionError`.

The node tree is built here from the parser's events rather than by `yaml.compose`:
that is where anchors, aliases and depth can be refused before anything is built, and
it lets libyaml's C parser (when PyYAML has it) do the scanning: a 10 MB graph loads in
about 8 s instead of 27 s with the pure-Python parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)
from yaml.resolver import Resolver

from ccat.pat.errors import ConfigError
from ccat.pat.regular_file import FileTooLarge, NotRegularFile, read_capped
from ccat.pat.settings import DEFAULTS

MAX_GRAPH_BYTES = 10 * 1024 * 1024
MAX_GRAPH_DEPTH = 32  # the format needs 4 (top, repositories, attributes, depends_on)

# libyaml's parser when PyYAML was built with it; the pure-Python one otherwise. Both
# report the same lines; their wording of a syntax error differs slightly.
EVENT_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)

_NO_ANCHORS = (
    "a dependency graph has no need for anchors or aliases (&name, *name); "
    "write each repository name out"
)


def read_graph_bytes(path: Path) -> bytes:
    """The bytes of the regular file at `path`, at most `MAX_GRAPH_BYTES` of them.

    Never blocks (a FIFO or a device is refused before any read) and never reads more
    than one byte past the limit (`ccat.pat.regular_file`). Every failure is a
    `ConfigError` naming the file.
    """
    try:
        return read_capped(path, MAX_GRAPH_BYTES)
    except FileNotFoundError:
        raise ConfigError(
            "dependency graph not found; run from the repository root that holds "
            f"{DEFAULTS.graph} or pass --graph PATH",
            path=str(path),
        ) from None
    except NotRegularFile as exc:
        raise _not_a_file(path, exc.kind) from None
    except FileTooLarge:
        raise _too_large(path) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _not_a_file(path: Path, kind: str) -> ConfigError:
    return ConfigError(
        f"is {kind}, not a regular file; --graph expects a YAML file", path=str(path)
    )


def _too_large(path: Path) -> ConfigError:
    return ConfigError(
        f"is larger than {MAX_GRAPH_BYTES // (1024 * 1024)} MiB; a dependency graph "
        "is a short YAML file (is --graph the right file?)",
        path=str(path),
    )


def _unreadable(path: Path, exc: OSError) -> ConfigError:
    return ConfigError(f"cannot read the dependency graph: {exc.strerror or exc}", path=str(path))


def compose_graph_text(
    text: str, path: Path, loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = EVENT_LOADER
) -> yaml.Node | None:
    """The YAML node tree of `text` (None when it holds no document).

    Refuses anchors, aliases, nesting deeper than `MAX_GRAPH_DEPTH` and a second
    document; every failure is a `ConfigError` naming `path` and the line. `loader`
    chooses the event parser (libyaml's when available).
    """
    events = yaml.parse(text, Loader=loader)
    try:
        return _NodeBuilder(path).build(events)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(path, exc) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (a control character, say): the position is
        # an index into the text, so the line can be told.
        line = text[: max(exc.position, 0)].count("\n") + 1
        raise ConfigError(
            "contains a character YAML does not allow (a control character?)",
            path=str(path),
            line=line,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", path=str(path)) from None


def _syntax_error(path: Path, exc: yaml.MarkedYAMLError) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    detail = exc.problem or exc.context or "unparsable YAML"
    if exc.problem and exc.context:
        # e.g. "expected ',' or ']', but got ':' (while parsing a flow sequence that
        # starts on line 2)": the opening bracket is usually the real mistake.
        where = f" that starts on line {exc.context_mark.line + 1}" if exc.context_mark else ""
        detail = f"{exc.problem} ({exc.context}{where})"
    return ConfigError(
        f"YAML syntax error: {detail}",
        path=str(path),
        line=None if mark is None else mark.line + 1,
    )


class _NodeBuilder:
    """Builds `yaml.Node`s from parser events with an explicit stack (no recursion)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.resolver = Resolver()
        # Each open collection: its start event and the nodes read inside it so far.
        self.stack: list[tuple[CollectionStartEvent, list[yaml.Node]]] = []
        self.root: yaml.Node | None = None

    def error(self, message: str, event: Event) -> ConfigError:
        return ConfigError(message, path=str(self.path), line=_mark(event.start_mark).line + 1)

    def tag(self, kind: type[yaml.Node], event: NodeEvent, value: str | None) -> str:
        """The event's explicit tag, else the one YAML's implicit rules give (as compose)."""
        tag: str | None = getattr(event, "tag", None)
        if tag is None or tag == "!":
            implicit = getattr(event, "implicit", None)
            tag = self.resolver.resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
        return str(tag)

    def build(self, events: Iterator[Event]) -> yaml.Node | None:
        documents = 0
        for event in events:
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.error(
                        "a second YAML document ('---') starts here; expected a single document",
                        event,
                    )
            elif isinstance(event, AliasEvent):
                raise self.error(f"YAML alias '*{event.anchor}' refused: {_NO_ANCHORS}", event)
            elif isinstance(event, NodeEvent) and event.anchor is not None:
                raise self.error(f"YAML anchor '&{event.anchor}' refused: {_NO_ANCHORS}", event)
            elif isinstance(event, ScalarEvent):
                self._add(
                    yaml.ScalarNode(
                        self.tag(yaml.ScalarNode, event, event.value),
                        event.value,
                        _mark(event.start_mark),
                        _mark(event.end_mark),
                        style=event.style,
                    )
                )
            elif isinstance(event, CollectionStartEvent):
                if len(self.stack) >= MAX_GRAPH_DEPTH:
                    raise self.error(
                        f"nested more than {MAX_GRAPH_DEPTH} levels deep; a dependency graph "
                        "needs four (top level, repositories, attributes, depends_on)",
                        event,
                    )
                self.stack.append((event, []))
            elif isinstance(event, CollectionEndEvent):
                self._add(self._close(event))
        return self.root

    def _add(self, node: yaml.Node) -> None:
        if self.stack:
            self.stack[-1][1].append(node)
        else:
            self.root = node

    def _close(self, end: CollectionEndEvent) -> yaml.Node:
        start, children = self.stack.pop()
        marks = _mark(start.start_mark), _mark(end.end_mark)
        style = start.flow_style
        if isinstance(start, MappingStartEvent):
            pairs = list(zip(children[::2], children[1::2], strict=True))
            tag = self.tag(yaml.MappingNode, start, None)
            return yaml.MappingNode(tag, pairs, *marks, flow_style=style)
        tag = self.tag(yaml.SequenceNode, start, None)
        return yaml.SequenceNode(tag, children, *marks, flow_style=style)


def _mark(mark: object) -> yaml.error.Mark:
    """An event's mark, typed as the nodes want it: both parsers always set one, and
    libyaml's has the same `line` and `column` as PyYAML's."""
    return cast(yaml.error.Mark, mark)
