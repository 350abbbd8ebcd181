"""The questions a command asks, on the terminal itself.

A rotation writes nothing without a yes (SPEC §12): the plan and `[y/N]` go to the
controlling terminal and the answer is read from it, so that a token piped on standard
input (`pass show ci/gh-pat | ccat pat rotate`) does not answer for the operator, and
the question is seen even when standard error goes to a file. The answered line stays
on the screen (the terminal echoes the answer and the new line).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TextIO

from rich.console import Console, RenderableType
from rich.text import Text

YES = ("y", "yes")
NO = ("", "n", "no")


def terminal_console(tty: TextIO) -> Console:
    """A console drawing on `tty` at its own width (COLUMNS, when set, wins)."""
    width: int | None = None
    if not os.environ.get("COLUMNS"):
        try:
            width = os.get_terminal_size(tty.fileno()).columns
        except (OSError, ValueError):
            width = None
    return Console(file=tty, width=width, highlight=False, force_terminal=True)


def confirm(tty: TextIO, shown_first: Iterable[RenderableType], question: str) -> bool | None:
    """Show `shown_first`, ask `question [y/N]: ` on `tty` and read the answer there.

    True for y/yes, False for n/no or an empty answer (the default), None at the end of
    input (Ctrl-D); anything else is asked again.
    """
    console = terminal_console(tty)
    for renderable in shown_first:
        console.print(renderable)
    while True:
        console.print(Text(f"{question} [y/N]: "), end="")
        tty.flush()
        line = tty.readline()
        if not line:  # Ctrl-D: the cursor is still after the question
            tty.write("\n")
            tty.flush()
            return None
        answer = line.strip().lower()
        if answer in YES:
            return True
        if answer in NO:
            return False
        console.print("Please answer y or n.")


def end_line(tty: TextIO | None) -> None:
    """End the line a prompt left open (after Ctrl-C there), so that what follows starts
    on a line of its own."""
    if tty is None:
        return
    try:
        tty.write("\n")
        tty.flush()
    except (OSError, ValueError):  # the terminal went away: nobody to tidy up for
        pass
