"""Secrets the server must read back (webhook signing secrets), sealed at rest.

Passwords, PINs and tokens are only ever compared, so we keep their hashes. A webhook's signing
secret must be used to sign, so it is kept, but sealed (Fernet: AES-CBC with an HMAC) with the
instance's sealing key, which lives in the instance folder or ``PLAZA_SEALING_KEY`` and never
in the database: a copy of the database alone reveals no secret. Values written before sealing
existed are read as they are, and ``store-server webhooks seal-secrets`` seals them.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "sealed:v1:"


class SealError(RuntimeError):
    """A sealed value that this key cannot open: the instance's sealing key changed."""


def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def seal(key: str, secret: str) -> str:
    return PREFIX + _fernet(key).encrypt(secret.encode()).decode()


def unseal(key: str, stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before sealing; seal-secrets seals it
    try:
        return _fernet(key).decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken as exc:
        raise SealError("a sealed secret does not open with this instance's sealing key; give every "
                        "server the same PLAZA_SEALING_KEY (or instance folder)") from exc


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)
