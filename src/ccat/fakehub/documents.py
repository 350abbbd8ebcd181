"""JSON documents shaped as GitHub's OpenAPI description requires (every required field)."""

from __future__ import annotations

from typing import Any

from ccat.fakehub.state import Repository, iso

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


def full_repository(repository: Repository) -> dict[str, Any]:
    """The full-repository schema for `GET /repos/{owner}/{repo}`."""
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
        "forks": 0,
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "subscribers_count": 1,
        "network_count": 0,
        "size": 128,
        "default_branch": "main",
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
        "archived": False,
        "disabled": False,
        "license": None,
        "pushed_at": iso(repository.created_at),
        "created_at": iso(repository.created_at),
        "updated_at": iso(repository.created_at),
        "permissions": dict.fromkeys(("admin", "maintain", "push", "triage", "pull"), True),
    }
    for key, suffix in _REPOSITORY_URLS.items():
        document[key] = url + suffix
    return document


def rate_limit_overview(limit: int, remaining: int, used: int, reset: int) -> dict[str, Any]:
    """The rate-limit-overview schema for `GET /rate_limit`."""
    core = {"limit": limit, "remaining": remaining, "reset": reset, "used": used}
    search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0}
    graphql = {"limit": 5000, "remaining": 5000, "reset": reset, "used": 0}
    return {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core}
