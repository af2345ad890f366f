"""``lifecycle key create|show``: CLI-only commands for signing keys (no registry needed).

``lifecycle key create --name NAME [--output FILE]`` makes an ECDSA P-256 key pair, writes the private key
(0600; default ``$XDG_CONFIG_HOME/lifecycle/keys/NAME.key``) and prints the public key as the one line the
policy takes (``ecdsa-p256:...``). ``lifecycle key show`` prints the public key and fingerprint of the key in
use (``$LIFECYCLE_KEY``, else the user's default key); ``--pem`` prints the public key as PEM (what
``model_signing verify key --public_key`` reads).
"""

from __future__ import annotations

import argparse
from typing import Any

from .commands import Command

__all__ = ["CLI_EXTRA"]


def _setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=("create", "show"), help="create a key pair, or show the key in use")
    p.add_argument("--name", help="the key's name (create): its file is NAME.key in the keys folder")
    p.add_argument("--output", metavar="FILE", help="where to write the private key (create)")
    p.add_argument("--pem", action="store_true", help="print the public key as PEM (show)")


def _run(reg: Any, ns: argparse.Namespace) -> Any:
    from ..core.errors import UsageInputError
    from ..registry.keys import create_key, find_key, key_dir, public_key_pem

    if ns.what == "create":
        if not ns.name:
            raise UsageInputError("key create needs --name NAME")
        key = create_key(ns.name, ns.output)
        return {"public_key": key.public, "fingerprint": key.fingerprint, "file": key.path}
    key = find_key()
    if key is None:
        raise UsageInputError(
            f"no signing key in use: set $LIFECYCLE_KEY, or create one with `lifecycle key create` (in {key_dir()})"
        )
    if ns.pem:
        return public_key_pem(key.public).decode().rstrip("\n")
    return {"public_key": key.public, "fingerprint": key.fingerprint, "file": key.path}


def _text(result: Any) -> Any:
    return result


#: surface-only commands of the ``lifecycle`` CLI (not in the catalogue: they need no registry)
CLI_EXTRA: dict[str, Command] = {
    "key": Command("key", "create a signing key, or show the one in use", _setup, _run, needs_registry=False)
}
