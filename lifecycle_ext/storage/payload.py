"""A payload: one artifact laid out as a zarr v3 group of arrays, ready to become blobs + a manifest."""

from __future__ import annotations

from typing import Any

import numpy as np

from .zarrio import array_metadata, array_spec, group_metadata, iter_chunks

__all__ = ["Payload", "element_of"]


class Payload:
    """Collects zarr metadata documents and chunk bytes; ``attrs`` become the root group's attributes."""

    def __init__(self, object_type: str) -> None:
        self.object_type = object_type
        self.attrs: dict[str, Any] = {}
        self.summary: dict[str, Any] = {}
        self.docs: dict[str, bytes] = {}
        self.chunks: list[tuple[str, memoryview]] = []
        self.elements: dict[str, tuple[int, bool]] = {}
        """array path -> (element width in bytes, floating point?): how its chunks are best compressed"""
        self.nbytes = 0

    def add_array(self, path: str, arr: np.ndarray, *, element: tuple[int, bool] | None = None) -> dict[str, Any]:
        """Lay ``arr`` out under ``path``; return what is needed to restore its exact dtype.

        ``element`` (width in bytes, floating point?) describes the values when ``arr`` holds them as raw bytes
        (a DataFrame column's Arrow buffer); it only guides compression, never what is stored."""
        spec, stored = array_spec(arr)
        self.elements[path] = element or element_of(arr.dtype)
        self.docs[f"{path}/zarr.json"] = array_metadata(spec)
        for key, data in iter_chunks(spec, stored):
            self.chunks.append((f"{path}/{key}", data))
        self.nbytes += arr.nbytes
        info: dict[str, Any] = {"path": path, "dtype": np.lib.format.dtype_to_descr(arr.dtype)}
        if spec.raw:
            info["raw"] = True
        return info

    def finish(self) -> None:
        root = {"lifecycle": {"type": self.object_type, **self.attrs}}
        self.docs["zarr.json"] = group_metadata(root)


def element_of(dtype: np.dtype) -> tuple[int, bool]:
    """(bytes per number, floating point?) for byte grouping: complex numbers group by their parts, strings
    by character, structured and other raw dtypes not at all."""
    if dtype.kind in "fc":
        return dtype.itemsize // (2 if dtype.kind == "c" else 1), True
    if dtype.kind in "iumM":
        return dtype.itemsize, False
    if dtype.kind == "U":
        return 4, False
    return 1, False


def restore_array(group: Any, info: dict[str, Any]) -> np.ndarray:
    """Read an array written by :meth:`Payload.add_array` with its exact dtype."""
    descr: Any = info["dtype"] if isinstance(info["dtype"], str) else _fields(info["dtype"])
    dtype = np.lib.format.descr_to_dtype(descr)
    data = np.asarray(group[info["path"]][...])
    if info.get("raw"):
        data = data.reshape(-1).view(dtype).reshape(data.shape[:-1])
    elif data.dtype != dtype:
        data = data.astype(dtype)
    return data


def _fields(descr: list[Any]) -> list[tuple[Any, ...]]:
    """JSON turned the structured-dtype descr's tuples into lists; turn them back."""
    out = []
    for f in descr:
        name = tuple(f[0]) if isinstance(f[0], list) else f[0]
        fmt = _fields(f[1]) if isinstance(f[1], list) else f[1]
        out.append((name, fmt, tuple(f[2])) if len(f) > 2 else (name, fmt))
    return out
