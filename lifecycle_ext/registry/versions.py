"""Versions: save (encode, store chunks, record the creation event), tag, untag, get, manifest, load."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import xxhash

from ..core import progress
from ..core.doc_fields import validate_doc_fields
from ..core.errors import Erased, IntegrityError, InvalidRef, NotFound, UsageInputError
from ..core.event_types import AliasSet, TagAdded, TagRemoved
from ..core.events import canonical
from ..core.records import VersionRecord
from ..core.refs import Ref, exact_ref, parse_ref, validate_label
from ..storage import digests as content_digests
from ..storage.blobs import content_id
from .context import EventSpec, Service, State
from .hooks import load_hooks, save_hooks, saved_hooks
from .views.records import Version

if TYPE_CHECKING:
    import zarr

__all__ = ["VersionsService", "manifest_bytes", "PROGRESS_MIN_BYTES", "readable"]

_NUMBERLIKE = re.compile(r"v?[0-9]+")
_HEXLIKE = re.compile(r"[0-9a-f]+")

PROGRESS_MIN_BYTES = 8 << 20  # saves smaller than this report no progress (they take well under a second)


def manifest_bytes(object_type: str, entries: dict[str, str], digests: dict[str, str] | None = None) -> bytes:
    """The canonical manifest document; its content id is the version's content hash."""
    body: dict[str, Any] = {"format": 1, "type": object_type, "entries": dict(sorted(entries.items()))}
    if digests is not None:  # entry -> "blake3:<hex>": a cryptographic digest of each blob (xxh3 is the dedup id)
        body["digests"] = dict(sorted(digests.items()))
    return canonical(body)


def readable(rec: Any) -> Any:
    """``rec`` itself, or :class:`Erased` naming the event, the reason and the redacted successor."""
    gone = rec.get("erased")
    if gone:
        succ = gone.get("successor")
        asset = f"{rec['kind']}:{rec['name']}"
        raise Erased(exact_ref(rec), gone["seq"], gone.get("reason", ""), f"{asset}@{succ}" if succ else None)
    return rec


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


_RUN_FACTS = ("run_id", "started_at", "duration_s", "execution_count", "notebook", "status")


def _rerun_of(a: dict[str, Any], content_hash: str, meta: dict[str, Any]) -> dict[str, Any] | None:
    """The version a tracked run reproduces unchanged: same content, params, metadata, inputs, output variable
    and cell source (the run's own facts, its time and id, differ on every run). Newest first."""
    rec = meta["record"]
    if not rec.get("tracked") or not rec.get("source_hash"):
        return None
    for v in reversed(a["versions"]):
        found: dict[str, Any] = v
        old = found.get("record") or {}
        if (
            v["content_hash"] == content_hash
            and old.get("tracked")
            and old.get("source_hash") == rec["source_hash"]
            and old.get("output_var") == rec.get("output_var")
            and (v.get("params") or {}) == meta["params"]
            and (v.get("metadata") or {}) == meta["metadata"]
            and list(v.get("inputs") or []) == meta["inputs"]
        ):
            return found
    return None


def _run_facts(meta: dict[str, Any]) -> dict[str, Any]:
    rec = meta["record"]
    return {k: rec.get(k) for k in _RUN_FACTS}


