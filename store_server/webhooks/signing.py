"""Signing webhook bodies, and the check a receiver runs (Stripe's scheme, with our header name).

``Plaza-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``. The
timestamp is inside the MAC so a captured request cannot be replayed later with a fresh
header; the receiver refuses signatures older than its tolerance. Several ``v1`` entries may
appear (during a secret rotation); one that matches is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Plaza-Signature"
EVENT_ID_HEADER = "Plaza-Event-Id"
# The X-Request-Id of the API request that caused the event, when one did.
REQUEST_ID_HEADER = "Plaza-Request-Id"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex ``v1`` value for ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Plaza-Signature`` header value for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"


def verify_signature(secret: str, header: str | None, body: bytes, tolerance_s: int = 300,
                     now: float | None = None) -> bool:
    """True when ``header`` signs exactly ``body`` with ``secret`` within ``tolerance_s``.

    Pass the raw request body, byte for byte, before any JSON parsing: re-serialised JSON
    would not match. Deduplicate by the body's ``id`` after this check, not before.
    """
    if not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    # compare_digest: the time taken must not tell an attacker how many characters matched.
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
