"""The registry service: save, load, query, verify. Every surface calls these methods."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable
from typing import Any

import xxhash

from ..core import progress
from ..core.clock import Clock, SystemClock
from ..core.errors import InvalidRef, NotFound, UsageInputError
from ..core.events import canonical
from ..core.refs import Ref, parse_ref, validate_label
from ..storage.blobs import BlobStore
from ..storage.eventlog import EventLog
from ..storage.ports import Storage
from .audit import AuditMixin
from .datasets import DatasetsMixin
from .deployment import DeploymentMixin
from .diffs import DiffMixin
from .hooks import load_hooks, save_hooks
from .identity import clean_user, current_user
from .integrity import IntegrityMixin
from .lineage import LineageMixin
from .monitoring.service import MonitoringMixin
from .notebook_views import NotebookViewsMixin
from .permissions import PermissionsMixin
from .promotion import PromotionMixin
from .reproduce import ReproduceMixin
from .views import RegistryInfo, Version

__all__ = ["Registry", "manifest_bytes", "PROGRESS_MIN_BYTES"]

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


class Registry(LineageMixin, IntegrityMixin, PromotionMixin, DeploymentMixin, AuditMixin, ReproduceMixin,
               DatasetsMixin, DiffMixin, MonitoringMixin, PermissionsMixin, NotebookViewsMixin):
    """A registry of versioned assets over one storage backend."""

    def __init__(self, storage: Storage, *, user: str | None = None, clock: Clock | None = None,
                 checkpoint_every: int = 1000) -> None:
        self.storage = storage
        self.blobs = BlobStore(storage)
        self.clock = clock or SystemClock()
        self._user = clean_user(user) if user else None
        self.log = EventLog(storage, checkpoint_every=checkpoint_every, clock=self.clock)

    # -- identity & state ----------------------------------------------------------------------------
    @property
    def user(self) -> str:
        return self._user or current_user()

    @property
    def location(self) -> str:
        return self.storage.location

    @property
    def state(self) -> dict[str, Any]:
        self.log.refresh()
        return self.log.state

    def __repr__(self) -> str:
        st = self.log.state
        n = sum(len(a["versions"]) for a in st["assets"].values())
        return f"<Registry {self.location}: {len(st['assets'])} assets, {n} versions, {st['seq'] + 1} events>"

    def _repr_html_(self) -> str:
        from .html import esc
        return f"<b>Registry</b> <code>{esc(self.location)}</code>" + self.assets()._repr_html_()

    def _append(self, build: Callable[[dict[str, Any]], tuple[str, dict[str, Any]] | None]) -> Any:
        return self.log.append(build, self.user)

    # -- resolution ----------------------------------------------------------------------------------
    def _asset(self, ref: Ref, state: dict[str, Any] | None = None) -> dict[str, Any]:
        st = state if state is not None else self.state
        a = st["assets"].get(ref.asset)
        if a is None:
            raise NotFound(f"no asset {ref.asset} in the registry at {self.location}; "
                           f"see reg.assets() for what exists")
        return a

    def _resolve(self, ref: str | Ref, state: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the version record ``ref`` names (latest when it names no version)."""
        r = parse_ref(ref)
        a = self._asset(r, state)
        vs = a["versions"]
        sel = r.version
        if sel is None or sel == "latest":
            return vs[-1]
        if r.number is not None:
            if not 1 <= r.number <= len(vs):
                raise NotFound(f"{r.asset} has no version {r.number}; it has versions 1..{len(vs)}")
            return vs[r.number - 1]
        if sel in a["stages"]:
            return vs[a["stages"][sel] - 1]
        if sel in a["aliases"]:
            return vs[a["aliases"][sel] - 1]
        prefix = r.hash_prefix
        if prefix is not None:
            hits = [v for v in vs if v["content_hash"].split(":", 1)[1].startswith(prefix)]
            if len(hits) > 1 and len({v["content_hash"] for v in hits}) > 1:
                raise InvalidRef(f"hash prefix {prefix!r} is ambiguous in {r.asset}; give more digits")
            if hits:
                return hits[-1]
        raise NotFound(f"{r.asset} has no version, stage or alias {sel!r}"
                       f" (stages: {', '.join(a['stages']) or 'none'})")

    def _stage_of(self, rec: dict[str, Any], state: dict[str, Any] | None = None) -> str | None:
        st = state if state is not None else self.log.state
        a = st["assets"][f"{rec['kind']}:{rec['name']}"]
        at = [s for s, n in a["stages"].items() if n == rec["number"]]
        return at[-1] if at else None

    def _version(self, rec: dict[str, Any]) -> Version:
        return Version.from_record(rec, stage=self._stage_of(rec))

    # -- writing -------------------------------------------------------------------------------------
    def save(self, obj: Any, ref: str, *, params: dict[str, Any] | None = None,
             metrics: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
             inputs: Iterable[str] | None = None, tags: Iterable[str] | None = None, note: str = "",
             record: dict[str, Any] | None = None, **options: Any) -> Version:
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
        from ..storage.codecs import encode

        payload = encode(obj)  # UnsupportedType before anything is written
        st = self.state
        parent = st["assets"].get(r.asset, {}).get("versions", [None])[-1] if r.asset in st["assets"] else None
        hooks = save_hooks()
        unknown = set(options) - {k for hook in hooks for k in getattr(hook, "options", ())}
        if unknown:
            raise UsageInputError(f"save() got unknown option(s): {', '.join(sorted(unknown))}")
        extra: dict[str, Any] = {}
        for hook in hooks:
            for k, v in (hook(self, r.kind, obj, parent, options, payload=payload) or {}).items():
                if k == "blobs":  # several hooks may each reference record blobs
                    extra["blobs"] = [*extra.get("blobs", []), *v]
                else:
                    extra[k] = v

        content_hash, new_bytes = self._write_payload(payload, label=f"save {r.asset}")
        meta_hash = "xxh3-128:" + xxhash.xxh3_128_hexdigest(canonical({**meta, **extra}))

        def build(state: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
            a = state["assets"].get(r.asset)
            if a is not None:
                for v in a["versions"]:
                    if v["content_hash"] == content_hash and v["meta_hash"] == meta_hash:
                        return None
            number = 1 if a is None else len(a["versions"]) + 1
            data = {"kind": r.kind, "name": r.name, "number": number,
                    "parent": None if a is None else a["versions"][-1]["number"],
                    "content_hash": content_hash, "meta_hash": meta_hash, "object_type": payload.object_type,
                    "summary": payload.summary, "size": payload.nbytes, "new_bytes": new_bytes, **meta, **extra}
            return "VersionCreated", data

        event = self._append(build)
        if event is None:  # identical version exists
            a = self.state["assets"][r.asset]
            rec = next(v for v in a["versions"] if v["content_hash"] == content_hash and v["meta_hash"] == meta_hash)
            return self._version(rec)
        return self._version(self.log.state["assets"][r.asset]["versions"][event["data"]["number"] - 1])

    def _exact_inputs(self, inputs: Iterable[str]) -> list[str]:
        out = []
        for i in inputs:
            rec = self._resolve(str(i) if not isinstance(i, Version) else i.ref)
            exact = f"{rec['kind']}:{rec['name']}@{rec['number']}"
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
            results = self.blobs.put_many(datas) if len(datas) > 4 else [self.blobs.put(d) for d in datas]
        else:
            def put(d: Any) -> tuple[str, int]:
                out = self.blobs.put(d)
                bar.advance(memoryview(d).nbytes)
                return out
            with bar:
                results = list(self.blobs.pool.map(put, datas))
        entries = {k: cid for k, (cid, _) in zip(keys, results)}
        new_bytes = sum(n for _, n in results)
        cid, n = self.blobs.put(manifest_bytes(payload.object_type, entries))
        self.storage.sync()  # blob directory entries durable before the version is published
        return cid, new_bytes + n

    def tag(self, ref: str, tag: str) -> Version:
        rec = self._resolve(ref)
        validate_label(tag, "tag")
        self._append(lambda st: ("TagAdded", {"asset": f"{rec['kind']}:{rec['name']}", "number": rec["number"],
                                              "tag": tag}))
        return self.get(f"{rec['kind']}:{rec['name']}@{rec['number']}")

    def untag(self, ref: str, tag: str) -> Version:
        rec = self._resolve(ref)
        self._append(lambda st: ("TagRemoved", {"asset": f"{rec['kind']}:{rec['name']}", "number": rec["number"],
                                                "tag": tag}))
        return self.get(f"{rec['kind']}:{rec['name']}@{rec['number']}")

    # -- reading -------------------------------------------------------------------------------------
    def get(self, ref: str | Ref) -> Version:
        """The :class:`Version` ``ref`` names (``KIND:NAME`` alone means the latest)."""
        return self._version(self._resolve(ref))

    def manifest(self, ref: str | Ref) -> dict[str, Any]:
        rec = self._resolve(ref)
        return json.loads(self.blobs.get_cached(rec["content_hash"]))

    def open_zarr(self, ref: str | Ref) -> Any:
        """The version's zarr v3 group, read-only (chunks verified as they are read)."""
        from ..storage.zarrio import open_group
        return open_group(self.manifest(ref)["entries"], self.blobs)

    def load(self, ref: str | Ref, *, dest: str | os.PathLike[str] | None = None) -> Any:
        """Load the stored object. Files and directories are written under ``dest`` (default: a temp folder)."""
        from ..storage.codecs import decode
        from ..storage.fastread import DirectGroup

        rec = self._resolve(ref)
        group = DirectGroup(self.manifest(f"{rec['kind']}:{rec['name']}@{rec['number']}")["entries"], self.blobs)
        obj = decode(group, group.attrs["lifecycle"], dest)
        for hook in load_hooks():
            hook(self, rec, obj)
        return obj

    def versions(self, name: str) -> Any:
        """All versions of an asset as a DataFrame (``name`` is ``KIND:NAME`` or a unique ``NAME``)."""
        import pandas as pd

        a = self._asset(self._asset_ref(name))
        stage_of: dict[int, list[str]] = {}
        for s, n in a["stages"].items():
            stage_of.setdefault(n, []).append(s)
        rows = [{"ref": f"{v['kind']}:{v['name']}@{v['number']}", "version": v["number"],
                 "stage": ",".join(stage_of.get(v["number"], [])) or None,
                 "created_at": v["created_at"], "author": v["author"], "content_hash": v["content_hash"],
                 "type": v["object_type"], "size": v.get("size", 0), "tags": list(v.get("tags", [])),
                 "retired": bool(v.get("retired")), "note": v.get("note", ""), **{
                     f"metric.{k}": m for k, m in (v.get("metrics") or {}).items()}} for v in a["versions"]]
        return pd.DataFrame(rows)

    def _asset_ref(self, name: str) -> Ref:
        if ":" in name:
            return parse_ref(name.split("@", 1)[0])
        hits = [a for a in self.state["assets"] if a.split(":", 1)[1] == name]
        if len(hits) == 1:
            return parse_ref(hits[0])
        if not hits:
            raise NotFound(f"no asset named {name!r} in the registry at {self.location}")
        raise InvalidRef(f"{name!r} names several assets ({', '.join(hits)}); write KIND:NAME")

    def info(self) -> RegistryInfo:
        """Where this registry is and what it holds."""
        st = self.state
        assets = [{"asset": k, "versions": len(a["versions"]), "latest": a["versions"][-1]["number"],
                   "stages": dict(a["stages"])} for k, a in sorted(st["assets"].items())]
        return RegistryInfo(location=self.location, events=st["seq"] + 1, assets=assets)

    def assets(self, kind: str | None = None) -> Any:
        """Assets (optionally of one kind) as a DataFrame: latest version, stages, counts."""
        import pandas as pd

        rows = []
        for key, a in sorted(self.state["assets"].items()):
            if kind is not None and a["kind"] != kind:
                continue
            latest = a["versions"][-1]
            rows.append({"asset": key, "kind": a["kind"], "name": a["name"], "versions": len(a["versions"]),
                         "latest": latest["number"], "updated_at": latest["created_at"],
                         "stages": {s: n for s, n in a["stages"].items()}, "tags": sorted(
                             {t for v in a["versions"] for t in v.get("tags", [])})})
        return pd.DataFrame(rows, columns=["asset", "kind", "name", "versions", "latest", "updated_at",
                                           "stages", "tags"])


