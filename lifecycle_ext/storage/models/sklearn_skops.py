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
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from ...core.errors import IntegrityError, UntrustedType
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
    "check_trees",
    "canonical_members",
    "skops_file",
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


def _check(names: list[str], what: str, also: tuple[str, ...]) -> None:
    allowed = allowed_types()
    packages = TRUSTED_PACKAGES + also
    bad = [t for t in names if t not in allowed and not _own_class(t, packages)]
    if bad:
        raise UntrustedType(
            f"{what} uses type(s) that are not trusted: {', '.join(bad)}; nothing was loaded. If you trust "
            "this code, allow them: reg.load(ref, trusted=[...]) or "
            f"lifecycle_ext.allow_types({', '.join(repr(b) for b in bad)})",
            bad,
        )


def untrusted_types(data: bytes, also: tuple[str, ...] = ()) -> list[str]:
    """The type names in a skops file that would not be trusted now (empty: safe to load); ``also`` adds
    packages whose own classes are trusted (``("lightgbm",)`` for a LightGBM wrapper)."""
    sio = require("skops.io", EXTRA)
    try:
        _check(list(sio.get_untrusted_types(data=data)), "", also)
    except UntrustedType as exc:
        return exc.types
    return []


def load_trusted(data: bytes, what: str, also: tuple[str, ...] = ()) -> Any:
    """Load a skops file after checking every type it names; :class:`UntrustedType` (nothing built) if any
    type is not trusted. The file's object tree is read once: its types checked, then built."""
    sio = require("skops.io", EXTRA)
    with zipfile.ZipFile(io.BytesIO(data), "r") as zf:
        done, obj = _load_tree(zf, what, also)
    if done:
        return obj
    # another skops layout: the public functions (slower, same checks)
    _check(list(sio.get_untrusted_types(data=data)), what, also)
    return check_trees(sio.loads(data, trusted=sio.get_untrusted_types(data=data)), what)


def _load_tree(src: Any, what: str, also: tuple[str, ...]) -> tuple[bool, Any]:
    """skops's own steps of ``loads`` (0.16) over ``src`` (anything with ``read(name) -> bytes``), so the tree is
    built once rather than three times; (False, None) when this skops has another layout."""
    try:
        from skops.io._audit import get_tree
        from skops.io._utils import read_schema
    except ImportError:
        return False, None
    schema, load_context = read_schema(src)
    tree = get_tree(schema, load_context, trusted=None)
    _check(sorted(tree.get_unsafe_set()), what, also)  # raises before anything is built
    return True, check_trees(tree.construct(), what)


class _Stored:
    """The members of a stored skops file, read by name (what skops's loaders ask of a zip file)."""

    def __init__(self, schema: bytes, members: dict[str, Any]) -> None:
        self.members = {"schema.json": schema, **members}

    def read(self, name: str) -> bytes:
        try:
            return bytes(self.members[name])
        except KeyError:
            raise IntegrityError(f"the stored skops schema names a member {name!r} that is not stored") from None


def check_trees(obj: Any, what: str) -> Any:
    """Refuse decision trees whose node arrays would make scikit-learn read out of bounds (it indexes them
    without checks, which is why skops does not trust ``Tree`` by default); return ``obj``."""
    import numpy as np

    seen: set[int] = set()

    def bad(msg: str) -> IntegrityError:
        return IntegrityError(f"{what} holds a malformed decision tree ({msg}); refusing to use it")

    def tree(t: Any) -> None:
        n = int(t.node_count)
        left, right, feat = np.asarray(t.children_left), np.asarray(t.children_right), np.asarray(t.feature)
        if not (len(left) == len(right) == len(feat) == n) or np.asarray(t.value).shape[0] != n:
            raise bad("node arrays of different lengths")
        leaf = left == -1
        if not np.array_equal(leaf, right == -1):
            raise bad("a node with only one child")
        inner = ~leaf
        for child in (left[inner], right[inner]):
            if child.size and (child.min() < 1 or child.max() >= n):
                raise bad("a child index out of range")
        if feat[inner].size and (feat[inner].min() < 0 or feat[inner].max() >= int(t.n_features)):
            raise bad("a feature index out of range")

    def predictor(p: Any) -> None:
        nodes = np.asarray(p.nodes)
        n = len(nodes)
        inner = nodes["is_leaf"] == 0
        for key in ("left", "right"):
            child = nodes[key][inner]
            if child.size and (child.min() < 1 or child.max() >= n):
                raise bad("a child index out of range")

    def walk(o: Any, depth: int) -> None:
        if depth > 12 or id(o) in seen:
            return
        seen.add(id(o))
        name = type(o).__module__ + "." + type(o).__qualname__
        if name == "sklearn.tree._tree.Tree":
            tree(o)
        elif name == "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor":
            predictor(o)
        elif isinstance(o, (list, tuple)):
            for x in o:
                walk(x, depth + 1)
        elif isinstance(o, dict):
            for x in o.values():
                walk(x, depth + 1)
        elif isinstance(o, np.ndarray):
            if o.dtype == object:
                for x in o.ravel():
                    walk(x, depth + 1)
        elif type(o).__module__.split(".")[0] == "sklearn" and hasattr(o, "__dict__"):
            for x in vars(o).values():
                walk(x, depth + 1)

    walk(obj, 0)
    return obj


def sklearn_codec() -> Codec:
    return Codec(
        "sklearn",
        "scikit-learn estimator or Pipeline (skops)",
        _encode,
        _decode,
        types=("sklearn.base.BaseEstimator",),
    )


