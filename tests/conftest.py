"""Shared fixtures: the anyio backend and a running GitHub emulator with known tokens.

Helpers for other tests: `from tests.conftest import OPERATOR_TOKEN, seal`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from nacl.public import PublicKey, SealedBox

from ccat.fakehub import FakeHub

OPERATOR_TOKEN = "operator-token"
OPERATOR_LOGIN = "ccat-operator"
NEW_TOKEN = "new-pat-value"
NEW_TOKEN_LOGIN = "ccat-ci-bot"
NEW_TOKEN_EXPIRATION = "2027-02-01 00:00:00 UTC"
REPOSITORIES = ("ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api")


@pytest.fixture
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio only."""
    return "asyncio"


@pytest.fixture
def fakehub() -> Iterator[FakeHub]:
    """A started emulator serving REPOSITORIES, knowing OPERATOR_TOKEN and NEW_TOKEN."""
    with FakeHub(
        REPOSITORIES,
        operator_token=OPERATOR_TOKEN,
        operator_login=OPERATOR_LOGIN,
        tokens={NEW_TOKEN: NEW_TOKEN_LOGIN},
        token_expirations={NEW_TOKEN: NEW_TOKEN_EXPIRATION},
    ) as hub:
        yield hub


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
