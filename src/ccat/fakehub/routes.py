"""GitHub's answer to one parsed request: authentication, rate limits, then the endpoint.

Nothing here touches a socket; `server.py` parses requests and writes the answers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from ccat.fakehub import documents
from ccat.fakehub.faults import RateLimiter, RateVerdict
from ccat.fakehub.records import StoredSecret
from ccat.fakehub.state import HubState, SecretRejected

_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"/"), "root"),
    (re.compile(r"/user"), "user"),
    (re.compile(r"/rate_limit"), "rate_limit"),
    (re.compile(_REPO), "repository"),
    (re.compile(_REPO + r"/actions/secrets"), "list_secrets"),
    (re.compile(_REPO + r"/actions/secrets/public-key"), "public_key"),
    (re.compile(_REPO + r"/actions/secrets/(?P<name>[^/]+)"), "secret"),
    (re.compile(_REPO + r"/actions/organization-secrets"), "organization_secrets"),
]
_SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID."
)
_RATE_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer before serialisation: status, JSON body (None: no body), headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """A parsed request: method, path without query nor `/api/v3` prefix, query, headers."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    prefix: str = ""


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: token X` or `Authorization: Bearer X` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        return None
    return token.strip()


def _not_found() -> Answer:
    return Answer(404, documents.error("Not Found", 404))


class Router:
    """Answers requests from the hub's state the way api.github.com does.

    The operator token may do everything. Other known tokens are fresh personal access
    tokens: `GET /user` and `GET /rate_limit` succeed, every other endpoint answers 403
    "Resource not accessible by personal access token". A missing token gets 401
    "Requires authentication", an unknown one 401 "Bad credentials", on every endpoint.
    """

    def __init__(
        self,
        state: HubState,
        limiter: RateLimiter,
        logins: Mapping[str, str],
        operator_token: str,
        expirations: Mapping[str, str],
    ) -> None:
        self._state = state
        self._limiter = limiter
        self._logins = dict(logins)
        self._operator = operator_token
        self._expirations = dict(expirations)
        # The operator is user 1, as the primary rate-limit message of the brief says.
        ordered = dict.fromkeys([logins[operator_token], *logins.values()])
        self._ids = {login: 1 + i for i, login in enumerate(ordered)}

    def login_of(self, token: str | None) -> str | None:
        """The login a token belongs to, or None."""
        return None if token is None else self._logins.get(token)

    def answer(self, request: Request) -> Answer:
        """Authenticate, rate-limit and route one request."""
        token = bearer(request.headers.get("authorization"))
        login = self.login_of(token)
        counted = request.path != "/rate_limit"
        if login is None:
            verdict = self._limiter.check(counted=False)
            message = "Requires authentication" if token is None else "Bad credentials"
            return self._with(Answer(401, documents.error(message, 401)), verdict)
        verdict = self._limiter.check(counted=counted)
        extra = {}
        if token in self._expirations:
            extra["github-authentication-token-expiration"] = self._expirations[token]
        if token == self._operator:
            extra["x-oauth-scopes"] = "repo, workflow"
        if verdict.limited is not None:
            return self._with(self._limited(verdict, login), verdict, extra)
        if token != self._operator and (request.method, request.path) not in (
            ("GET", "/user"),
            ("HEAD", "/user"),
            ("GET", "/rate_limit"),
        ):
            message = "Resource not accessible by personal access token"
            return self._with(Answer(403, documents.error(message, 403)), verdict, extra)
        answer = self._route(request, login, verdict)
        if request.method in ("GET", "HEAD") and answer.status == 200:
            answer = self._conditional(request, answer, counted)
            if answer.status == 304:
                verdict = self._limiter.check(counted=False)
        return self._with(answer, verdict, extra)

    def _conditional(self, request: Request, answer: Answer, counted: bool) -> Answer:
        """GitHub's ETag on every 200 to a GET; 304 to a matching `If-None-Match`.

        A 304 does not count against the primary rate limit, as GitHub documents.
        """
        digest = hashlib.sha256(json.dumps(answer.body, sort_keys=True).encode()).hexdigest()
        etag = f'W/"{digest[:40]}"'
        wanted = request.headers.get("if-none-match", "")
        if etag in {tag.strip() for tag in wanted.split(",")} or wanted.strip() == "*":
            if counted:
                self._limiter.refund()
            return Answer(304, None, {**answer.headers, "etag": etag})
        return Answer(answer.status, answer.body, {**answer.headers, "etag": etag})

    @staticmethod
    def _with(
        answer: Answer, verdict: RateVerdict, extra: Mapping[str, str] | None = None
    ) -> Answer:
        extra = extra or {}
        return Answer(answer.status, answer.body, {**verdict.headers(), **extra, **answer.headers})

    def _limited(self, verdict: RateVerdict, login: str) -> Answer:
        assert verdict.limited is not None
        status = verdict.limited.answer_status
        if verdict.limited.kind == "secondary":
            return Answer(status, documents.error(_SECONDARY, status, _RATE_DOCS))
        message = f"API rate limit exceeded for user ID {self._ids.get(login, 1)}."
        docs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
        return Answer(status, documents.error(message, status, docs))

    def _route(self, request: Request, login: str, verdict: RateVerdict) -> Answer:
        method = "GET" if request.method == "HEAD" else request.method
        for pattern, name in _ROUTES:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            if name == "root" and method == "GET":
                return Answer(200, {"current_user_url": f"{documents.API}/user"})
            if name == "user" and method == "GET":
                return Answer(200, documents.private_user(login, self._ids.get(login, 1)))
            if name == "rate_limit" and method == "GET":
                return Answer(
                    200,
                    documents.rate_limit_overview(
                        verdict.limit, verdict.remaining, verdict.used, verdict.reset
                    ),
                )
            if "owner" in params:
                return self._repository_route(name, method, params, request)
            return _not_found()
        return _not_found()

    def _repository_route(
        self, name: str, method: str, params: dict[str, str], request: Request
    ) -> Answer:
        repository = self._state.find(f"{params['owner']}/{params['repo']}")
        if repository is None:
            return _not_found()
        full_name = repository.full_name
        if name == "repository" and method == "GET":
            return Answer(200, documents.full_repository(repository))
        if name == "public_key" and method == "GET":
            key_id, key = self._state.public_key(full_name)
            return Answer(200, {"key_id": key_id, "key": key})
        if name == "organization_secrets" and method == "GET":
            return Answer(200, {"total_count": 0, "secrets": []})
        if name == "list_secrets" and method == "GET":
            return self._list(full_name, request)
        if name == "secret":
            return self._secret(full_name, params["name"], method, request.body)
        return _not_found()

    def _list(self, full_name: str, request: Request) -> Answer:
        query = parse_qs(request.query)
        per_page = min(100, max(1, _int(query, "per_page", 30)))
        page = max(1, _int(query, "page", 1))
        stored = self._state.secrets(full_name)
        chunk = stored[(page - 1) * per_page : page * per_page]
        body = {
            "total_count": len(stored),
            "secrets": [_secret_document(s) for s in chunk],
        }
        last = max(1, -(-len(stored) // per_page))
        if last == 1:
            return Answer(200, body)
        host = request.headers.get("host", "127.0.0.1")
        base = f"http://{host}{request.prefix}{request.path}?per_page={per_page}&page="
        links = []
        if page < last:
            links += [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
        if page > 1:
            links += [f'<{base}1>; rel="first"', f'<{base}{page - 1}>; rel="prev"']
        return Answer(200, body, {"link": ", ".join(links)} if links else {})

    def _secret(self, full_name: str, name: str, method: str, body: bytes) -> Answer:
        if method == "GET":
            stored = self._state.secret(full_name, name)
            if stored is None:
                return _not_found()
            return Answer(200, _secret_document(stored))
        if method == "DELETE":
            return Answer(204) if self._state.delete_secret(full_name, name) else _not_found()
        if method != "PUT":
            return _not_found()
        try:
            document = json.loads(body)
        except ValueError:
            return Answer(400, documents.error("Problems parsing JSON", 400))
        if not isinstance(document, dict):
            return Answer(400, documents.error("Problems parsing JSON", 400))
        for field_name in ("encrypted_value", "key_id"):
            value = document.get(field_name)
            if value is None:
                return _invalid(f'"{field_name}" wasn\'t supplied.')
            if not isinstance(value, str):
                shown = json.dumps(value)
                return _invalid(f"For 'properties/{field_name}', {shown} is not a string.")
        try:
            created = self._state.put_sealed(
                full_name, name, document["encrypted_value"], document["key_id"]
            )
        except SecretRejected as exc:
            return Answer(422, documents.error(str(exc), 422))
        return Answer(201, {}) if created else Answer(204)


def _secret_document(stored: StoredSecret) -> dict[str, str]:
    return {"name": stored.name, "created_at": stored.created_at, "updated_at": stored.updated_at}


def _invalid(detail: str) -> Answer:
    return Answer(422, documents.error(f"Invalid request.\n\n{detail}", 422))


def _int(query: Mapping[str, list[str]], name: str, default: int) -> int:
    try:
        return int(query[name][0])
    except (KeyError, IndexError, ValueError):
        return default