def _encode(est: Any) -> Payload:
    require("skops.io", EXTRA)
    sklearn = require("sklearn", EXTRA)
    schema, members, size = _dump(est)
    # the members of the skops zip (its numpy array files) back to back in one chunked array, with their
    # names and sizes: no zip headers (which hold timestamps), so equal models give equal chunks
    p = Payload("sklearn")
    p.attrs["schema"] = add_bytes(p, "schema", schema)
    p.attrs["members"] = [[name, len(view)] for name, view in members]
    p.attrs["data"] = add_bytes(p, "data", b"".join(members_view for _, members_view in members))
    p.summary = model_record(
        "scikit-learn",
        sklearn,
        "skops",
        est,
        format_version=str(getattr(require("skops", EXTRA), "__version__", "")),
        methods=methods_of(est),
        size=size,
    )
    names = getattr(est, "feature_names_in_", None)
    if names is not None:
        p.summary["feature_names"] = [str(n) for n in names]
    p.attrs["record"] = p.summary
    p.finish()
    return p


class _Members:
    """Stands in for the zip file skops writes to: keeps each member's bytes (no zip, no copy)."""

    def __init__(self) -> None:
        self.files: dict[str, Any] = {}

    def writestr(self, name: str, data: Any) -> None:
        self.files[name] = data

    def namelist(self) -> list[str]:
        return list(self.files)


def _dump(est: Any) -> tuple[bytes, list[tuple[str, memoryview]], int]:
    """(canonical schema, members, skops file size) of ``est``: skops's own steps of ``dumps`` (0.16), with the
    schema written by the C JSON encoder and no zip in between; any other skops: ``dumps`` and split it."""
    sio = require("skops.io", EXTRA)
    try:
        import skops
        from skops.io._utils import SaveContext, get_state
    except ImportError:
        data = sio.dumps(est)
        return (*canonical_members(data), len(data))
    box = _Members()
    ctx = SaveContext(zip_file=box)  # skops only calls writestr and namelist on it
    state = get_state(est, ctx)
    ctx.clear_memo()
    state["protocol"] = ctx.protocol
    state["_skops_version"] = skops.__version__
    text = json.dumps(state).encode()
    return _renumber(text, [(name, memoryview(data)) for name, data in box.files.items()])


def _renumber(text: bytes, files: list[tuple[str, memoryview]]) -> tuple[bytes, list[tuple[str, memoryview]], int]:
    numbers: dict[int, int] = {}

    def renumber(m: re.Match[bytes]) -> bytes:
        n = numbers.setdefault(int(m.group(2)), len(numbers))
        return m.group(1) + str(n).encode() + m.group(3)

    schema = _ID_OR_FILE.sub(renumber, text)
    members: list[tuple[int, str, memoryview]] = []
    for name, view in files:
        stem, _, ext = name.partition(".")
        if not stem.isdigit() or int(stem) not in numbers:
            raise ValueError(f"unexpected member {name!r} in the skops file")
        members.append((numbers[int(stem)], f"{numbers[int(stem)]}.{ext}", view))
    members.sort(key=lambda m: m[0])
    size = len(schema) + sum(len(v) for _, _, v in members)
    return schema, [(name, v) for _, name, v in members], size


def canonical_members(data: bytes) -> tuple[bytes, list[tuple[str, memoryview]]]:
    """A skops file as (canonical schema JSON, [(member name, bytes view)]) with deterministic names.

    skops names each array file and memo entry after ``id(obj)``; here ids are renumbered in order of first
    appearance in the schema, so equal models give equal bytes. Members are views into ``data`` (the zip is
    stored uncompressed), in the renumbered order."""
    view = memoryview(data)
    files: list[tuple[str, memoryview]] = []
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        text = src.read("schema.json")
        for info in src.infolist():
            if info.filename == "schema.json":
                continue
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"unexpected compressed member {info.filename!r} in the skops file")
            off = info.header_offset  # local header: 30 bytes, then the name and the extra field
            n_name, n_extra = struct.unpack("<HH", data[off + 26 : off + 30])
            begin = off + 30 + n_name + n_extra
            files.append((info.filename, view[begin : begin + info.file_size]))
    schema, members, _ = _renumber(text, files)
    return schema, members


def skops_file(schema: bytes, members: list[tuple[str, Any]]) -> bytes:
    """The skops file (a zip, stored) of a schema and its members, with fixed timestamps."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        dst.writestr(zipfile.ZipInfo("schema.json", _EPOCH), schema)
        for name, data in members:
            dst.writestr(zipfile.ZipInfo(name, _EPOCH), data)
    return out.getvalue()


_EPOCH = (1980, 1, 1, 0, 0, 0)
# skops's JSON text holds ids as `"__id__": N` and files as `"file": "N.npy"`; a string value holding such text
# has its quotes escaped, which the look-behind skips
_ID_OR_FILE = re.compile(rb'((?<!\\)"__id__": |(?<!\\)"file": ")([0-9]+)((?=[,\s}])|\.)')


def _decode(group: Any, attrs: dict[str, Any], dest: Path | None) -> Any:
    blob = memoryview(read_bytes(group, attrs["data"]))
    members, pos = [], 0
    for name, size in attrs["members"]:
        members.append((name, blob[pos : pos + size]))
        pos += size
    schema = read_bytes(group, attrs["schema"])
    what = "the stored scikit-learn model"
    done, obj = _load_tree(_Stored(schema, dict(members)), what, ())
    return obj if done else load_trusted(skops_file(schema, members), what)
