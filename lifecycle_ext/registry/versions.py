"""Versions: save (encode, store chunks, record the creation event), tag, untag, get, manifest, load."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import xxhash

from ..core import progress
from ..core.doc_fields import validate_doc_fields
from ..core.errors import InvalidRef, NotFound, UsageInputError
from ..core.event_types import AliasSet, TagAdded, TagRemoved
from ..core.events import canonical
from ..core.records import VersionRecord
from ..core.refs import Ref, exact_ref, parse_ref, validate_label
from .context import EventSpec, Service, State
from .hooks import load_hooks, save_hooks
from .views.records import Version

if TYPE_CHECKING:
    import zarr

__all__ = ["VersionsService", "manifest_bytes", "PROGRESS_MIN_BYTES"]

_NUMBERLIKE = re.compile(r"v?[0-9]+")
_HEXLIKE = re.compile(r"[0-9a-f]+")

PROGRESS_MIN_BYTES = 8 << 20  # saves smaller than this report no progress (they take well under a second)


def manifest_bytes(object_type: str, entries: dict[str, str]) -> bytes:
    """The canonical manifest document; its content id is the version's content hash."""
    return canonical({"format": 1, "type": object_type, "entries": dict(sorted(entries.items()))})


def _jsonable(value: Any, what: str) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise UsageInputError(f"{what} must be JSON-able (no NaN/inf): {exc}") from None
    return value


def _metrics(metrics: dict[str, Any] | None) -> dict[str, float | int | bool]:
    out: dict[str, Any] = {}
    for k, v in (metrics or {}).items():
        if not isinstance(k, str):
            raise UsageInputError(f"metric names must be strings, got {k!r}")
        if hasattr(v, "item") and not isinstance(v, (int, float)):
            v = v.item()  # numpy scalar
        if not isinstance(v, (int, float, bool)) or (isinstance(v, float) and not math.isfinite(v)):
            raise UsageInputError(f"metric {k!r} must be a finite number, got {v!r}")
        out[k] = v
    return out


