"""Why a rotation was refused before any write (a `PreflightError`): one line per cause,
then each distinct hint once. Apart from the rotation's other screens, so that the
function every command ends an error with (`Terminal.fail`) loads no engine."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ccat.pat.errors import PreflightError, PreflightFailure
from ccat.render.causes import Cause, group, names
from ccat.render.status_layout import wrap
from ccat.render.text import Fitted, plural, screen, shown


def preflight_failure_lines(error: PreflightError) -> list[RenderableType]:
    """One short line per failed check — one per cause when several repositories failed
    alike, `reason — 9 repositories:` and their names below — then each distinct hint
    once.

    Hints that differ only by the repository they name (`… can see ccatobs/a`) are one
    cause: said once, for `each of them`."""
    lines: list[RenderableType] = []
    for cause in group((f.subject, f.reason) for f in error.failures):
        if len(cause.subjects) == 1:
            lines.append(f"  [red]✗[/] {shown(cause.subjects[0])}: {shown(cause.text)}")
        else:
            lines.append(_failed_alike(cause))
    hints: dict[str, list[PreflightFailure]] = {}
    for failure in error.failures:
        if failure.hint:
            hint = failure.hint.replace(failure.subject, _THEM)
            hints.setdefault(hint, []).append(failure)
    for hint, failures in hints.items():
        if len(failures) == 1:
            lines.append(f"[dim]hint:[/] {shown(failures[0].hint)}")
        else:
            shared = hint.replace(_THEM, "each of them")
            count = plural(len(failures), "repository", "repositories")
            lines.append(f"[dim]hint ({count}):[/] {shown(shared)}")
    return lines


def _failed_alike(cause: Cause) -> Fitted:
    """`  ✗ reason — 9 repositories:` then the names, wrapped to the width they are drawn
    at (names broken only between two of them); for subjects that are not repositories
    (the two tokens), `  ✗ a, b: reason`."""
    if not all("/" in subject for subject in cause.subjects):
        # Both tokens: `the operator credential, the new token: GET /user: …`.
        head, listed = screen(f"✗ {', '.join(cause.subjects)}: {cause.text}"), ""
    else:
        head = screen(f"✗ {cause.text} — {cause.count}:")
        listed = screen(names(cause.subjects))

    def build(width: int) -> Text:
        lines = wrap(head, width, indent=2, hang=2)
        if listed:
            lines += wrap(listed, width, indent=6, hang=0, markdown=True)
        text = Text("\n".join(lines))
        text.stylize("red", 2, 3)
        return text

    return Fitted(build)


_THEM = "\0"
