"""Helpers every formatter uses: untrusted text made safe for rich markup."""

from __future__ import annotations

from rich.markup import escape

from ccat.pat.untrusted import clean

NONE = "—"


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
