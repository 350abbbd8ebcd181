"""The command-line reference, generated from the code the `ccat` command runs.

`command` is the `ccat` command tree as sphinx-click documents it
(`.. click:: cli_reference:command`). It is read from the typer app with
`typer.main.get_command(ccat.cli.app)`; this module lives under `docs/`, not in ccat,
so that nothing is added to the command line's start-up.

Recent typer versions build their commands on a private copy of click, which
sphinx-click does not recognise, so the tree is copied into plain click objects. Each
option is copied from its *help record*, the pair `--help` prints (the option with its
metavar, and the help text with its default and range): the reference shows exactly
what the terminal shows, whichever typer is installed.

The help text is written for the terminal, where typer renders it as Markdown; the
`setup` hook turns Markdown's `code` into a reStructuredText literal.
"""

from __future__ import annotations

import re
from typing import Any

import click
import typer.main
from sphinx.application import Sphinx

import ccat.cli

# In a help record, the option strings are joined by ", " and the metavar follows the
# last of them after one space: "-y, --yes", "--graph PATH", "--graph <path>".
_METAVAR = re.compile(r"^(?:\S+, )*\S+ (?P<metavar>.+)$")
# `code` in Markdown: one backquote on each side, not part of ``a literal``.
_MARKDOWN_CODE = re.compile(r"(?<![`\w])`([^`\n]+)`(?![`\w])")


def _terminal_text(text: str | None) -> str | None:
    """Help text as the terminal gets it: click stops at a form feed."""
    if text is None:
        return None
    return text.split("\f", 1)[0]


def _copy_parameter(parameter: Any, ctx: Any) -> click.Parameter | None:
    """One option or argument as a plain click parameter, from what `--help` prints."""
    if getattr(parameter, "param_type_name", "") == "argument":
        argument = click.Argument(
            [parameter.name], required=parameter.required, nargs=parameter.nargs
        )
        # sphinx-click prints an argument's help when it has one (typer's do).
        argument.help = getattr(parameter, "help", None)
        return argument
    record = parameter.get_help_record(ctx)
    if record is None:  # a hidden option: --help does not show it
        return None
    names, help_text = record
    metavar = None
    if not parameter.is_flag and not parameter.count:
        found = _METAVAR.match(names.split(" / ")[0])
        metavar = found.group("metavar") if found else None
    option = click.Option(
        [parameter.name, *parameter.opts],
        help=help_text or None,
        metavar=metavar,
        is_flag=bool(parameter.is_flag),
        count=bool(parameter.count),
        show_default=False,  # the help record already says the default, as --help does
    )
    option.secondary_opts = list(parameter.secondary_opts)
    return option


def _copy_command(source: Any, name: str, parent: Any = None) -> click.Command:
    """`source` (a typer or click command, and its subcommands) as plain click commands."""
    ctx = source.context_class(source, info_name=name, parent=parent)
    params = [_copy_parameter(parameter, ctx) for parameter in source.params]
    attributes: dict[str, Any] = {
        "name": name,
        "params": [parameter for parameter in params if parameter is not None],
        "help": _terminal_text(source.help),
        "epilog": _terminal_text(source.epilog),
        "short_help": source.short_help,
        "hidden": source.hidden,
    }
    subcommands = getattr(source, "commands", None)
    if subcommands is None:
        return click.Command(**attributes)
    group = click.Group(**attributes)
    for sub_name, subcommand in subcommands.items():
        group.add_command(_copy_command(subcommand, sub_name, ctx), sub_name)
    return group


command: click.Command = _copy_command(typer.main.get_command(ccat.cli.app), "ccat")


def _literal(match: re.Match[str]) -> str:
    return f"``{match.group(1)}``"


def _markdown_code_to_literals(app: Sphinx, ctx: click.Context, lines: list[str]) -> None:
    """Rewrite, in place, Markdown's `code` into a reStructuredText ``literal``."""
    lines[:] = [_MARKDOWN_CODE.sub(_literal, line) for line in lines]


def _examples_as_code(app: Sphinx, ctx: click.Context, lines: list[str]) -> None:
    """Rewrite, in place, an epilog's unwrapped block (`\\b` in click, a line block for
    sphinx-click) into a shell code block: in a line block `--` became a dash and quotes
    curled, so a copied example would not run."""
    block = [line[2:] for line in lines if line.startswith("| ")]
    if not block:
        return
    heading, examples = block[0], block[1:]
    indent = min((len(line) - len(line.lstrip()) for line in examples if line.strip()), default=0)
    rest = [line for line in lines if not line.startswith("| ")]
    lines[:] = [heading, "", ".. code-block:: shell", ""]
    lines += ["   " + line[indent:] for line in examples]
    lines += ["", *rest]


def setup(app: Sphinx) -> dict[str, Any]:
    """Load sphinx-click and filter every part it renders from help text."""
    app.setup_extension("sphinx_click")
    for event in (
        "sphinx-click-process-description",
        "sphinx-click-process-options",
        "sphinx-click-process-arguments",
        "sphinx-click-process-epilog",
    ):
        app.connect(event, _markdown_code_to_literals)
    app.connect("sphinx-click-process-epilog", _examples_as_code)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
