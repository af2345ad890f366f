"""Signing keys: ECDSA P-256 key pairs (``cryptography``), one per person or CI bot.

A private key is a PEM file (PKCS#8, unencrypted, mode 0600); its public half is the one line
``ecdsa-p256:<base64 DER>`` a policy binds to a user (:mod:`lifecycle_ext.core.identity`). The key a process
signs with is, in order: the file ``$LIFECYCLE_KEY`` names (CI secrets), the ``signing_key=`` path given to
:func:`~lifecycle_ext.open_registry`, the user's default key (``$XDG_CONFIG_HOME/lifecycle/keys/default.key``,
else the only ``*.key`` there). Events are signed over their SHA-256 hash; checkpoints, anchors and releases
with the same key.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..core.errors import UsageInputError
from ..core.identity import KEY_PREFIX, fingerprint, public_key_der

__all__ = [
    "SigningKey",
    "create_key",
    "load_key",
    "find_key",
    "key_dir",
    "verify_signature",
    "public_key_pem",
]

_ALGO = ec.ECDSA(hashes.SHA256())


class SigningKey:
    """A private key that signs hex digests; ``public`` is its policy line, ``fingerprint`` its short id."""

    def __init__(self, private: ec.EllipticCurvePrivateKey, path: str | None = None) -> None:
        if not isinstance(private.curve, ec.SECP256R1):
            raise UsageInputError(f"the key {path or ''} is not an ECDSA P-256 key")
        self._private = private
        self.path = path
        der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public = KEY_PREFIX + base64.b64encode(der).decode()
        self.fingerprint = fingerprint(self.public)

    def sign(self, digest_hex: str) -> dict[str, str]:
        """``{"key": fingerprint, "value": base64 signature}`` over the bytes of ``digest_hex``."""
        sig = self._private.sign(bytes.fromhex(digest_hex), _ALGO)
        return {"key": self.fingerprint, "value": base64.b64encode(sig).decode()}

    def sign_bytes(self, data: bytes) -> bytes:
        return self._private.sign(data, _ALGO)

    def private_pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def __repr__(self) -> str:
        return f"SigningKey({self.fingerprint}, {self.path or 'in memory'})"


@lru_cache(maxsize=256)
def _public(line: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(public_key_der(line))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an EC public key")
    return key


def public_key_pem(line: str) -> bytes:
    """The PEM form of a public key line (what the ``model_signing`` CLI's ``verify key`` takes)."""
    return _public(line).public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def verify_signature(line: str, digest_hex: str, signature: object) -> bool:
    """True if ``signature`` (``{"key", "value"}``) is a valid signature of ``digest_hex`` by the key ``line``."""
    if not isinstance(signature, dict) or signature.get("key") != fingerprint(line):
        return False
    try:
        raw = base64.b64decode(str(signature.get("value", "")), validate=True)
        _public(line).verify(raw, bytes.fromhex(digest_hex), _ALGO)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def key_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "lifecycle" / "keys"


def create_key(name: str, output: str | os.PathLike[str] | None = None) -> SigningKey:
    """Make a new key pair; write the private key (0600, never over an existing file) and return it."""
    if not name or "/" in name or name.startswith("."):
        raise UsageInputError(f"key name {name!r} must be a plain file name")
    path = Path(output) if output is not None else key_dir() / f"{name}.key"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = SigningKey(ec.generate_private_key(ec.SECP256R1()), str(path))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageInputError(
            f"{path} exists; choose another --name or --output (keys are never overwritten)"
        ) from None
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_pem())
    return key


def load_key(path: str | os.PathLike[str]) -> SigningKey:
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UsageInputError(f"cannot read the signing key {p}: {exc.strerror or exc}") from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageInputError(f"{p} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise UsageInputError(f"{p} is not an ECDSA P-256 key")
    return SigningKey(private, str(p))


def find_key(signing_key: str | os.PathLike[str] | None = None) -> SigningKey | None:
    """The key this process signs with (see the module doc), or None when there is none."""
    env = os.environ.get("LIFECYCLE_KEY")
    if env:
        return load_key(env)
    if signing_key is not None:
        return load_key(signing_key)
    d = key_dir()
    if (d / "default.key").is_file():
        return load_key(d / "default.key")
    found = sorted(d.glob("*.key")) if d.is_dir() else []
    return load_key(found[0]) if len(found) == 1 else None
