"""One function per GitHub endpoint: a routed, allowed `Call` in, an `Answer` out.

Authentication, rate limits and permissions were decided before (`routes.Router`);
these only read and change the hub's state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TypeVar
from urllib.parse import parse_qs

from ccat.fakehub import documents
from ccat.fakehub.exchange import Answer, Call
from ccat.fakehub.records import StoredSecret
from ccat.fakehub.state import SecretRejected

T = TypeVar("T")
REVOKE_DOCS = "https://docs.github.com/rest/credentials/revoke#revoke-a-list-of-credentials"
MAX_CREDENTIALS = 1000


def not_found() -> Answer:
    """GitHub's 404, also for what exists but the token may not see."""
    return Answer(404, documents.error("Not Found", 404))


def root(call: Call) -> Answer:
    """`GET /`: the API's index (one link is enough for clients that probe it)."""
    return Answer(200, {"current_user_url": f"{documents.API}/user"})


def user(call: Call) -> Answer:
    """`GET /user`: the token's own account; 403 to a GitHub App installation token,
    which has no user."""
    if call.grant.installation:
        docs = f"{documents.DOCS}/users/users#get-the-authenticated-user"
        return Answer(403, documents.error(call.grant.forbidden, 403, docs))
    return Answer(200, documents.private_user(call.grant.login, call.user_id))


def installation_repositories(call: Call) -> Answer:
    """`GET /installation/repositories`: the repositories a GitHub App installation
    token reaches, paginated; 403 to any other token."""
    grant = call.grant
    if not grant.installation:
        message = (
            "You must authenticate with an installation access token to list the "
            "repositories of an installation."
        )
        return Answer(403, documents.error(message, 403, f"{documents.DOCS}/apps/installations"))
    reached = [repo for repo in call.state.repositories() if grant.sees(repo.full_name)]
    chunk, links = _page(call, reached)
    body = {
        "total_count": len(reached),
        "repositories": [documents.full_repository(repo) for repo in chunk],
        "repository_selection": "all" if grant.repositories is None else "selected",
    }
    return Answer(200, body, links)


def rate_limit(call: Call) -> Answer:
    """`GET /rate_limit`: the core counters."""
    verdict = call.verdict
    overview = documents.rate_limit_overview(
        verdict.limit, verdict.remaining, verdict.used, verdict.reset
    )
    return Answer(200, overview)


def revoke_credentials(call: Call) -> Answer:
    """`POST /credentials/revoke` (anonymous): 202 for 1-1,000 credentials, which answer
    401 from then on (GitHub says nothing of which were valid); 400 for a body that is
    not JSON, 422 for any other."""
    try:
        document = json.loads(call.request.body)
    except ValueError:
        return Answer(400, documents.error("Problems parsing JSON", 400, REVOKE_DOCS))
    found = document.get("credentials") if isinstance(document, dict) else None
    if (
        not isinstance(found, list)
        or not 1 <= len(found) <= MAX_CREDENTIALS
        or not all(isinstance(item, str) for item in found)
    ):
        detail = f"credentials must be a list of 1 to {MAX_CREDENTIALS} strings"
        body = {"message": "Validation Failed", "documentation_url": REVOKE_DOCS}
        return Answer(422, {**body, "errors": [detail]})
    call.state.revoke(found)
    return Answer(202, {})


def repository(call: Call) -> Answer:
    """`GET /repos/{owner}/{repo}`."""
    return Answer(200, documents.full_repository(call.repo))


def workflow_runs(call: Call) -> Answer:
    """`GET /repos/{owner}/{repo}/actions/runs`, newest first, paginated."""
    count = call.repo.workflow_runs
    numbers, links = _page(call, range(count, 0, -1))
    runs = [documents.workflow_run(call.repo, number) for number in numbers]
    return Answer(200, {"total_count": count, "workflow_runs": runs}, links)


def store_of(call: Call) -> str | None:
    """The store a secrets endpoint addresses (`actions`, `dependabot`,
    `environment:NAME`), from its path; None for an environment the repository lacks
    (GitHub's 404)."""
    environment = call.params.get("environment")
    if environment is not None:
        found = call.state.find_environment(call.repo, environment)
        return None if found is None else f"environment:{found.name}"
    return "dependabot" if "/dependabot/" in call.request.path else "actions"


def public_key(call: Call) -> Answer:
    """A store's public key (`GET …/secrets/public-key`)."""
    store = store_of(call)
    if store is None:
        return not_found()
    key_id, key = call.state.public_key(call.repo.full_name, store)
    return Answer(200, {"key_id": key_id, "key": key})


def list_secrets(call: Call) -> Answer:
    """A store's secrets list, ordered by name, paginated."""
    store = store_of(call)
    if store is None:
        return not_found()
    stored = call.state.secrets(call.repo.full_name, store)
    chunk, links = _page(call, stored)
    body = {"total_count": len(stored), "secrets": [_secret_document(s) for s in chunk]}
    return Answer(200, body, links)


