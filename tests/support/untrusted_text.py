"""Hostile text for the tests of issue 14, defect 1: what a server or an edited file may
put in a field, to be shown by the tool without acting on a terminal, a CI runner or a
Markdown renderer. Import with `from tests.support.untrusted_text import hostile`.

The pieces are the shapes of a workflow command in both forms (with the names the runner
knows, in any case, and `stop-commands`), the white space the runner trims before `::`,
line ends, the escapes of a workflow command's data, terminal controls, and what
Markdown or GitHub would turn into a link, an image, HTML, an entity, a mention or an
emoji; glued together and to arbitrary text, so that a wrap may fall anywhere.
"""

from __future__ import annotations

from hypothesis import strategies as st

PIECES = (
    "::",
    ":",
    "##[",
    "#",
    "[",
    "]",
    "::add-mask::",
    "::stop-commands::zzz",
    "##[stop-commands]zzz",
    "::zzz::",
    "##[zzz]",
    "::error::forged",
    "::ERROR title=GH_PAT missing::forged",
    "::warning file=a,line=1::forged",
    "##[set-output name=a]b",
    "::set-env name=A::b",
    "##[group]",
    "::endgroup::",
    " ",
    "   ",
    "\t",
    "\u00a0",
    "\u2003",
    "\u3000",
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\x85",
    "%",
    "%0A",
    "%25",
    ",",
    "`",
    "``",
    "|",
    "\\",
    "<b>bold</b>",
    "<img src=x>",
    "&amp;",
    "&#x41;",
    "https://evil.example/x",
    "www.evil.example",
    "a@b.example",
    "@octocat",
    "#12",
    "GH-12",
    ":smile:",
    "![x](https://evil.example/i.png)",
    "[link](https://evil.example)",
    "*",
    "_",
    "~~",
    "> ",
    "- ",
    "1. ",
    "# ",
    "===",
    "---",
    "\x1b[2J",
    "\x9b31m",
    "\u202e",
    "\x00",
)

hostile = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), min_size=1, max_size=12
).map("".join)


def as_header(text: str) -> str:
    """`text` as an HTTP header value can carry it (RFC 9110 field-value, as h11 reads
    it: tab, visible ASCII, space and obs-text, Latin-1); other characters dropped."""
    kept = "".join(c for c in text if c == "\t" or " " <= c <= "~" or "\x80" <= c <= "\xff")
    return kept.strip(" \t") or "::"


# The same, for an HTTP header value.
hostile_header = hostile.map(as_header)

# A repository name as the dependency graph allows it (a hostile one is refused).
repository_name = st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True).filter(
    lambda name: name not in (".", "..")
)
