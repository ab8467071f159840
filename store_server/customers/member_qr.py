"""The member QR: a signed token a shopper shows at a till or kiosk, ``PLAZA-M1:<token>``.

The token carries the member's id, the key version of the member and the time it was issued,
signed with HMAC-SHA256 under a key only the server holds (``MEMBER_QR_KEY``, made in the
instance folder on first run). A screenshot cannot be used forever: a QR expires after
``MEMBER_QR_TTL_MINUTES`` (the app fetches a fresh one), and bumping the member's key version
revokes every QR issued before. Verification here is pure (no database); the service compares
the version and the expiry with the member row and says which check failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass

from retail.barcodes import MEMBER_QR_PREFIX
from store_server.errors import DomainError

# id (8 bytes), key version (4), issued at in Unix seconds (8): 20 bytes, 27 base64 characters.
_CLAIM = struct.Struct(">QIq")
# 128 bits of HMAC are plenty against forgery and keep the QR small enough to scan at a glance.
_SIGNATURE_BYTES = 16
# Signing a fixed label with the claim keeps these signatures useless for anything else.
_LABEL = b"plaza member qr v1\n"


class MemberQRRejected(DomainError):
    status = 422
    code = "member-qr-rejected"
    title = "The member QR is not accepted"


class MemberQRForged(MemberQRRejected):
    code = "member-qr-forged"
    title = "The member QR is not genuine"


class MemberQRRevoked(MemberQRRejected):
    code = "member-qr-revoked"
    title = "The member QR was revoked"


class MemberQRExpired(MemberQRRejected):
    code = "member-qr-expired"
    title = "The member QR has expired"


@dataclass(frozen=True, slots=True)
class MemberClaim:
    customer_id: int
    key_version: int
    issued_at: int  # Unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, claim_bytes: bytes) -> bytes:
    return hmac.new(key, _LABEL + claim_bytes, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def sign(key: bytes, claim: MemberClaim) -> str:
    """The scannable payload: ``PLAZA-M1:<claim>.<signature>``."""
    raw = _CLAIM.pack(claim.customer_id, claim.key_version, claim.issued_at)
    return f"{MEMBER_QR_PREFIX}{_b64(raw)}.{_b64(_signature(key, raw))}"


FORGED_DETAIL = ("this member QR was not issued by Plaza or was altered (its signature does not "
                 "match); ask the shopper to open the member QR in the Plaza app again")


def read(key: bytes, token: str) -> MemberClaim:
    """The claim of a genuine token (with or without the ``PLAZA-M1:`` prefix); else forged."""
    token = token.strip().removeprefix(MEMBER_QR_PREFIX)
    claim_text, dot, signature_text = token.partition(".")
    try:
        raw, signature = _unb64(claim_text), _unb64(signature_text)
    except (binascii.Error, ValueError) as exc:
        raise MemberQRForged(FORGED_DETAIL) from exc
    if not dot or len(raw) != _CLAIM.size or len(signature) != _SIGNATURE_BYTES:
        raise MemberQRForged(FORGED_DETAIL)
    if not hmac.compare_digest(signature, _signature(key, raw)):
        raise MemberQRForged(FORGED_DETAIL)
    return MemberClaim(*_CLAIM.unpack(raw))
