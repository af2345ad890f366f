"""Files and directories (``pathlib.Path``): each file's bytes as a uint8 zarr array, read by memory map."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InvalidRef, UnsupportedType
from .payload import Payload, restore_array

__all__ = ["encode_path", "decode_path"]


def _read(path: Path) -> np.ndarray:
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=np.uint8)
    return np.memmap(path, dtype=np.uint8, mode="r")


def encode_path(path: Path) -> Payload:
    if path.is_symlink():
        raise UnsupportedType(f"{path} is a symbolic link; save the file it points to instead")
    if path.is_file():
        p = Payload("file")
        p.attrs["name"] = path.name
        p.attrs["files"] = [
            {"path": path.name, "mode": stat.S_IMODE(path.stat().st_mode), "data": p.add_array("f0", _read(path))}
        ]
        p.summary = {"name": path.name, "size": path.stat().st_size}
        p.finish()
        return p
    if not path.is_dir():
        raise UnsupportedType(f"path {path} does not exist or is not a regular file or directory")
    p = Payload("directory")
    files: list[dict[str, Any]] = []
    dirs: list[str] = []
    total = 0
    for root, dirnames, filenames in os.walk(path):
        dirnames.sort()
        rel_root = Path(root).relative_to(path)
        for d in dirnames:
            if (Path(root) / d).is_symlink():
                raise UnsupportedType(f"{Path(root) / d} is a symbolic link inside {path}; not stored")
            dirs.append((rel_root / d).as_posix())
        for name in sorted(filenames):
            full = Path(root) / name
            if full.is_symlink() or not full.is_file():
                raise UnsupportedType(f"{full} is a symbolic link or special file inside {path}; not stored")
            data = _read(full)
            total += data.nbytes
            files.append(
                {
                    "path": (rel_root / name).as_posix(),
                    "mode": stat.S_IMODE(full.stat().st_mode),
                    "data": p.add_array(f"f{len(files)}", data),
                }
            )
    p.attrs.update(name=path.name, files=files, dirs=dirs)
    p.summary = {"name": path.name, "files": len(files), "size": total}
    p.finish()
    return p


def _safe_join(base: Path, rel: str) -> Path:
    target = (base / rel).resolve()
    if rel.startswith("/") or ".." in Path(rel).parts or not str(target).startswith(str(base.resolve())):
        raise InvalidRef(f"stored path {rel!r} would escape the destination folder; refusing to write it")
    return target


def decode_path(group: Any, attrs: dict[str, Any], dest: Path) -> Path:
    """Write the stored file or directory under ``dest``; return the path of the restored object."""
    dest.mkdir(parents=True, exist_ok=True)
    top = _safe_join(dest, attrs["name"])
    base = dest if attrs["type"] == "file" else top
    if attrs["type"] == "directory":
        top.mkdir(exist_ok=True)
        for d in attrs.get("dirs", []):
            _safe_join(base, d).mkdir(parents=True, exist_ok=True)
    for f in attrs["files"]:
        target = _safe_join(base, f["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(restore_array(group, f["data"]).tobytes())
        os.chmod(target, f["mode"])
    return top