class VersionsService(Service):
    # -- writing -------------------------------------------------------------------------------------
    def save(
        self,
        obj: Any,
        ref: str,
        *,
        params: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        note: str = "",
        record: dict[str, Any] | None = None,
        **options: Any,
    ) -> Version:
        """Save ``obj`` as a new version of ``ref`` (``KIND:NAME``); return the :class:`Version`.

        Identical content with identical metadata returns the existing version instead of a copy.
        """
        r = parse_ref(ref)
        if r.version is not None:
            raise InvalidRef(f"save takes an asset (KIND:NAME), not a version: {ref!r}")
        meta = {
            "params": _jsonable(dict(params or {}), "params"),
            "metrics": _metrics(metrics),
            "metadata": _jsonable(dict(metadata or {}), "metadata"),
            "inputs": self._exact_inputs(inputs or []),
            "tags": sorted({validate_label(t, "tag") for t in (tags or [])}),
            "note": str(note or ""),
            "record": _jsonable(dict(record or {}), "record"),
        }
        validate_doc_fields(meta["metadata"])  # intended_use, out_of_scope_use, risks
        from ..storage.codecs import encode

        payload = encode(obj)  # UnsupportedType before anything is written
        st = self.ctx.state
        parent = st["assets"].get(r.asset, {}).get("versions", [None])[-1] if r.asset in st["assets"] else None
        hooks = save_hooks()
        unknown = set(options) - {k for hook in hooks for k in hook.options}
        if unknown:
            raise UsageInputError(f"save() got unknown option(s): {', '.join(sorted(unknown))}")
        extra: dict[str, Any] = {}
        for hook in hooks:
            for k, v in (hook.run(self.svc, r.kind, obj, parent, options, payload=payload) or {}).items():
                if k == "blobs":  # several hooks may each reference record blobs
                    extra["blobs"] = [*extra.get("blobs", []), *v]
                else:
                    extra[k] = v

        content_hash, new_bytes = self._write_payload(payload, label=f"save {r.asset}")
        meta_hash = "xxh3-128:" + xxhash.xxh3_128_hexdigest(canonical({**meta, **extra}))

        def build(state: State) -> EventSpec | None:
            a = state["assets"].get(r.asset)
            if a is not None:
                for v in a["versions"]:
                    if v["content_hash"] == content_hash and v["meta_hash"] == meta_hash:
                        return None
            number = 1 if a is None else len(a["versions"]) + 1
            data = {
                "kind": r.kind,
                "name": r.name,
                "number": number,
                "parent": None if a is None else a["versions"][-1]["number"],
                "content_hash": content_hash,
                "meta_hash": meta_hash,
                "object_type": payload.object_type,
                "summary": payload.summary,
                "size": payload.nbytes,
                "new_bytes": new_bytes,
                **meta,
                **extra,
            }
            return "VersionCreated", data

        event = self.ctx.append(build)
        if event is None:  # identical version exists
            a = self.ctx.state["assets"][r.asset]
            rec = next(v for v in a["versions"] if v["content_hash"] == content_hash and v["meta_hash"] == meta_hash)
            return self.ctx.version(rec)
        return self.ctx.version(self.ctx.log.state["assets"][r.asset]["versions"][event["data"]["number"] - 1])

    def _exact_inputs(self, inputs: Iterable[str]) -> list[str]:
        out = []
        for i in inputs:
            rec = self.ctx.resolve(str(i) if not isinstance(i, Version) else i.ref)
            exact = exact_ref(rec)
            if exact not in out:
                out.append(exact)
        return out

    def _write_payload(self, payload: Any, label: str = "save") -> tuple[str, int]:
        """Store chunks and metadata documents as blobs, then the manifest; return (content hash, new bytes)."""
        keys = [k for k, _ in payload.chunks] + list(payload.docs)
        datas = [d for _, d in payload.chunks] + list(payload.docs.values())
        total = payload.nbytes if isinstance(payload.nbytes, int) else 0
        bar = progress.task(label, total) if total >= PROGRESS_MIN_BYTES and progress.active() else None
        if bar is None:
            results = self.ctx.blobs.put_many(datas) if len(datas) > 4 else [self.ctx.blobs.put(d) for d in datas]
        else:

            def put(d: Any) -> tuple[str, int]:
                out = self.ctx.blobs.put(d)
                bar.advance(memoryview(d).nbytes)
                return out

            with bar:
                results = list(self.ctx.blobs.pool.map(put, datas))
        entries = {k: cid for k, (cid, _) in zip(keys, results)}
        new_bytes = sum(n for _, n in results)
        cid, n = self.ctx.blobs.put(manifest_bytes(payload.object_type, entries))
        self.ctx.storage.sync()  # blob directory entries durable before the version is published
        return cid, new_bytes + n

    def tag(self, ref: str, tag: str) -> Version:
        rec = self.ctx.resolve(ref)
        validate_label(tag, "tag")
        self.ctx.append(lambda st: TagAdded(asset=rec.asset, number=rec.number, tag=tag))
        return self.get(exact_ref(rec))

    def untag(self, ref: str, tag: str) -> Version:
        rec = self.ctx.resolve(ref)
        self.ctx.append(lambda st: TagRemoved(asset=rec.asset, number=rec.number, tag=tag))
        return self.get(exact_ref(rec))

    def alias(self, ref: str, alias: str) -> Version:
        """Point ``alias`` (e.g. ``champion``) of the version's asset at this version; ``KIND:NAME@alias`` then
        resolves to it. Moving an alias to another version is one event; the old target keeps its record."""
        rec = self.ctx.resolve(ref)
        name = self._alias_name(alias, rec)
        self.ctx.append(lambda st: AliasSet(asset=rec.asset, alias=name, number=rec.number))
        return self.get(rec.ref)

    def unalias(self, name: str, alias: str) -> None:
        """Remove ``alias`` from asset ``name`` (``KIND:NAME``)."""
        r = self.ctx.asset_ref(name)
        a = self.ctx.asset(r)
        if alias not in a["aliases"]:
            raise NotFound(f"{r.asset} has no alias {alias!r} (aliases: {', '.join(a['aliases']) or 'none'})")
        self.ctx.append(lambda st: AliasSet(asset=r.asset, alias=alias, number=None))

    def _alias_name(self, alias: str, rec: VersionRecord) -> str:
        name = validate_label(alias, "alias")
        stages = set(self.ctx.policy_in(self.ctx.state).stages_for(rec.kind))
        if name == "latest" or name in stages:
            raise UsageInputError(
                f"alias {name!r} would hide {'the latest version' if name == 'latest' else 'a stage'}"
                f" of {rec.asset}; choose another name"
            )
        if _NUMBERLIKE.fullmatch(name) or _HEXLIKE.fullmatch(name):
            raise UsageInputError(
                f"alias {name!r} looks like a version number or a content-hash prefix; "
                "choose a name with a non-hex letter (e.g. 'champion')"
            )
        return name

    # -- reading -------------------------------------------------------------------------------------
    def get(self, ref: str | Ref) -> Version:
        """The :class:`Version` ``ref`` names (``KIND:NAME`` alone means the latest)."""
        return self.ctx.version(self.ctx.resolve(ref))

    def manifest(self, ref: str | Ref) -> dict[str, Any]:
        rec = self.ctx.resolve(ref)
        doc: dict[str, Any] = json.loads(self.ctx.blobs.get_cached(rec["content_hash"]))
        return doc

    def open_zarr(self, ref: str | Ref) -> zarr.Group:
        """The version's zarr v3 group, read-only (chunks verified as they are read)."""
        from ..storage.zarrio import open_group

        return open_group(self.manifest(ref)["entries"], self.ctx.blobs)

    def load(self, ref: str | Ref, *, dest: str | os.PathLike[str] | None = None, trusted: Iterable[str] = ()) -> Any:
        """Load the stored object. Files and directories are written under ``dest`` (default: a temp folder);
        ``trusted`` names extra types a stored model may use (see :mod:`lifecycle_ext.storage.models.trust`)."""
        from ..storage.codecs import decode
        from ..storage.fastread import DirectGroup
        from ..storage.models.trust import trusted_types

        rec = self.ctx.resolve(ref)
        group = DirectGroup(self.manifest(exact_ref(rec))["entries"], self.ctx.blobs)
        if isinstance(trusted, str):
            trusted = [trusted]
        with trusted_types(*trusted):
            obj = decode(group, group.attrs["lifecycle"], dest)
        for hook in load_hooks():
            hook(self.svc, rec, obj)
        return obj
