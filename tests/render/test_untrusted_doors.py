"""The doors out of `ccat.render.text` (STYLE habit 13) for any text a server or a file
may send (issue 14, defect 1), each checked by the reader of its medium: the Actions
runner's own parsing for the terminal, JSON and workflow-command doors, GitHub's own
Markdown parser for the Markdown door; and `CommandShapes`, the last line of defence on
the streams.
"""

from __future__ import annotations

import io
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.markup import render as render_markup

from ccat.commands.workflow_log import CommandShapes, GuardedStream
from ccat.pat.untrusted import defuse
from ccat.render.text import command_data, command_property, json_text, markdown, screen, shown
from tests.support.actions_runner import Runner, command_shapes, parse_v2
from tests.support.github_markdown import render
from tests.support.untrusted_text import PIECES, hostile

DOORS = settings(max_examples=600)
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# What GitHub may make of Markdown that only says what it was given: paragraphs, lists,
# tables, code spans, and our own bold titles and heading.
BACKSLASHES = re.compile(r"\\(?=[:#\[])")
PLAIN_TAGS = {"p", "ul", "li", "code", "table", "thead", "tbody", "tr", "th", "td", "strong"}


@DOORS
@given(hostile)
def test_the_terminal_door_leaves_no_command_wherever_a_line_is_cut(text: str) -> None:
    out = screen(text)
    assert RAW_CONTROL.search(out) is None
    # No `::` and no `##[` at all: a cut or a wrap at any point cannot start a command.
    assert "::" not in out and "##[" not in out
    for cut in range(len(out)):
        assert parse_v2("  " + out[cut:], {"add-mask", "error", "stop-commands"}) is None
    # The markup door shows the same once rich has read the markup it is put in, as the
    # commands' consoles do, without emoji codes.
    assert render_markup(f"[bold]{shown(text)}[/]", emoji=False).plain == out


@DOORS
@given(hostile)
def test_defuse_changes_only_command_shapes_and_is_idempotent(text: str) -> None:
    once = defuse(text)
    assert defuse(once) == once
    if "::" not in text and "##[" not in text:
        assert once == text
    # It only ever adds backslashes before `:` and `#`: nothing is lost.
    assert BACKSLASHES.sub("", once) == BACKSLASHES.sub("", text)


@DOORS
@given(st.dictionaries(hostile, st.one_of(hostile, st.lists(hostile, max_size=3)), max_size=4))
def test_the_json_door_reads_back_the_same_values_and_carries_no_command(
    document: dict[str, object],
) -> None:
    text = json_text(document)
    assert json.loads(text) == document  # `\u0023` and the other escapes read back
    assert "##[" not in text
    assert RAW_CONTROL.search(text.replace("\n", " ")) is None
    assert command_shapes(text) == []


@DOORS
@given(hostile, hostile)
def test_the_workflow_command_door_carries_the_text_and_no_command(
    title: str, message: str
) -> None:
    line = f"::error title={command_property(title)}::{command_data(message)}"
    runner = Runner()
    (command,) = runner.read(line)
    assert command.name == "error"
    assert command.data == screen(message)  # what the runner shows: the text, defused
    # The runner trims the properties, and drops one left empty.
    shown_title = screen(title).rstrip()
    assert command.properties == ({"title": shown_title} if shown_title else {})
    assert "::" not in command.data and "##[" not in command.data


@DOORS
@given(hostile)
def test_the_markdown_door_shows_the_text_and_nothing_else(text: str) -> None:
    # In a paragraph after our own words, and in a list item as the footer writes it.
    for source in (f"said: {markdown(text)}", f"- **title**: {markdown(text)} (2 repositories)"):
        page = render(source)
        assert set(page.tags) <= PLAIN_TAGS, (source, page.tags)
        expected = screen(text)
        if markdown(text) != expected:  # a code span, shown literally
            assert page.code == [expected], (source, page.code)
        else:  # a plain name: the same text, no element of its own
            assert expected in page.text
        assert "::" not in source and "##[" not in source


@DOORS
@given(hostile)
def test_the_markdown_door_keeps_a_table_cell_whole(text: str) -> None:
    source = f"| a | b |\n|---|---|\n| {markdown(text, cell=True)} | after |\n"
    page = render(source)
    assert set(page.tags) <= PLAIN_TAGS, page.tags
    assert page.tags.count("td") == 2  # the text did not end its cell
    assert page.text.rstrip().endswith("after")
    if markdown(text, cell=True) != screen(text):
        assert page.code == [screen(text)]


@DOORS
@given(st.lists(st.one_of(st.sampled_from(PIECES), hostile), min_size=1, max_size=20))
def test_the_stream_guard_leaves_no_command_however_the_text_is_written(
    pieces: list[str],
) -> None:
    shapes = CommandShapes()
    written = "".join(shapes.feed(piece) for piece in pieces)
    assert command_shapes(written) == []
    assert Runner().read(written) == []
    # It only ever adds backslashes before `:` and `[`: nothing is lost.
    assert BACKSLASHES.sub("", written) == BACKSLASHES.sub("", "".join(pieces))


@DOORS
@given(st.text(alphabet=st.characters(blacklist_characters=":#")), hostile)
def test_the_stream_guard_passes_other_text_and_our_commands_unchanged(
    plain: str, message: str
) -> None:
    target = io.StringIO()
    stream = GuardedStream(target)
    stream.write(plain)
    ours = f"::warning title=GH_PAT::{command_data(message)}"
    stream.write_command(ours)
    stream.write(plain)
    # Our command on a line of its own: a line end is added only when one is needed.
    apart = "" if plain == "" or plain.endswith(("\n", "\r")) else "\n"
    assert target.getvalue() == plain + apart + ours + "\n" + plain
    (command,) = Runner().read(target.getvalue())
    assert command.line == ours
