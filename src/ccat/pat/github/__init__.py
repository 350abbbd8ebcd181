"""Talking to GitHub: the request layers (`transport`: rate limits, retries, one attempt,
each request's points counted against the run's `budget`), the endpoints with every
answer checked against what GitHub documents (`client`), why a request got no answer
(`connection`), and sealing a value for a repository's public key (`sealing`). Where
to talk (`ccat.pat.api_url`) and how long to try (`ccat.pat.settings`) are settled
before. It knows nothing of the journal or the terminal."""

from ccat.pat.github.budget import PointsBudget
from ccat.pat.github.client import (
    INSTALLATION_LOGIN,
    GitHubClient,
    Installation,
    OrgSecret,
    PublicKey,
    SecretInfo,
    User,
    open_client,
)
from ccat.pat.github.sealing import load_public_key, seal
from ccat.pat.github.transport import ClientListener, Wait, WaitReason

__all__ = [
    "INSTALLATION_LOGIN",
    "ClientListener",
    "GitHubClient",
    "Installation",
    "OrgSecret",
    "PointsBudget",
    "PublicKey",
    "SecretInfo",
    "User",
    "Wait",
    "WaitReason",
    "load_public_key",
    "open_client",
    "seal",
]
