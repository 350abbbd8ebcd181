"""Sealed-box encryption of a secret value for one repository's public key.

GitHub stores Actions secrets encrypted with a libsodium *sealed box* for the
repository's Curve25519 public key (``GET .../actions/secrets/public-key``); only GitHub
holds the private key. See GitHub's "Encrypting secrets for the REST API".
"""

from __future__ import annotations

import base64
import binascii

from nacl.exceptions import CryptoError
from nacl.public import PublicKey, SealedBox

from ccat.pat.errors import SealingError
from ccat.pat.untrusted import clean


def load_public_key(public_key_b64: str) -> PublicKey:
    """Decode a repository public key; raise `SealingError` if it is not usable."""
    try:
        return PublicKey(base64.b64decode(public_key_b64, validate=True))
    except (binascii.Error, CryptoError, ValueError, TypeError) as exc:
        # The key is public and safe to quote; the value never reaches this function.
        shown = clean(public_key_b64, 60)
        raise SealingError(f"not a valid base64 Curve25519 public key: {shown!r}") from exc


def seal(value: str, public_key_b64: str) -> str:
    """Encrypt ``value`` for ``public_key_b64``; return the base64 text GitHub expects."""
    sealed = SealedBox(load_public_key(public_key_b64)).encrypt(value.encode("utf-8"))
    return base64.b64encode(sealed).decode("ascii")
