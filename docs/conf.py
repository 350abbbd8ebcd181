"""Sphinx configuration of the ccat documentation site.

Build it from the repository root (CI treats every warning as an error):

    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import sys
from pathlib import Path

from ccat import __version__

# `_ext` holds this site's own extensions: the generated CLI reference and the check
# that keeps code blocks readable in an 80-column terminal.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "ccat"
author = "CCAT Observatory"
copyright = "CCAT Observatory"
release = __version__
version = __version__

extensions = [
    "cli_reference",
    "code_width",
]

root_doc = "index"
exclude_patterns = ["_build", "_ext"]
# Single backquotes are literals, as in Markdown and in the CLI's help text.
default_role = "literal"
highlight_language = "none"
# No typographic quotes or dashes: the CLI reference quotes help text, where
# `--concurrency` must stay two hyphens and `'…'` straight quotes, as typed.
smartquotes = False

html_theme = "furo"
html_title = f"ccat {release}"
