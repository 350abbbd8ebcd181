"""Helpers every formatter uses: untrusted text made safe for rich markup and for JSON."""

from __future__ import annotations

import json
import re

from rich.markup import escape

from ccat.pat.untrusted import clean

NONE = "—"
# What `json.dumps` leaves raw with ensure_ascii=False (it escapes only C0 controls): DEL,
# C1 (U+009B is a CSI to many terminals) and the controls that reorder or hide text.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def shown(text: str | None, limit: int | None = None) -> str:
    """`text` (from a server or a file) with control characters escaped and rich markup
    neutralised, ready to go inside a markup string; `None` shows as an em dash."""
    if text is None:
        return NONE
    return escape(clean(text, limit))


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 repository`, `2 repositories`."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural_form or noun + 's'}"


def json_text(document: object) -> str:
    """`document` as indented JSON for stdout: other text stays readable, every control
    character is a `\\uXXXX` escape, so that a value read from a server or a journal
    cannot act on a terminal (a JSON parser reads back the very same value)."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
