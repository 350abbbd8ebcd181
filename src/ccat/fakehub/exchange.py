"""What passes between the server, the router and the endpoints: a parsed request, the
answer to it, and a routed call as an endpoint handler sees it. Nothing here does I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ccat.fakehub.faults import RateVerdict
from ccat.fakehub.repository import Repository
from ccat.fakehub.state import HubState
from ccat.fakehub.tokens import Grant


@dataclass(frozen=True)
class Request:
    """A parsed request: method, path without query nor `/api/v3` prefix, query, headers."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    prefix: str = ""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer before serialisation.

    `body` is a JSON document (None: no body) unless `raw` gives the body's bytes, which
    are then sent `repeat` times. `headers` (lower-case names) replace the server's own
    of the same name; with `github_headers` False the server adds none of GitHub's.
    """

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    repeat: int = 1
    github_headers: bool = True


@dataclass(frozen=True)
class Call:
    """A request routed to an endpoint, authenticated and allowed.

    `repository` is set for repository endpoints (it exists and the token sees it),
    `params` holds the path's named parts, URL-decoded.
    """

    request: Request
    grant: Grant
    user_id: int
    params: Mapping[str, str]
    state: HubState
    verdict: RateVerdict
    repository: Repository | None = None

    @property
    def repo(self) -> Repository:
        """The repository of a repository endpoint."""
        if self.repository is None:
            raise LookupError("not a repository endpoint")
        return self.repository
