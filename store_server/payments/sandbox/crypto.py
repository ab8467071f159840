"""RSA2 (SHA256withRSA, PKCS#1 v1.5) keys and signatures for the sandbox gateway.

This deliberately repeats the few lines the merchant client has in ``payments.gateway``: the
sandbox plays the third party, and two independent implementations agreeing in the tests is
part of what proves the protocol right.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(key: rsa.RSAPublicKey | rsa.RSAPrivateKey) -> str:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _armoured(text: str | bytes) -> tuple[bool, bytes]:
    # Alipay's console shows keys as bare base64; merchants paste them that way.
    data = text.encode() if isinstance(text, str) else text
    if b"-----BEGIN" in data:
        return True, data
    return False, base64.b64decode(b"".join(data.split()), validate=True)


def load_private_key(text: str | bytes) -> rsa.RSAPrivateKey:
    is_pem, data = _armoured(text)
    if is_pem:
        key = serialization.load_pem_private_key(data, password=None)
    else:
        key = serialization.load_der_private_key(data, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(text: str | bytes) -> rsa.RSAPublicKey:
    is_pem, data = _armoured(text)
    key = (
        serialization.load_pem_public_key(data)
        if is_pem
        else serialization.load_der_public_key(data)
    )
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def content_to_sign(params: Mapping[str, str], exclude: tuple[str, ...]) -> str:
    """Sorted raw ``k=v`` pairs joined by ``&``, without ``exclude`` and without empty values."""
    return "&".join(
        f"{k}={params[k]}" for k in sorted(params) if k not in exclude and params[k] != ""
    )


def sign(key: rsa.RSAPrivateKey, text: str) -> str:
    return base64.b64encode(
        key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    ).decode("ascii")


def verify(key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    try:
        key.verify(
            base64.b64decode(signature, validate=True),
            text.encode("utf-8"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True
