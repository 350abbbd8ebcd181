"""GitHub's OpenAPI description of the secrets endpoints, and checks of answers and requests.

`tests/data/github-openapi/secrets-subset.json` is an unchanged extract of GitHub's own
description (provenance in the README beside it). It lists, for most operations, only
the success answers, although GitHub documents elsewhere ("Troubleshooting the REST
API", "Rate limits for the REST API") that every endpoint may answer 401 (credential
missing or rejected), 403 (forbidden, or a rate limit), 404 (not found or not visible),
429 (a rate limit), and that a request body may be refused with 400 or 422; every such
answer carries GitHub's `basic-error` document. GitHub also answers a conditional GET
("Best practices for using the REST API": `If-None-Match` with a current ETag) with 304
and no body on every endpoint. `Contract` validates an answer against
the operation's own response when the description has one, and otherwise against
`basic-error`, recording which of the two it was so a report can say so.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

DESCRIPTION = Path(__file__).parents[1] / "data" / "github-openapi" / "secrets-subset.json"
# `GET /orgs/{org}/repos`, extracted the same way from the same package version (the
# shared subset lacks it; status reads it for an organisation secret of visibility
# `private`): merged into the subset when loaded.
ORG_REPOSITORIES = DESCRIPTION.with_name("org-repositories.json")
# Operations of the description the emulator does not serve: the organisation's
# Dependabot secrets (ccat reads only the Actions organisation secret, SPEC §10).
NOT_SERVED = frozenset(
    {
        "dependabot/list-org-secrets",
        "dependabot/get-org-secret",
        "dependabot/list-selected-repos-for-org-secret",
    }
)


def load_description(path: Path = DESCRIPTION) -> dict[str, Any]:
    """The subset with the extract of `GET /orgs/{org}/repos` merged in."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    extra = json.loads(ORG_REPOSITORIES.read_text(encoding="utf-8"))
    document["paths"].update(extra["paths"])
    for kind, items in extra["components"].items():
        for name, item in items.items():
            known = document["components"].setdefault(kind, {}).setdefault(name, item)
            assert known == item, f"{kind}/{name} differs between the two extracts"
    return document


SERVER = "https://api.github.com"
JSON = "application/json; charset=utf-8"
RATE_LIMIT_HEADERS = ("limit", "remaining", "reset", "used")

# Answers GitHub gives on every endpoint though the extract does not list them.
GENERAL_ERRORS = (401, 403, 404, 429)
# Answers GitHub gives to a request body it refuses (only operations with a body).
BODY_ERRORS = (400, 422)
# The answer to a conditional GET whose ETag is still current (only GET operations).
CONDITIONAL = (304,)
# The other secret stores of SPEC §10 (issue 17): described, not emulated yet.


@dataclass(frozen=True)
class Operation:
    """One operation of the description: method, path template and operationId."""

    method: str
    template: str
    operation_id: str
    documented: frozenset[int]
    pattern: re.Pattern[str]

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path (no query) is this operation."""
        return method.lower() == self.method and self.pattern.fullmatch(path) is not None


@dataclass(frozen=True)
class Checked:
    """What a validated answer was: its operation, status, and whether the description
    lists that status for the operation (else it was checked against `basic-error`)."""

    operation_id: str
    status: int
    documented: bool


def _operations(document: Mapping[str, Any]) -> list[Operation]:
    operations = []
    for template, item in document["paths"].items():
        # A literal segment must win over a parameter: `.../secrets/public-key` is not
        # `.../secrets/{secret_name}`, so literal templates are tried first.
        regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        for method, operation in item.items():
            if method == "parameters":
                continue
            operations.append(
                Operation(
                    method=method,
                    template=template,
                    operation_id=operation["operationId"],
                    documented=frozenset(int(s) for s in operation["responses"]),
                    pattern=re.compile(regex),
                )
            )
    operations.sort(key=lambda o: o.template.count("{"))
    return operations


def _with_general_errors(document: dict[str, Any]) -> dict[str, Any]:
    """The description with GitHub's general error answers added where it omits them."""
    extended = copy.deepcopy(document)
    error = {
        "description": "GitHub's general error answer (added: the extract omits it)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/basic-error"}}},
    }
    not_modified = {"description": "Not modified (added: GitHub answers conditional GETs)"}
    for item in extended["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            extra = GENERAL_ERRORS + (BODY_ERRORS if "requestBody" in operation else ())
            for status in extra:
                operation["responses"].setdefault(str(status), copy.deepcopy(error))
            if method == "get":
                for status in CONDITIONAL:
                    operation["responses"].setdefault(str(status), copy.deepcopy(not_modified))
    return extended


class Contract:
    """Validates emulator answers and client requests against GitHub's description."""

    def __init__(self, path: Path = DESCRIPTION) -> None:
        document = load_description(path)
        self.operations = _operations(document)
        self.openapi = OpenAPI.from_dict(_with_general_errors(document))

    def operation(self, method: str, path: str) -> Operation:
        """The operation a request is, or AssertionError when the description has none."""
        for operation in self.operations:
            if operation.matches(method, path):
                return operation
        raise AssertionError(f"{method} {path} is no operation of GitHub's description")

    def check_answer(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Checked:
        """Fail unless GitHub's description allows this answer to this request.

        Checks the status (allowed for the operation), the `Content-Type` (JSON with a
        body, absent without one), the body against the schema, the declared headers
        against theirs, and the `x-ratelimit-*` headers GitHub sends on every answer.
        """
        operation = self.operation(method, path)
        lowered = {name.lower(): value for name, value in headers.items()}
        content_type = lowered.get("content-type")
        if status in (204, 304):
            assert body == b"", f"{operation.operation_id} {status} has a body"
            assert content_type is None, f"{operation.operation_id} {status}: {content_type}"
        else:
            assert content_type == JSON, f"{operation.operation_id} {status}: {content_type}"
        for name in RATE_LIMIT_HEADERS:
            value = lowered.get(f"x-ratelimit-{name}")
            assert value is not None and value.isdigit(), f"x-ratelimit-{name}: {value!r}"
        request = MockRequest(SERVER, method.lower(), path, args=dict(query))
        answer = MockResponse(body, status, dict(headers), content_type or JSON)
        self.openapi.validate_response(request, answer)
        return Checked(operation.operation_id, status, status in operation.documented)

    def check_request(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        json_body: Any,
    ) -> str:
        """Fail unless the description accepts this request; returns its operationId.

        Path parameters, query parameters and the JSON body (required fields, types,
        patterns such as base64 for `encrypted_value`) are validated by openapi-core.
        """
        operation = self.operation(method, path)
        lowered = {name.lower(): value for name, value in headers.items()}
        data = None if json_body is None else json.dumps(json_body).encode("utf-8")
        content_type = lowered.get("content-type", "application/json").split(";")[0]
        request = MockRequest(
            SERVER,
            method.lower(),
            path,
            args=dict(query),
            headers=dict(headers),
            data=data,
            content_type=content_type,
        )
        self.openapi.validate_request(request)
        return operation.operation_id


@cache
def contract() -> Contract:
    """The one `Contract` of a test session (parsing the description takes a moment)."""
    return Contract()
