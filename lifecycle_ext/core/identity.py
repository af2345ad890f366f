"""Public keys as the policy writes them, and their fingerprints (standard library only; the cryptography lives
in :mod:`lifecycle_ext.registry.keys`).

A public key is one line ``ecdsa-p256:<base64 of the DER SubjectPublicKeyInfo>``; its fingerprint is
``sha256:<first 32 hex digits of the SHA-256 of that DER>``. Events and checkpoints name the key that signed
them by fingerprint (``{"signature": {"key": fingerprint, "value": base64 DER ECDSA signature}}``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache

__all__ = ["KEY_PREFIX", "public_key_der", "fingerprint"]

KEY_PREFIX = "ecdsa-p256:"


def public_key_der(line: str) -> bytes:
    """The DER bytes of a public key line; ValueError naming the problem when it is not one."""
    if not isinstance(line, str) or not line.startswith(KEY_PREFIX):
        raise ValueError(f"a public key must look like '{KEY_PREFIX}<base64>' (from `lifecycle key show`)")
    try:
        der = base64.b64decode(line[len(KEY_PREFIX) :].strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the public key's base64 part is not valid base64") from None
    if len(der) != 91:  # the SubjectPublicKeyInfo of an uncompressed P-256 point
        raise ValueError(f"the public key is {len(der)} bytes; an ECDSA P-256 public key is 91")
    return der


@lru_cache(maxsize=1024)
def fingerprint(line: str) -> str:
    return "sha256:" + hashlib.sha256(public_key_der(line)).hexdigest()[:32]
