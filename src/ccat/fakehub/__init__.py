"""A GitHub REST emulator of the endpoints ccat uses — the secret stores (Actions,
Dependabot, environments), the organisation's secrets, the token's identity and reach,
the revocation of credentials — for tests, benchmarks and the demo.

    with FakeHub(["ccatobs/ops-db"], operator_token="t", operator_login="alice") as hub:
        ...  # talk to hub.url over HTTP; inspect hub.secret(...), hub.requests

Run it from a shell with `python -m ccat.fakehub --graph FILE`.
"""

from ccat.fakehub.hub import DEFAULT_OPERATOR_LOGIN, DEFAULT_OPERATOR_TOKEN, FakeHub
from ccat.fakehub.records import (
    Fault,
    LoggedRequest,
    PointsLimit,
    RateLimitMode,
    StoredSecret,
)
from ccat.fakehub.tokens import TokenSpec

__all__ = [
    "DEFAULT_OPERATOR_LOGIN",
    "DEFAULT_OPERATOR_TOKEN",
    "FakeHub",
    "Fault",
    "LoggedRequest",
    "PointsLimit",
    "RateLimitMode",
    "StoredSecret",
    "TokenSpec",
]
