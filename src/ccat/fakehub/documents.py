"""JSON documents shaped as GitHub's OpenAPI description requires (every required field)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ccat.fakehub.org_secrets import OrgSecret
from ccat.fakehub.repository import Environment, Repository
from ccat.fakehub.timestamps import iso

API = "https://api.github.com"
WEB = "https://github.com"
DOCS = "https://docs.github.com/rest"
_SINCE = iso(1_400_000_000)


def error(message: str, status: int, documentation_url: str = DOCS) -> dict[str, str]:
    """GitHub's basic-error document."""
    return {"message": message, "documentation_url": documentation_url, "status": str(status)}


def simple_user(login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    """The simple-user schema: a repository owner or the login of a token."""
    url = f"{API}/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": f"U_fakehub{user_id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": kind,
        "site_admin": False,
        "user_view_type": "public",
    }


def private_user(login: str, user_id: int) -> dict[str, Any]:
    """The private-user schema, as `GET /user` returns it for the token's own account."""
    document = simple_user(login, user_id)
    document.update(
        {
            "user_view_type": "private",
            "name": None,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": 0,
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": _SINCE,
            "updated_at": _SINCE,
            "private_gists": 0,
            "total_private_repos": 0,
            "owned_private_repos": 0,
            "disk_usage": 0,
            "collaborators": 0,
            "two_factor_authentication": True,
        }
    )
    return document


_REPOSITORY_URLS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def minimal_repository(repository: Repository) -> dict[str, Any]:
    """The minimal-repository schema, as lists of repositories return it."""
    owner, name = repository.full_name.split("/", 1)
    url = f"{API}/repos/{repository.full_name}"
    html = f"{WEB}/{repository.full_name}"
    document: dict[str, Any] = {
        "id": repository.id,
        "node_id": f"R_fakehub{repository.id}",
        "name": name,
        "full_name": repository.full_name,
        "owner": simple_user(owner, 10_000 + sum(map(ord, owner.lower())), "Organization"),
        "private": True,
        "visibility": "private",
        "html_url": html,
        "description": None,
        "fork": False,
        "url": url,
        "git_url": f"git://github.com/{repository.full_name}.git",
        "ssh_url": f"git@github.com:{repository.full_name}.git",
        "clone_url": f"{html}.git",
        "svn_url": html,
        "mirror_url": None,
        "homepage": None,
        "language": "Python",
        "default_branch": "main",
        "archived": False,
        "disabled": False,
        "pushed_at": iso(repository.created_at),
        "created_at": iso(repository.created_at),
        "updated_at": iso(repository.created_at),
    }
    for key, suffix in _REPOSITORY_URLS.items():
        document[key] = url + suffix
    return document


def full_repository(repository: Repository) -> dict[str, Any]:
    """The full-repository schema for `GET /repos/{owner}/{repo}`."""
    document = minimal_repository(repository)
    document.update(
        {
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "subscribers_count": 1,
            "network_count": 0,
            "size": 128,
            "open_issues": 0,
            "open_issues_count": 0,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "license": None,
            "permissions": dict.fromkeys(("admin", "maintain", "push", "triage", "pull"), True),
        }
    )
    return document


def workflow_run(repository: Repository, number: int) -> dict[str, Any]:
    """The workflow-run schema for run `number` (1 is the oldest) of a repository."""
    run_id = repository.id * 100_000 + number
    url = f"{API}/repos/{repository.full_name}/actions/runs/{run_id}"
    sha = f"{run_id:040x}"
    at = iso(repository.created_at + 60 * number)
    compact = minimal_repository(repository)
    return {
        "id": run_id,
        "name": "CI",
        "node_id": f"WFR_fakehub{run_id}",
        "check_suite_id": run_id,
        "check_suite_node_id": f"CS_fakehub{run_id}",
        "head_branch": "main",
        "head_sha": sha,
        "path": ".github/workflows/ci.yml",
        "run_number": number,
        "run_attempt": 1,
        "event": "push",
        "status": "completed",
        "conclusion": "success",
        "workflow_id": repository.id,
        "url": url,
        "html_url": f"{WEB}/{repository.full_name}/actions/runs/{run_id}",
        "pull_requests": [],
        "created_at": at,
        "updated_at": at,
        "run_started_at": at,
        "jobs_url": f"{url}/jobs",
        "logs_url": f"{url}/logs",
        "check_suite_url": f"{API}/repos/{repository.full_name}/check-suites/{run_id}",
        "artifacts_url": f"{url}/artifacts",
        "cancel_url": f"{url}/cancel",
        "rerun_url": f"{url}/rerun",
        "previous_attempt_url": None,
        "workflow_url": f"{API}/repos/{repository.full_name}/actions/workflows/{repository.id}",
        "head_commit": {
            "id": sha,
            "tree_id": sha,
            "message": "Update CI",
            "timestamp": at,
            "author": {"name": "CI Bot", "email": "ci@example.com"},
            "committer": {"name": "CI Bot", "email": "ci@example.com"},
        },
        "repository": compact,
        "head_repository": compact,
        "display_title": "Update CI",
    }


def environment(repository: Repository, found: Environment) -> dict[str, Any]:
    """The environment schema (no protection rules, any branch may deploy)."""
    url = f"{API}/repos/{repository.full_name}/environments/{quote(found.name, safe='')}"
    return {
        "id": found.id,
        "node_id": f"EN_fakehub{found.id}",
        "name": found.name,
        "url": url,
        "html_url": f"{WEB}/{repository.full_name}/deployments/activity_log?environments_filter="
        + quote(found.name, safe=""),
        "created_at": iso(found.created_at),
        "updated_at": iso(found.created_at),
        "protection_rules": [],
        "deployment_branch_policy": None,
    }


def actions_secret(name: str, created_at: str, updated_at: str) -> dict[str, str]:
    """The actions-secret schema (a repository secret, or an organisation one in a
    repository's list)."""
    return {"name": name, "created_at": created_at, "updated_at": updated_at}


def organization_secret(secret: OrgSecret) -> dict[str, str]:
    """The organization-actions-secret schema."""
    document = {
        "name": secret.name,
        "created_at": iso(secret.created_at),
        "updated_at": iso(secret.updated_at),
        "visibility": secret.visibility,
    }
    if secret.visibility == "selected":
        document["selected_repositories_url"] = (
            f"{API}/orgs/{secret.org}/actions/secrets/{secret.name}/repositories"
        )
    return document


def rate_limit_overview(limit: int, remaining: int, used: int, reset: int) -> dict[str, Any]:
    """The rate-limit-overview schema for `GET /rate_limit`."""
    core = {"limit": limit, "remaining": remaining, "reset": reset, "used": used}
    search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0}
    graphql = {"limit": 5000, "remaining": 5000, "reset": reset, "used": 0}
    return {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core}
