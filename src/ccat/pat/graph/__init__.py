"""The dependency graph: `ci/dependency-graph.yml` read as if hostile (`file`: regular
files only, size and depth capped, no aliases) and turned into the ordered targets of
SPEC §2.1 (`targets`: `system-integration` first, then every name in order of first
appearance). A configuration error names the file and line; no request is sent."""

from ccat.pat.graph.targets import Graph, load_graph

__all__ = [
    "Graph",
    "load_graph",
]
