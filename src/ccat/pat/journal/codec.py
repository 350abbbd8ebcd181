"""Reading and writing the journal's bytes, with clear messages for damaged ones.

`decode_document` reads a journal file strictly into the model of `journal_model`; a
damaged document is a `JournalError` naming the exact field, e.g.
`journal.current.targets[0].http_status should be an integer or null, found "204"`, and
an unknown schema version is refused before its shape is read. `encode_document`
writes the model back (indented: the file is read by people with `less` and `jq`).
"""

from __future__ import annotations

import re
import shlex
import types
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

import msgspec

from ccat.pat.errors import JournalError
from ccat.pat.journal.model import SCHEMA, JournalDocument

_R = TypeVar("_R", bound=msgspec.Struct)


class _Head(msgspec.Struct):
    """Just the version, read before the shape: a newer ccat's journal deserves the
    "unknown schema" message, not a complaint about some field."""

    schema: Any = None


_HEAD_DECODER = msgspec.json.Decoder(_Head)
_ENCODER = msgspec.json.Encoder()


def encode_document(document: JournalDocument, *, indent: int = 2) -> bytes:
    """The document as the journal file holds it: UTF-8 JSON, `indent` spaces (0:
    compact), and a final newline."""
    data = _ENCODER.encode(document)
    if indent:
        # Indented for people reading it with `less`: about 0.8 ms more per whole save of
        # a 1,000-target document (412 KiB instead of 251), and whole saves are rare.
        data = msgspec.json.format(data, indent=indent)
    return data + b"\n"


def encode_line(record: msgspec.Struct) -> bytes:
    """`record` as one line of compact JSON, newline included (for the update log)."""
    return _ENCODER.encode(record) + b"\n"


def decode_document(raw: bytes, *, path: str) -> JournalDocument:
    """Read a journal file's bytes strictly; anything else is a `JournalError` naming
    `path` and, for a wrong shape, the field."""
    if not raw.strip():
        # Saves are atomic, so an empty journal was damaged by something else.
        raise damaged(path, "the file is empty")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise damaged(path, "not valid JSON (not UTF-8)") from None
    try:
        head = _HEAD_DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        found = _found(raw, [], str(exc))
        raise damaged(path, f"the top level should be an object, found {found}") from None
    except msgspec.DecodeError as exc:
        raise damaged(path, f"not valid JSON ({_syntax(raw, str(exc))})") from None
    except RecursionError:
        raise damaged(path, "not a journal (JSON nested too deeply)") from None
    if head.schema != SCHEMA or isinstance(head.schema, bool):
        where = shlex.quote(path)
        raise JournalError(
            f"journal {path} has schema version {_kind(head.schema)}; this ccat reads "
            f"version {SCHEMA}. It was left untouched: use the ccat that wrote it, or move "
            f"it aside (mv {where} {where}.old) to start a new journal."
        )
    try:
        return decode_strict(raw, JournalDocument, root="journal")
    except InvalidRecord as exc:
        raise damaged(path, str(exc)) from None


class InvalidRecord(ValueError):
    """Bytes that do not hold the expected record; the message names the field."""


def decode_strict(raw: bytes, kind: type[_R], *, root: str, fields: str | None = None) -> _R:
    """Decode the JSON text `raw` into `kind` strictly (`true` is no integer, unknown keys
    are ignored); `InvalidRecord` says what is wrong, with `root` naming the value.

    A field is named `root.a.b[0]`, or with `fields` given, `fields` then `a.b[0]` (for
    `root="line 4"`, `fields="line 4: "`: `line 4: target.state should be ...`)."""
    try:
        return msgspec.json.decode(raw, type=kind, strict=True)
    except msgspec.ValidationError as exc:
        raise InvalidRecord(_translate(raw, str(exc), root, kind, fields)) from None
    except msgspec.DecodeError as exc:
        raise InvalidRecord(f"{root} is not valid JSON ({_syntax(raw, str(exc))})") from None
    except (RecursionError, UnicodeDecodeError):
        raise InvalidRecord(f"{root} is not valid JSON (not UTF-8, or nested too deeply)") from None


