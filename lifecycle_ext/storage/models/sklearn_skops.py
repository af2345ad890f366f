"""scikit-learn estimators and pipelines as skops files, loaded with trusted types only.

A skops file describes the objects it holds; before anything is built from it the names of every type it uses
are checked. Trusted: what skops trusts by default, plus the classes of scikit-learn, numpy and scipy themselves
(a forest's ``sklearn.tree._tree.Tree`` included), plus types the user allows explicitly::

    reg.load("model:churn", trusted=["mypkg.features.Clip"])          # for this load
    with trusted_types("mypkg.features.Clip"): reg.load("model:churn")  # for a block
    allow_types("mypkg.features.Clip")                                  # for the process

Any other type makes the load fail with :class:`~lifecycle_ext.core.errors.UntrustedType` naming it; nothing of
that file is built or executed.
"""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from ...core.errors import UntrustedType
from ..codecs import Codec
from ..payload import Payload
from . import add_bytes, methods_of, model_record, read_bytes, require
from .trust import allow_types, allowed_types, trusted_types

__all__ = [
    "sklearn_codec",
    "allow_types",
    "trusted_types",
    "untrusted_types",
    "load_trusted",
    "canonical_skops",
    "TRUSTED_PACKAGES",
]

EXTRA = "sklearn"
TRUSTED_PACKAGES = ("sklearn", "numpy", "scipy")


def _own_class(name: str, packages: tuple[str, ...] = TRUSTED_PACKAGES) -> bool:
    """A class of scikit-learn, numpy or scipy themselves (resolved by importing only those packages)."""
    if name.split(".")[0] not in packages:
        return False
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
        return isinstance(obj, type) and obj.__module__.split(".")[0] in packages
    return False


def untrusted_types(data: bytes, also: tuple[str, ...] = ()) -> list[str]:
    """The type names in a skops file that would not be trusted now (empty: safe to load); ``also`` adds
    packages whose own classes are trusted (``("lightgbm",)`` for a LightGBM wrapper)."""
    sio = require("skops.io", EXTRA)
    allowed = allowed_types()
    packages = TRUSTED_PACKAGES + also
    return [t for t in sio.get_untrusted_types(data=data) if t not in allowed and not _own_class(t, packages)]


def load_trusted(data: bytes, what: str, also: tuple[str, ...] = ()) -> Any:
    """Load a skops file after checking every type it names; :class:`UntrustedType` (nothing built) if any
    type is not trusted."""
    sio = require("skops.io", EXTRA)
    bad = untrusted_types(data, also)
    if bad:
        raise UntrustedType(
            f"{what} uses type(s) that are not trusted: {', '.join(bad)}; nothing was loaded. If you trust "
            "this code, allow them: reg.load(ref, trusted=[...]) or "
            f"lifecycle_ext.allow_types({', '.join(repr(b) for b in bad)})",
            bad,
        )
    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))  # every type was checked just above


def sklearn_codec() -> Codec:
    return Codec(
        "sklearn",
        "scikit-learn estimator or Pipeline (skops)",
        _encode,
        _decode,
        types=("sklearn.base.BaseEstimator",),
    )


def _encode(est: Any) -> Payload:
    sio = require("skops.io", EXTRA)
    sklearn = require("sklearn", EXTRA)
    data = canonical_skops(sio.dumps(est))  # zip, uncompressed: equal arrays give equal chunks across versions
    p = Payload("sklearn")
    p.attrs["model"] = add_bytes(p, "model", data)
    p.summary = model_record(
        "scikit-learn",
        sklearn,
        "skops",
        est,
        format_version=str(getattr(require("skops", EXTRA), "__version__", "")),
        methods=methods_of(est),
        size=len(data),
    )
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        p.summary["feature_names"] = [str(n) for n in names]
    p.attrs["record"] = p.summary
    p.finish()
    return p


def canonical_skops(data: bytes) -> bytes:
    """The same skops file with deterministic names and timestamps, so equal models give equal bytes.

    skops names each array file and memo entry after ``id(obj)`` and stamps entries with the current time;
    here ids are renumbered in order of first appearance in the schema and every timestamp is 1980-01-01."""
    numbers: dict[int, int] = {}

    def renumber(n: int) -> int:
        return numbers.setdefault(n, len(numbers))

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for k, v in node.items():
                if k == "__id__" and isinstance(v, int):
                    out[k] = renumber(v)
                elif k == "file" and isinstance(v, str) and v.split(".")[0].isdigit():
                    stem, _, ext = v.partition(".")
                    out[k] = f"{renumber(int(stem))}.{ext}"
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    src = zipfile.ZipFile(io.BytesIO(data))
    schema = walk(json.loads(src.read("schema.json")))
    entries: list[tuple[str, str]] = []  # (new name, old name)
    for info in src.infolist():
        stem, _, ext = info.filename.partition(".")
        if info.filename != "schema.json":
            if not stem.isdigit() or int(stem) not in numbers:
                return data  # a layout this function does not know: keep skops's own bytes
            entries.append((f"{numbers[int(stem)]}.{ext}", info.filename))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        dst.writestr(zipfile.ZipInfo("schema.json", _EPOCH), json.dumps(schema, indent=2).encode())
        for new, old in sorted(entries, key=lambda e: int(e[0].split(".")[0])):
            with src.open(old) as f:
                dst.writestr(zipfile.ZipInfo(new, _EPOCH), f.read())
    return out.getvalue()


_EPOCH = (1980, 1, 1, 0, 0, 0)


def _decode(group: Any, attrs: dict[str, Any], dest: Path | None) -> Any:
    return load_trusted(read_bytes(group, attrs["model"]), "the stored scikit-learn model")