#: payloads at least this large are written while the save hooks run (below it a thread costs more than it saves)
CONCURRENT_SAVE_BYTES = 8 << 20


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
        if parent is not None and parent.get("erased"):  # its chunks are gone: keep only its declarations
            parent = {k: parent[k] for k in ("kind", "name", "number", "dataset", "metadata") if k in parent}
        if r.kind == "dataset":  # a new dataset version keeps its parent's declarations; None removes a key
            inherited = {**((parent or {}).get("metadata") or {}), **meta["metadata"]}
            meta["metadata"] = {k: v for k, v in inherited.items() if v is not None}
        hooks = save_hooks()
        unknown = set(options) - {k for hook in hooks for k in hook.options}
        if unknown:
            raise UsageInputError(f"save() got unknown option(s): {', '.join(sorted(unknown))}")
        write = functools.partial(self._write_payload, payload, label=f"save {r.asset}", parent=parent)
        # A large payload's chunks are written while the save hooks profile the object (a dataset's monitoring
        # baseline costs about as much CPU as compressing its chunks). A hook that refuses the save then leaves
        # unreferenced chunks behind, which `gc` removes; no version or event is written.
        nbytes = payload.nbytes if isinstance(payload.nbytes, int) else 0
        # a thread of its own, not the blob pool: the write itself maps its chunks over that pool
        writer = ThreadPoolExecutor(1, "lifecycle-save") if hooks and nbytes >= CONCURRENT_SAVE_BYTES else None
        written = writer.submit(write) if writer is not None else None
        extra: dict[str, Any] = {}
        try:
            for hook in hooks:
                for k, v in (hook.run(self.svc, r.kind, obj, parent, options, payload=payload) or {}).items():
                    if k == "blobs":  # several hooks may each reference record blobs
                        extra["blobs"] = [*extra.get("blobs", []), *v]
                    else:
                        extra[k] = v
        except BaseException:
            if writer is not None:
                writer.shutdown(wait=True)  # no write keeps running behind the error
            raise
        schema = (extra.get("dataset") or {}).get("schema")
        if schema and schema not in meta["inputs"]:  # the label schema a dataset declared is a lineage edge
            meta["inputs"] = [*meta["inputs"], schema]

        if writer is not None and written is not None:
            writer.shutdown(wait=False)  # the thread exits once the write is done
            content_hash, new_bytes = written.result()
        else:
            content_hash, new_bytes = write()
        meta_hash = "xxh3-128:" + xxhash.xxh3_128_hexdigest(canonical({**meta, **extra}))

        def build(state: State) -> EventSpec | None:
            a = state["assets"].get(r.asset)
            if a is not None:
                for v in a["versions"]:
                    if v["content_hash"] == content_hash and v["meta_hash"] == meta_hash:
                        return None
                same = _rerun_of(a, content_hash, meta)
                if same is not None:
                    return "VersionRerun", {"asset": r.asset, "number": same["number"], "run": _run_facts(meta)}
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
        rerun = event is not None and event["type"] == "VersionRerun"
        if event is None:  # identical version exists
            a = self.ctx.state["assets"][r.asset]
            rec = next(v for v in a["versions"] if v["content_hash"] == content_hash and v["meta_hash"] == meta_hash)
        elif rerun:
            rec = self.ctx.log.state["assets"][r.asset]["versions"][event["data"]["number"] - 1]
        else:
            rec = self.ctx.log.state["assets"][r.asset]["versions"][event["data"]["number"] - 1]
        for saved in saved_hooks():
            saved(self.svc, rec, obj)
        v = self.ctx.version(rec)
        return dataclasses.replace(v, rerun=True) if rerun else v

    def _exact_inputs(self, inputs: Iterable[str]) -> list[str]:
        out = []
        for i in inputs:
            rec = self.ctx.resolve(str(i) if not isinstance(i, Version) else i.ref)
            exact = exact_ref(rec)
            if exact not in out:
                out.append(exact)
        return out

    def _write_payload(
        self, payload: Any, label: str = "save", parent: dict[str, Any] | None = None
    ) -> tuple[str, int]:
        """Store chunks and metadata documents as blobs, then the manifest; return (content hash, new bytes).

        Chunks the parent version's manifest lists are known to be stored: no request is made for them. A float
        chunk that replaces the parent's chunk at the same position may be stored as a delta against it."""
        blobs = self.ctx.blobs
        before: dict[str, str] = {}
        known_digests: dict[str, str] = {}  # chunk id -> the parent manifest's digest of that chunk
        if parent is not None and parent.get("object_type") == payload.object_type:
            try:
                manifest = json.loads(blobs.get_cached(parent["content_hash"]))
                before = manifest["entries"]
                parent_digests = manifest.get("digests", {})
                known_digests = {cid: parent_digests[k] for k, cid in before.items() if k in parent_digests}
            except (NotFound, IntegrityError, KeyError, ValueError, TypeError):
                before, known_digests = {}, {}  # an unreadable parent manifest only costs the shortcuts
        known = frozenset(before.values())
        elements = getattr(payload, "elements", {})
        jobs: list[tuple[str, Any, int, str | None]] = []
        for key, data in payload.chunks:
            width, floating = elements.get(key.rpartition("/c")[0], (1, False))
            jobs.append((key, data, width, before.get(key) if floating else None))
        jobs += [(key, doc, 1, None) for key, doc in payload.docs.items()]
        total = payload.nbytes if isinstance(payload.nbytes, int) else 0
        bar = progress.task(label, total) if total >= PROGRESS_MIN_BYTES and progress.active() else None

        # Each chunk's content digest (BLAKE3: what signatures cover) is computed by the writer that stores it,
        # while the disk writes it (``meanwhile``): the bytes are still in the CPU cache from the write and the
        # disk is not left waiting for the hash. A chunk the parent stores keeps the parent's digest of it
        # (unchanged chunks cost no hashing on a re-save), unless that digest is of an older algorithm (SHA-256):
        # a manifest then depends on its content alone, as `content_hash()` computes.
        def put(job: tuple[str, Any, int, str | None]) -> tuple[str, int, str]:
            # the content id stays xxh3-128 of the chunk's own bytes (compression is below it)
            _, data, width, base = job
            cid = content_id(data)
            reused = known_digests.get(cid)
            computed: list[str] = []

            def hash_it() -> None:
                computed.append(content_digests.digest(data))

            reuse = content_digests.is_current(reused)
            cid, n = blobs.put(
                data, itemsize=width, base=base, known=known, cid=cid, meanwhile=None if reuse else hash_it
            )
            if bar is not None:
                bar.advance(memoryview(data).nbytes)
            return cid, n, str(reused) if reuse else computed[0]

        if bar is None:
            results = list(blobs.pool.map(put, jobs)) if len(jobs) > 4 else [put(j) for j in jobs]
        else:
            with bar:
                results = list(blobs.pool.map(put, jobs))
        entries = {job[0]: cid for job, (cid, _, _) in zip(jobs, results)}
        digests = {job[0]: digest for job, (_, _, digest) in zip(jobs, results)}
        new_bytes = sum(n for _, n, _ in results)
        cid, n = blobs.put(manifest_bytes(payload.object_type, entries, digests))
        self.ctx.storage.sync()  # blob directory entries durable before the version is published
        return cid, new_bytes + n

    def store_payload(self, payload: Any, label: str = "save") -> tuple[str, int]:
        """Store an encoded payload with no parent (no chunk stored as a delta); return (content hash, new bytes)."""
        return self._write_payload(payload, label=label, parent=None)

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

        return open_group(self.manifest(exact_ref(readable(self.ctx.resolve(ref))))["entries"], self.ctx.blobs)

    def load(self, ref: str | Ref, *, dest: str | os.PathLike[str] | None = None, trusted: Iterable[str] = ()) -> Any:
        """Load the stored object. Files and directories are written under ``dest`` (default: a temp folder);
        ``trusted`` names extra types a stored model may use (see :mod:`lifecycle_ext.storage.models.trust`)."""
        from ..storage.codecs import decode
        from ..storage.fastread import DirectGroup
        from ..storage.models.trust import trusted_types

        rec = readable(self.ctx.resolve(ref))
        group = DirectGroup(self.manifest(exact_ref(rec))["entries"], self.ctx.blobs)
        if isinstance(trusted, str):
            trusted = [trusted]
        with trusted_types(*trusted):
            obj = decode(group, group.attrs["lifecycle"], dest)
        for hook in load_hooks():
            hook(self.svc, rec, obj)
        return obj