def damaged(path: str, detail: str) -> JournalError:
    """The error for a damaged journal file at `path`: it is left as it is, and the hint
    says how to move it out of the way."""
    moved = shlex.quote(path)
    return JournalError(
        f"journal {path} is damaged: {detail}. It was left untouched: inspect it, then move "
        f"it aside (mv {moved} {moved}.broken) to start a new journal."
    )


# --- error messages ------------------------------------------------------------------

_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_SEGMENT = re.compile(r"\.(\w+)|\[(\d+)\]")
_MISSING = re.compile(r"^Object missing required field `(?P<field>\w+)`$")
_GOT = re.compile(r"got `(?P<type>\w+)`")
_UNIONS = (Union, types.UnionType)
_TYPE_WORDS = {
    "array": "a list",
    "object": "an object",
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "null": "null",
}


def _translate(
    raw: bytes, message: str, root: str, model: type[msgspec.Struct], fields: str | None
) -> str:
    """Turn msgspec's `Expected `int | null`, got `str` - at `$.a[0].b`` into our words."""
    match = _AT.match(message)
    assert match is not None  # the pattern matches any text
    text, location = match["message"], match["path"] or ""
    segments: list[str | int] = [
        name if name else int(index) for name, index in _SEGMENT.findall(location)
    ]

    def named(path: str) -> str:
        if fields is None or not path:
            return root + path
        return fields + path.removeprefix(".")

    where = named(location)
    missing = _MISSING.match(text)
    if missing:
        return f"{named(location + '.' + missing['field'])} is missing"
    if text.startswith("targets["):  # from _refuse_repeated_targets
        return named(location + "." + text)
    found = _found(raw, segments, text)
    expected = _expected(_type_at(model, segments))
    return f"{where} should be {expected}, found {found}"


def _type_at(model: type[msgspec.Struct], segments: list[str | int]) -> Any:
    """The model's declared type of the value at `segments` (field names, list indices)."""
    annotation: Any = model
    for segment in segments:
        annotation = _without_null(annotation)
        if isinstance(segment, int):
            annotation = get_args(annotation)[0]
        else:
            annotation = get_type_hints(annotation, include_extras=True)[segment]
    return annotation


def _without_null(annotation: Any) -> Any:
    if get_origin(annotation) in _UNIONS:
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def _expected(annotation: Any) -> str:
    """Words for what a value of type `annotation` looks like in JSON."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in _UNIONS:
        options = [_expected(arg) for arg in args if arg is not type(None)]
        return " or ".join(options) + (" or null" if type(None) in args else "")
    if origin is Literal:
        return "one of " + ", ".join(str(arg) for arg in args)
    if origin is Annotated:
        return "hex digits" if args[0] is str else _expected(args[0])
    if origin is list:
        return "a list"
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return "an object"
    return {str: "a string", int: "an integer"}.get(annotation, str(annotation))


def _found(raw: bytes, segments: list[str | int], message: str) -> str:
    """Describe the value at `segments` of the JSON text `raw` (only on the error path)."""
    try:
        value: Any = msgspec.json.decode(raw)
        for segment in segments:
            value = value[segment]
    except (msgspec.DecodeError, RecursionError, LookupError, TypeError):
        got = _GOT.search(message)
        return _TYPE_WORDS.get(got["type"], "something else") if got else "something else"
    return _kind(value)


def _kind(value: object) -> str:
    """Describe a JSON value briefly for an error message."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = msgspec.json.encode(value).decode("utf-8")
    return text if len(text) <= 40 else text[:37] + "..."


def _syntax(raw: bytes, message: str) -> str:
    """msgspec's syntax error with the line and column instead of the byte offset."""
    message = message.removeprefix("JSON is malformed: ")
    message = message[:1].lower() + message[1:]
    offset = re.search(r" \(byte (\d+)\)$", message)
    if offset is None:
        return message
    position = int(offset[1])
    line = raw.count(b"\n", 0, position) + 1
    column = position - (raw.rfind(b"\n", 0, position) + 1) + 1
    return f"{message[: offset.start()]} at line {line}, column {column}"
