"""A version as a plain zarr v3 hierarchy: a folder, or a ``.zip`` when the output path ends in ``.zip``.

Every key of the version's manifest is written with its blob's bytes (each verified against its content id as it
is read; written to a temporary name and renamed, so a failed export leaves nothing), so zarr-python opens the result with ``zarr.open_group(path, mode="r")`` and no part of lifecycle_ext.
The layout of each stored type (how a DataFrame's Arrow buffers are laid out, for instance) is documented in
``docs/storage.md``; the root group's ``lifecycle`` attribute says which layout it is.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from ...core.errors import UsageInputError
from . import ExportJob, ExportResult

__all__ = ["export_zarr"]


def export_zarr(job: ExportJob) -> ExportResult:
    out = job.output
    if out is None:
        raise UsageInputError("the zarr export writes a folder: give output=PATH")
    if out.exists() and (out.is_file() or any(out.iterdir())):
        raise UsageInputError(f"{out} exists and is not an empty folder; choose a new path")
    entries = job.services.versions.manifest(job.facts.ref)["entries"]
    blobs = job.services.ctx.blobs
    total = 0
    extra = {
        "lifecycle_export": {
            "ref": job.facts.ref,
            "registry": job.facts.namespace,
            "content_hash": job.facts.record.content_hash,
            "exported_at": job.facts.exported_at,
        }
    }
    if out.suffix == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp_zip = out.with_name(f".{out.name}.tmp")
        try:
            with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_STORED) as zf:
                for key, cid in sorted(entries.items()):
                    data = bytes(blobs.get(cid))
                    zf.writestr(key, _with_note(key, data, extra))
                    total += len(data)
            tmp_zip.replace(out)
        except BaseException:
            tmp_zip.unlink(missing_ok=True)
            raise
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
        try:
            for key, cid in sorted(entries.items()):
                data = bytes(blobs.get(cid))  # verified against its id: a corrupt blob stops the export here
                path = tmp / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(_with_note(key, data, extra))
                total += len(data)
            if out.exists():
                out.rmdir()  # empty, checked above
            tmp.rename(out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return ExportResult("zarr", job.facts.ref, (str(out),), summary={"keys": len(entries), "bytes": total})


def _with_note(key: str, data: bytes, note: dict[str, Any]) -> bytes:
    """The root ``zarr.json`` also says where the copy came from (the data keys are written unchanged)."""
    if key != "zarr.json":
        return data
    doc = json.loads(data)
    doc.setdefault("attributes", {}).update(note)
    return json.dumps(doc, indent=2).encode()
