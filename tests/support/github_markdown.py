"""Markdown as GitHub renders it (cmark-gfm, GitHub's own parser, with its table, autolink,
strikethrough and tag-filter extensions, raw HTML let through so that any is seen), read
back into its elements. Import with `from tests.support.github_markdown import render`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options


@dataclass
class Rendered:
    """The elements of rendered Markdown: every tag, in order, and the text of each code
    span; `text` is everything a reader sees, markup left out."""

    tags: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    text: str = ""


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = Rendered()
        self._code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.tags.append(tag)
        if tag == "code":
            self._code = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self._code is not None:
            self.found.code.append("".join(self._code))
            self._code = None

    def handle_data(self, data: str) -> None:
        self.found.text += data
        if self._code is not None:
            self._code.append(data)

    def handle_comment(self, data: str) -> None:
        self.found.tags.append("!--")


def render(markdown: str) -> Rendered:
    """`markdown` rendered as GitHub renders it, read back."""
    page = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    reader = _Reader()
    reader.feed(page)
    reader.close()
    return reader.found


def unescaped(text: str) -> str:
    """HTML entities in `text` decoded, as a browser shows them."""
    return html.unescape(text)
