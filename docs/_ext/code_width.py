"""Warn about a code block line wider than 79 columns.

Operators copy these commands into an 80-column terminal during an incident, and read
the sample screens next to their own: a wider line wraps or scrolls. The build treats
warnings as errors, so the check keeps every page honest. A file included whole with
`literalinclude` is shown as it is in the repository and is not checked.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

MAX_COLUMNS = 79

logger = logging.getLogger(__name__)


def _included(block: nodes.literal_block) -> bool:
    """Whether the block's text comes from a file (`literalinclude`), not the page."""
    source = block.get("source")
    return bool(source) and source != block.source


def check_code_width(app: Sphinx, doctree: nodes.document) -> None:
    """Warn once per code block line longer than `MAX_COLUMNS`."""
    for block in doctree.findall(nodes.literal_block):
        if _included(block):
            continue
        for offset, line in enumerate(block.astext().splitlines()):
            if len(line) > MAX_COLUMNS:
                logger.warning(
                    "code block line %d is %d columns wide (at most %d): %s",
                    offset + 1,
                    len(line),
                    MAX_COLUMNS,
                    line,
                    location=block,
                    type="ccat",
                    subtype="code-width",
                )


def setup(app: Sphinx) -> dict[str, Any]:
    """Run the check on every page as it is read."""
    app.connect("doctree-read", check_code_width)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
