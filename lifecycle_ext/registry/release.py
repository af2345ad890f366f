"""Releases anyone can verify with a standard tool: a version's files plus an OpenSSF model-signing signature.

``reg.release(ref, output=DIR)`` writes the version's stored files (its zarr v3 store: open it with
``zarr.open_group(DIR)``, or ``reg``-less with any zarr reader) and ``lifecycle-version.json`` (ref, content
hash, the manifest's BLAKE3 (or older SHA-256) digest of every file, metrics, params, metadata) under ``DIR``, then signs ``DIR`` with the process's key in the
OpenSSF model-signing format (``DIR/model.sig``, a Sigstore bundle). The signer's public key goes beside the
folder as ``DIR.pub.pem``. Anybody can check it without this package::

    model_signing verify key DIR --signature DIR/model.sig --public_key DIR.pub.pem

Changing one byte of any file makes that fail. Needs the ``release`` extra (``model-signing``, ``pyopenssl``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from ..core.errors import IntegrityError, UsageInputError
from ..core.refs import exact_ref
from ..storage import digests as content_digests
from .context import Service
from .keys import public_key_pem

__all__ = ["ReleaseService", "SIGNATURE_FILE"]

SIGNATURE_FILE = "model.sig"


class ReleaseService(Service):
    def release(self, ref: str, output: str | os.PathLike[str]) -> dict[str, Any]:
        """Write ``ref``'s files and an OpenSSF model-signing signature to the new folder ``output``."""
        key = self.ctx.key
        if key is None:
            raise UsageInputError(
                "release needs a signing key: `lifecycle key create --name NAME`, then $LIFECYCLE_KEY or "
                "open_registry(..., signing_key=PATH)"
            )
        try:
            from model_signing import signing
        except ImportError:
            raise UsageInputError(
                "release needs the model-signing package: pip install 'lifecycle-ext[release]'"
            ) from None
        rec = self.ctx.resolve(ref)
        exact = exact_ref(rec)
        out = Path(output)
        if out.exists() and any(out.iterdir()):
            raise UsageInputError(f"{out} exists and is not empty; give a new folder for the release")
        manifest = self.svc.versions.manifest(exact)
        digests = manifest.get("digests", {})
        out.mkdir(parents=True, exist_ok=True)
        for name, cid in manifest["entries"].items():
            rel = PurePosixPath(name)
            if rel.is_absolute() or ".." in rel.parts:
                raise IntegrityError(f"manifest entry {name!r} of {exact} is not a safe relative path")
            data = self.ctx.blobs.get(cid)
            recorded = digests.get(name)
            if recorded is None:  # a manifest from before digests: the release still names every file's digest
                digests[name] = content_digests.digest(data)
            elif not content_digests.matches(recorded, data):
                raise IntegrityError(f"{exact}: {name} does not match its digest in the manifest ({recorded})")
            target = out.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        about = {
            "ref": exact,
            "content_hash": rec["content_hash"],
            "digests": dict(sorted(digests.items())),
            "metrics": rec.get("metrics") or {},
            "params": rec.get("params") or {},
            "metadata": rec.get("metadata") or {},
            "signer": {"user": self.ctx.user, "public_key": key.public, "fingerprint": key.fingerprint},
        }
        (out / "lifecycle-version.json").write_text(json.dumps(about, indent=1, sort_keys=True) + "\n")
        with tempfile.TemporaryDirectory() as tmp:
            pem = key.path
            if pem is None:
                pem = os.path.join(tmp, "signing.key")
                Path(pem).write_bytes(key.private_pem())
            config_class: Any = signing.Config  # model-signing ships no type hints
            config_class().use_elliptic_key_signer(private_key=pem).sign(out, out / SIGNATURE_FILE)
        pub = out.with_name(out.name + ".pub.pem")
        pub.write_bytes(public_key_pem(key.public))
        return {
            "ref": exact,
            "output": str(out),
            "signature": str(out / SIGNATURE_FILE),
            "public_key": str(pub),
            "files": len(manifest["entries"]) + 1,
            "signer": key.fingerprint,
            "verify": f"model_signing verify key {out} --signature {out / SIGNATURE_FILE} --public_key {pub}",
        }