def get_secret(call: Call) -> Answer:
    """One secret of a store (never its value)."""
    store = store_of(call)
    stored = (
        None
        if store is None
        else call.state.secret(call.repo.full_name, call.params["name"], store)
    )
    return not_found() if stored is None else Answer(200, _secret_document(stored))


def delete_secret(call: Call) -> Answer:
    """Delete one secret of a store."""
    store = store_of(call)
    if store is None:
        return not_found()
    deleted = call.state.delete_secret(call.repo.full_name, call.params["name"], store)
    return Answer(204) if deleted else not_found()


def put_secret(call: Call) -> Answer:
    """Create or update a secret of a store: 201 created, 204 updated, or GitHub's
    400/422 for a body it refuses."""
    store = store_of(call)
    if store is None:
        return not_found()
    try:
        document = json.loads(call.request.body)
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
        created = call.state.put_sealed(
            call.repo.full_name,
            call.params["name"],
            document["encrypted_value"],
            document["key_id"],
            store,
        )
    except SecretRejected as exc:
        return Answer(422, documents.error(str(exc), 422))
    return Answer(201, {}) if created else Answer(204)


def environments(call: Call) -> Answer:
    """`GET /repos/{owner}/{repo}/environments`, ordered by name, paginated."""
    found = call.state.environments(call.repo.full_name)
    chunk, links = _page(call, found)
    body = {
        "total_count": len(found),
        "environments": [documents.environment(call.repo, e) for e in chunk],
    }
    return Answer(200, body, links)


def org_secrets(call: Call) -> Answer:
    """`GET /orgs/{org}/actions/secrets`: the organisation's secrets, by name, paginated."""
    found = call.state.orgs.all(call.params["org"])
    chunk, links = _page(call, found)
    body = {
        "total_count": len(found),
        "secrets": [documents.organization_secret(s) for s in chunk],
    }
    return Answer(200, body, links)


def org_repositories(call: Call) -> Answer:
    """`GET /orgs/{org}/repos`: the organisation's repositories the token sees, paginated
    (an array, with GitHub's `Link` header)."""
    found = [
        r for r in call.state.repositories_of(call.params["org"]) if call.grant.sees(r.full_name)
    ]
    chunk, links = _page(call, found)
    return Answer(200, [documents.minimal_repository(r) for r in chunk], links)


def repository_org_secrets(call: Call) -> Answer:
    """`GET /repos/{owner}/{repo}/actions/organization-secrets`: the organisation secrets
    shared with the repository, ordered by name, paginated."""
    shared = call.state.orgs.shared_with(call.repo)
    chunk, links = _page(call, shared)
    body = {"total_count": len(shared), "secrets": [_secret_document(s.record()) for s in chunk]}
    return Answer(200, body, links)


def org_secret(call: Call) -> Answer:
    """`GET /orgs/{org}/actions/secrets/{name}`."""
    secret = call.state.orgs.secret(call.params["org"], call.params["name"])
    return not_found() if secret is None else Answer(200, documents.organization_secret(secret))


def org_secret_repositories(call: Call) -> Answer:
    """`GET /orgs/{org}/actions/secrets/{name}/repositories`: the selected repositories
    (none unless the secret's visibility is `selected`), paginated."""
    secret = call.state.orgs.secret(call.params["org"], call.params["name"])
    if secret is None:
        return not_found()
    chunk, links = _page(call, secret.selected)
    body = {
        "total_count": len(secret.selected),
        "repositories": [documents.minimal_repository(r) for r in chunk],
    }
    return Answer(200, body, links)


def _page(call: Call, items: Sequence[T]) -> tuple[Sequence[T], dict[str, str]]:
    """One page of `items` as `per_page`/`page` ask (30 by default, 100 at most), and
    GitHub's `Link` header when there is more than one page."""
    request = call.request
    query = parse_qs(request.query)
    per_page = min(100, max(1, _int(query, "per_page", 30)))
    page = max(1, _int(query, "page", 1))
    chunk = items[(page - 1) * per_page : page * per_page]
    last = max(1, -(-len(items) // per_page))
    if last == 1:
        return chunk, {}
    host = request.headers.get("host", "127.0.0.1")
    base = f"http://{host}{request.prefix}{request.path}?per_page={per_page}&page="
    links = []
    if page < last:
        links += [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
    if page > 1:
        links += [f'<{base}1>; rel="first"', f'<{base}{page - 1}>; rel="prev"']
    return chunk, {"link": ", ".join(links)} if links else {}


def _secret_document(stored: StoredSecret) -> dict[str, str]:
    return documents.actions_secret(stored.name, stored.created_at, stored.updated_at)


def _invalid(detail: str) -> Answer:
    return Answer(422, documents.error(f"Invalid request.\n\n{detail}", 422))


def _int(query: Mapping[str, list[str]], name: str, default: int) -> int:
    try:
        return int(query[name][0])
    except (KeyError, IndexError, ValueError):
        return default
