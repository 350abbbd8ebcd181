"""The emulator as most tests meet it: the tokens it knows, the repositories it serves,
and the two things a client does to talk to it (authenticate, seal a value).

Import with `from tests.support.emulator import ...`; the fixtures built on it (`fakehub`,
`hub`) are in tests/conftest.py.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from nacl.public import PublicKey, SealedBox

from ccat.fakehub import FakeHub

OPERATOR_TOKEN = "operator-token"
OPERATOR_LOGIN = "ccat-operator"
NEW_TOKEN = "new-pat-value"
NEW_TOKEN_LOGIN = "ccat-ci-bot"
NEW_TOKEN_EXPIRATION = "2027-02-01 00:00:00 UTC"  # as GitHub sends the header
REPOSITORIES = ("ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api")


def emulator(repositories: Iterable[str], operator_token: str, new_token: str) -> FakeHub:
    """An emulator (not started) serving `repositories`, where `operator_token` belongs to
    OPERATOR_LOGIN and `new_token` to NEW_TOKEN_LOGIN, expiring at NEW_TOKEN_EXPIRATION."""
    return FakeHub(
        repositories,
        operator_token=operator_token,
        operator_login=OPERATOR_LOGIN,
        tokens={new_token: NEW_TOKEN_LOGIN},
        token_expirations={new_token: NEW_TOKEN_EXPIRATION},
    )


def seal(public_key: str, value: str) -> str:
    """Encrypt `value` for a base64 repository public key, as GitHub clients must."""
    box = SealedBox(PublicKey(base64.b64decode(public_key)))
    return base64.b64encode(box.encrypt(value.encode("utf-8"))).decode("ascii")


def auth(token: str = OPERATOR_TOKEN) -> dict[str, str]:
    """Headers that authenticate as `token`, the way ccat sends them."""
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
