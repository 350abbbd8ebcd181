"""Help pages that never split a word: the command classes `ccat.cli` builds its app with.

Click wraps help text with `textwrap`, which breaks lines after a hyphen: the default of
`--graph` came out as `ci/dependency-` / `graph.yml`, a path nobody can copy. Here every
hyphen inside a word is swapped for a non-breaking hyphen (U+2011, one column wide like
`-`) before click wraps, and swapped back once the page is written, so lines break at
spaces only. Only what click imports anyway is imported here (start-up time).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

_NON_BREAKING_HYPHEN = "\u2011"
_HYPHEN_IN_WORD = re.compile(r"(?<=\S)-(?=\w)")

# Click's help formatter, the one typer's Context makes. Typer vendors click and exports
# no name for the class (nor for click's Context and Command), so it is reached through
# `Context.formatter_class`, the attribute click documents for a formatter of one's own;
# to mypy it is Any.
_ClickHelpFormatter: Any = typer.Context.formatter_class


def _unbreakable(text: str) -> str:
    return _HYPHEN_IN_WORD.sub(_NON_BREAKING_HYPHEN, text)


class UnhyphenatedHelpFormatter(_ClickHelpFormatter):  # type: ignore[misc]  # its base is Any
    """Click's help formatter, wrapping at spaces only (never after a hyphen)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        """The usage line, wrapped at spaces."""
        super().write_usage(prog, _unbreakable(args), prefix)

    def write_text(self, text: str) -> None:
        """A paragraph, wrapped at spaces."""
        super().write_text(_unbreakable(text))

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """The options and commands lists, their help wrapped at spaces."""
        protected = [(_unbreakable(term), _unbreakable(text)) for term, text in rows]
        super().write_dl(protected, col_max, col_spacing)

    def getvalue(self) -> str:
        """The page, with every hyphen as the reader types it."""
        page: str = super().getvalue()
        return page.replace(_NON_BREAKING_HYPHEN, "-")


class HelpContext(typer.Context):
    """A click context whose help pages use `UnhyphenatedHelpFormatter`."""

    formatter_class = UnhyphenatedHelpFormatter


class HelpCommand(TyperCommand):
    """A typer command with `HelpContext`."""

    context_class = HelpContext


class HelpGroup(TyperGroup):
    """A typer group with `HelpContext`; an unknown command that one of its groups has
    (`ccat status`) is suggested with that group's name (`ccat pat status`)."""

    context_class = HelpContext

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        """The command `args` name; for a command of a subgroup, a usage error naming it.
        (`ctx` and the command are click's, which typer does not name: see above.)"""
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib  # only on this error path (start-up time)

            own = self.list_commands(ctx)
            for group_name in own:
                group = self.get_command(ctx, group_name)
                if not isinstance(group, TyperGroup):
                    continue
                theirs = group.list_commands(ctx)
                close = difflib.get_close_matches(name, theirs, n=1, cutoff=0.75)
                if close and not difflib.get_close_matches(name, own, n=1, cutoff=0.6):
                    ctx.fail(
                        f"No such command {name!r}. Did you mean "
                        f"'{ctx.command_path} {group_name} {close[0]}'?"
                    )
        return super().resolve_command(ctx, args)
