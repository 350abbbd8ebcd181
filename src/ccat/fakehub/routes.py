"""GitHub's answer to one parsed request: authentication, rate limits, routing, access.

The routing table maps `(method, path pattern)` to an endpoint and the permission it
needs from a fine-grained token: a new endpoint is one line. Nothing here touches a
socket; `server.py` parses requests and writes the answers.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import unquote

from ccat.fakehub import documents, endpoints
from ccat.fakehub.exchange import Answer, Call, Request
from ccat.fakehub.faults import AnonymousLimit, RateLimiter, RateVerdict
from ccat.fakehub.state import HubState
from ccat.fakehub.tokens import ANONYMOUS, Grant, Need, TokenSpec

__all__ = ["Answer", "Request", "Router", "bearer"]

_SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID."
)
_RATE_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
_REVOKE_DOCS = endpoints.REVOKE_DOCS
_ANONYMOUS_LIMIT = (
    "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated "
    "requests get a higher rate limit. Check out the documentation for more details.)"
)


@dataclass(frozen=True)
class Endpoint:
    """An endpoint's handler and what it needs from a fine-grained token (None: nothing);
    `anonymous`: it must be called without a token (its call's grant is `ANONYMOUS`)."""

    handler: Callable[[Call], Answer]
    need: Need | None = None
    anonymous: bool = False


METADATA_READ = Need("metadata", "read")
ACTIONS_READ = Need("actions", "read")
SECRETS_READ = Need("secrets", "read")
SECRETS_WRITE = Need("secrets", "write")
ORG_SECRETS_READ = Need("organization_secrets", "read")
DEPENDABOT_READ = Need("dependabot_secrets", "read")
DEPENDABOT_WRITE = Need("dependabot_secrets", "write")
ENVIRONMENTS_READ = Need("environments", "read")
ENVIRONMENTS_WRITE = Need("environments", "write")

_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_SECRETS = _REPO + r"/actions/secrets"
_ORG_SECRET = r"/orgs/(?P<org>[^/]+)/actions/secrets/(?P<name>[^/]+)"
_NAME = r"/(?P<name>[^/]+)"
_DEPENDABOT = _REPO + r"/dependabot/secrets"
_ENVIRONMENTS = _REPO + r"/environments"
_ENVIRONMENT = _ENVIRONMENTS + r"/(?P<environment>[^/]+)/secrets"


def _store(base: str, read: Need, write: Need) -> dict[tuple[str, re.Pattern[str]], Endpoint]:
    """The five endpoints of one repository secret store under `base`."""
    return {
        ("GET", re.compile(base)): Endpoint(endpoints.list_secrets, read),
        ("GET", re.compile(base + r"/public-key")): Endpoint(endpoints.public_key, read),
        ("GET", re.compile(base + _NAME)): Endpoint(endpoints.get_secret, read),
        ("PUT", re.compile(base + _NAME)): Endpoint(endpoints.put_secret, write),
        ("DELETE", re.compile(base + _NAME)): Endpoint(endpoints.delete_secret, write),
    }


# Tried in this order for a method: a literal segment (`public-key`) before a parameter.
# A path with `owner`/`repo` is a repository endpoint, one with `org` an organisation's.
ROUTES: dict[tuple[str, re.Pattern[str]], Endpoint] = {
    ("GET", re.compile(r"/")): Endpoint(endpoints.root),
    ("GET", re.compile(r"/user")): Endpoint(endpoints.user),
    ("GET", re.compile(r"/rate_limit")): Endpoint(endpoints.rate_limit),
    ("GET", re.compile(r"/installation/repositories")): Endpoint(
        endpoints.installation_repositories
    ),
    ("POST", re.compile(r"/credentials/revoke")): Endpoint(
        endpoints.revoke_credentials, anonymous=True
    ),
    ("GET", re.compile(_REPO)): Endpoint(endpoints.repository, METADATA_READ),
    ("GET", re.compile(_REPO + r"/actions/runs")): Endpoint(endpoints.workflow_runs, ACTIONS_READ),
    **_store(_SECRETS, SECRETS_READ, SECRETS_WRITE),
    **_store(_DEPENDABOT, DEPENDABOT_READ, DEPENDABOT_WRITE),
    ("GET", re.compile(_ENVIRONMENTS)): Endpoint(endpoints.environments, ENVIRONMENTS_READ),
    **_store(_ENVIRONMENT, ENVIRONMENTS_READ, ENVIRONMENTS_WRITE),
    ("GET", re.compile(_REPO + r"/actions/organization-secrets")): Endpoint(
        endpoints.repository_org_secrets, SECRETS_READ
    ),
    ("GET", re.compile(r"/orgs/(?P<org>[^/]+)/actions/secrets")): Endpoint(
        endpoints.org_secrets, ORG_SECRETS_READ
    ),
    ("GET", re.compile(r"/orgs/(?P<org>[^/]+)/repos")): Endpoint(endpoints.org_repositories),
    ("GET", re.compile(_ORG_SECRET)): Endpoint(endpoints.org_secret, ORG_SECRETS_READ),
    ("GET", re.compile(_ORG_SECRET + r"/repositories")): Endpoint(
        endpoints.org_secret_repositories, ORG_SECRETS_READ
    ),
}

_BY_METHOD: dict[str, list[tuple[re.Pattern[str], Endpoint]]] = {}
for (_method, _pattern), _endpoint in ROUTES.items():
    _BY_METHOD.setdefault(_method, []).append((_pattern, _endpoint))


def find_route(method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
    """The endpoint of a request (HEAD is served as GET) and its URL-decoded path
    parameters, or None."""
    for pattern, endpoint in _BY_METHOD.get("GET" if method == "HEAD" else method, ()):
        match = pattern.fullmatch(path)
        if match is not None:
            return endpoint, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: token X` or `Authorization: Bearer X` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not token.strip():
        return None
    return token.strip()


def secondary_limit(status: int = 429) -> dict[str, str]:
    """GitHub's secondary-rate-limit error document."""
    return documents.error(_SECONDARY, status, _RATE_DOCS)


class Router:
    """Answers requests from the hub's state the way api.github.com does.

    Tokens: a missing token gets 401 "Requires authentication", an unknown one or one
    whose `expires_at` has passed 401 "Bad credentials", on every endpoint. The operator
    token may do everything (a classic token with `repo, workflow`). For other tokens
    (see `TokenSpec`):

    - every answer to a classic token carries `X-OAuth-Scopes`, and every answer to a
      token with an expiry `GitHub-Authentication-Token-Expiration`;
    - `/`, `/user` and `/rate_limit` answer any valid token, except that `/user` is 403
      to a GitHub App installation token, which has no user; `/installation/repositories`
      answers an installation token only (403 to any other);
    - `POST /credentials/revoke` answers only requests *without* a token (403 with one,
      as GitHub), 60 an hour; it takes 1-1,000 credentials (else 422) and answers 202;
      every token it names answers 401 "Bad credentials" from then on;
    - repository endpoints answer 404 Not Found, as for a repository that does not exist,
      when the token cannot see the (private) repository: a classic token without
      `repo`, or a fine-grained one whose `repositories` leave it out;
    - an endpoint needing a permission a fine-grained token (or an installation's)
      lacks answers 403 "Resource not accessible by personal access token" (by
      "integration") with `X-Accepted-GitHub-Permissions`:
      the repository needs `metadata=read`, workflow runs `actions=read`, the secrets
      list, a secret, the public key and the repository's organisation secrets
      `secrets=read`, a secret's PUT and DELETE `secrets=write`; the Dependabot store
      `dependabot_secrets` (read, write), the environments list and an environment's
      store `environments` (read, write); the organisation's secrets
      `organization_secrets=read` (a classic token: scope `admin:org`, sent back as
      `X-Accepted-OAuth-Scopes`), its repository list nothing (it lists what the token
      sees); an unknown organisation is 404 first.

    Every decision is a few dict and set look-ups: O(1) in the number of repositories.
    """

    def __init__(
        self,
        state: HubState,
        limiter: RateLimiter,
        operator_token: str,
        operator: TokenSpec,
        tokens: Mapping[str, TokenSpec],
    ) -> None:
        self._state = state
        self._limiter = limiter
        self._anonymous = AnonymousLimit()
        self._grants: dict[str, Grant] = {}
        self._specs: dict[str, TokenSpec] = {}
        self._operator_token = operator_token
        # The operator is user 1, as GitHub's primary rate-limit message shows it.
        self._ids: dict[str, int] = {operator.login: 1}
        for token, spec in tokens.items():
            if token != operator_token:
                self.add_token(token, spec)
        self._specs[operator_token] = operator
        self._grants[operator_token] = Grant.of(operator, operator=True)

    def add_token(self, token: str, spec: TokenSpec) -> None:
        """Know one more token (or replace what a token may do)."""
        self._ids.setdefault(spec.login, len(self._ids) + 1)
        self._specs[token] = spec
        self._grants[token] = Grant.of(spec, operator=token == self._operator_token)

    def set_expiry(self, token: str, expires_at: str | None) -> None:
        """Give a known token another expiry ("YYYY-MM-DD HH:MM:SS UTC"; None: none);
        KeyError for an unknown token."""
        spec = replace(self._specs[token], expires_at=expires_at)
        self._specs[token] = spec
        self._grants[token] = Grant.of(spec, operator=token == self._operator_token)

    def login_of(self, token: str | None) -> str | None:
        """The login a token belongs to, or None."""
        grant = None if token is None else self._grants.get(token)
        return None if grant is None else grant.login

    def answer(self, request: Request) -> Answer:
        """Authenticate, rate-limit, route and check access for one request."""
        token = bearer(request.headers.get("authorization"))
        found = find_route(request.method, request.path)
        if found is not None and found[0].anonymous:
            return self._anonymous_call(request, token, *found)
        grant = None if token is None else self._grants.get(token)
        if grant is None or grant.expired(time.time()) or self._state.is_revoked(token):
            verdict = self._limiter.check(counted=False)
            message = "Requires authentication" if token is None else "Bad credentials"
            return self._with(Answer(401, documents.error(message, 401)), verdict, {})
        counted = request.path != "/rate_limit"
        verdict = self._limiter.check(counted=counted)
        if verdict.limited is not None:
            return self._with(self._limited(verdict, grant), verdict, grant.headers)
        answer = self._route(request, grant, verdict)
        if request.method in ("GET", "HEAD") and answer.status == 200:
            answer = self._conditional(request, answer, counted)
            if answer.status == 304:
                verdict = self._limiter.check(counted=False)
        return self._with(answer, verdict, grant.headers)

    def _route(self, request: Request, grant: Grant, verdict: RateVerdict) -> Answer:
        found = find_route(request.method, request.path)
        if found is None:
            return endpoints.not_found()
        endpoint, params = found
        repository = None
        if "repo" in params:
            repository = self._state.find(f"{params['owner']}/{params['repo']}")
            if repository is None or not grant.sees(repository.full_name):
                return endpoints.not_found()
        elif "org" in params and not self._state.has_org(params["org"]):
            return endpoints.not_found()
        refusal = grant.refusal(endpoint.need)
        if refusal is not None:
            return Answer(403, documents.error(grant.forbidden, 403), refusal)
        user_id = self._ids.get(grant.login, 1)
        call = Call(request, grant, user_id, params, self._state, verdict, repository)
        return endpoint.handler(call)

    def _conditional(self, request: Request, answer: Answer, counted: bool) -> Answer:
        """GitHub's ETag on every 200 to a GET; 304 to a matching `If-None-Match`.

        The body is encoded once here, for the ETag and for the wire. A 304 does not
        count against the primary rate limit, as GitHub documents.
        """
        content = json.dumps(answer.body).encode("utf-8")
        etag = f'W/"{hashlib.sha256(content).hexdigest()[:40]}"'
        wanted = request.headers.get("if-none-match", "")
        if etag in {tag.strip() for tag in wanted.split(",")} or wanted.strip() == "*":
            if counted:
                self._limiter.refund()
            return Answer(304, None, {**answer.headers, "etag": etag})
        return Answer(200, answer.body, {**answer.headers, "etag": etag}, raw=content)

    def _anonymous_call(
        self, request: Request, token: str | None, endpoint: Endpoint, params: dict[str, str]
    ) -> Answer:
        """An endpoint that takes no token (`POST /credentials/revoke`): 403 to a request
        that has one, GitHub's unauthenticated rate limit (60 an hour) to the others."""
        if request.headers.get("authorization") is not None:
            verdict = self._limiter.check(counted=False)
            message = "Requests to this endpoint must not be authenticated"
            answer = Answer(403, documents.error(message, 403, _REVOKE_DOCS))
            grant = None if token is None else self._grants.get(token)
            return self._with(answer, verdict, {} if grant is None else grant.headers)
        verdict = self._anonymous.check()
        if verdict.limited is not None:
            answer = Answer(403, documents.error(_ANONYMOUS_LIMIT, 403, _REVOKE_DOCS))
            return self._with(answer, verdict, {})
        call = Call(request, ANONYMOUS, 0, params, self._state, verdict)
        return self._with(endpoint.handler(call), verdict, {})

    @staticmethod
    def _with(answer: Answer, verdict: RateVerdict, extra: Mapping[str, str]) -> Answer:
        headers = {**verdict.headers(), **extra, **answer.headers}
        return Answer(answer.status, answer.body, headers, raw=answer.raw)

    def _limited(self, verdict: RateVerdict, grant: Grant) -> Answer:
        assert verdict.limited is not None
        status = verdict.limited.answer_status
        if verdict.limited.kind == "secondary":
            return Answer(status, secondary_limit(status))
        message = f"API rate limit exceeded for user ID {self._ids.get(grant.login, 1)}."
        docs = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
        return Answer(status, documents.error(message, status, docs))
