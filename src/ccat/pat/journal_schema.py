"""Validation of a journal document read from disk: shape, types, and clear errors.

A damaged journal must be refused with a message that names the exact field (e.g.
`journal.current.targets[0].http_status`) and says what to do, never read as empty.
The spec below mirrors SPEC §5; unknown keys are tolerated, as later versions may add
fields.
"""

from __future__ import annotations

import json
from typing import Literal

from ccat.pat.errors import JournalError

TargetState = Literal["pending", "updated", "failed"]
RunState = Literal["running", "stopped", "completed"]
TARGET_STATES: tuple[TargetState, ...] = ("pending", "updated", "failed")
RUN_STATES: tuple[RunState, ...] = ("running", "stopped", "completed")


def invalid(path: str, detail: str) -> JournalError:
    return JournalError(
        f"journal {path} is damaged: {detail}. It was left untouched: inspect it, then move it "
        f"aside (mv {path} {path}.broken) to start a new journal."
    )


class _Nullable:
    """Validation spec wrapper: the value may also be null."""

    def __init__(self, spec: object) -> None:
        self.spec = spec


_HEX = object()  # validation spec: a non-empty string of hex digits
_OPT_STR, _OPT_INT = _Nullable(str), _Nullable(int)
TARGET_SPEC = {
    "repository": str,
    "state": TARGET_STATES,
    "started_at": _OPT_STR,
    "finished_at": _OPT_STR,
    "http_status": _OPT_INT,
    "error": _OPT_STR,
}
RUN_SPEC = {
    "run_id": str,
    "secret": str,
    "org": str,
    "api_url": str,
    "graph": {"path": str, "sha256": str},
    "state": RUN_STATES,
    "started_at": str,
    "finished_at": _OPT_STR,
    "operator": _OPT_STR,
    "token": {
        "fingerprint": {"salt": _HEX, "sha256": _HEX},
        "login": _OPT_STR,
        "expires_at": _OPT_STR,
    },
    "targets": [TARGET_SPEC],
}
DOCUMENT_SPEC = {"schema": int, "current": _Nullable(RUN_SPEC), "history": [RUN_SPEC]}


def check(value: object, spec: object, where: str, path: str, *, or_null: bool = False) -> None:
    """Raise a `JournalError` naming the first field of `value` that does not fit `spec`."""
    if isinstance(spec, _Nullable):
        if value is not None:
            check(value, spec.spec, where, path, or_null=True)
        return
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            raise invalid(path, f"{where} should be an object, found {kind(value)}")
        for key, sub in spec.items():
            if key not in value:
                raise invalid(path, f"{where}.{key} is missing")
            check(value[key], sub, f"{where}.{key}", path)
        return  # unknown keys are tolerated: later versions may add fields (SPEC §5)
    if isinstance(spec, list):
        if not isinstance(value, list):
            raise invalid(path, f"{where} should be a list, found {kind(value)}")
        for index, item in enumerate(value):
            check(item, spec[0], f"{where}[{index}]", path)
        return
    if isinstance(spec, tuple):
        if value not in spec:
            raise invalid(path, f"{where} should be one of {', '.join(spec)}, found {kind(value)}")
        return
    if spec is _HEX:
        ok = isinstance(value, str) and value != "" and _is_hex(value)
        expected = "hex digits"
    else:
        assert isinstance(spec, type)
        # bool is a subclass of int, but `true` is no HTTP status.
        ok = isinstance(value, spec) and not isinstance(value, bool)
        expected = "an integer" if spec is int else "a string"
    if not ok:
        expected += " or null" if or_null else ""
        raise invalid(path, f"{where} should be {expected}, found {kind(value)}")


def _is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def kind(value: object) -> str:
    """Describe a JSON value briefly for an error message."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
