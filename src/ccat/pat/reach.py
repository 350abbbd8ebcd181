"""Whether a token GitHub accepts reaches the repositories CI needs it in, in the words
the rotation's preflight and `ccat pat verify` share: what to check when it does not.

A token reaches a repository when `GET /repos/{o}/{r}/actions/runs?per_page=1` answers
200 with it. A 403 or 404 there is the token's access (GitHub says 404 for a private
repository a token may not see). A fine-grained token that GitHub accepts but that
reaches *none* of the repositories is most likely held back by an organisation's
policy (SPEC §11): an organisation may require an owner's approval of fine-grained
tokens (a pending token reaches public resources only), or refuse tokens whose
lifetime exceeds its maximum.
"""

from __future__ import annotations

from collections.abc import Collection

from ccat.pat.errors import GitHubError

ACCESS_HINT = (
    "needs access to every repository of the graph (a fine-grained token created with "
    "'Only select repositories' may miss some) and the 'Actions: read' permission"
)
POLICY_HINT = (
    "GitHub accepts the token but it reaches none of the private repositories: if the "
    "organisation requires approval of fine-grained tokens, an owner must approve it "
    "first (a pending token reaches public resources only: Settings > Personal access "
    "tokens > Pending requests); or its lifetime exceeds the organisation's maximum "
    "(create one with a shorter expiration)"
)


def refused_access(exc: GitHubError) -> bool:
    """Whether GitHub refused the token access (403 or 404), rather than failing."""
    return exc.status in (403, 404)


def refused_by_policy(status: int | None, accepted_permissions: str | None) -> bool:
    """A refusal (`status`) that a missing permission does not explain: a 404 (a
    private repository the token may not see), or a 403 without the permission GitHub
    wanted (with `X-Accepted-GitHub-Permissions`, the token simply lacks that one)."""
    return status == 404 or (status == 403 and not accepted_permissions)


def access_hint(exc: GitHubError, token: str = "the token") -> str:
    """What to check when `token` (its name in the sentence) cannot read a repository's
    workflow runs."""
    return access_hint_text(exc.accepted_permissions, token)


def access_hint_text(accepted: str | None, token: str = "the token") -> str:
    """The same, given GitHub's `X-Accepted-GitHub-Permissions` (None: not sent)."""
    hint = f"{token} {ACCESS_HINT}"
    return f"{hint}; GitHub says this request needs: {accepted}" if accepted else hint


def held_by_policy(kind: str | None, checked: int, refused: Collection[str]) -> bool:
    """Whether a fine-grained token that reached none of the `checked` repositories
    (`refused`: those `refused_by_policy`) is likely held back by a policy."""
    return kind == "fine-grained" and checked > 0 and len(refused) == checked
