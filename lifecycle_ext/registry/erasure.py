"""Erasure of rows across dataset versions, and retention, without breaking the audit trail.

``reg.erase("dataset:patients", keys=[...], reason=, basis=)``: every version of the dataset (and of datasets
derived from it through recorded lineage) that holds any of the keys gets a redacted successor version (the same
declarations, the rows removed, its monitoring baseline and correction record recomputed), then one
``ContentErased`` event records who, when, why, on what legal basis, the rows removed per version, an HMAC of
each key (never the keys), the blobs removed and the successors; then the blobs that held the erased rows are
deleted. Row-level records of kept versions (correction records, removed-key lists) that name an erased key are
replaced by filtered copies listed in the event.

Order, for crash safety: successors (each an ordinary, idempotent save), filtered record copies, chunks stored as
deltas against a blob about to go re-stored on their own, then the event, then the deletions. A crash before the
event leaves extra but valid versions that the next run reuses; a crash after it leaves blobs the event lists,
which the next ``erase`` (or :meth:`ErasureService.resume`) deletes first.

Retention (the policy's ``[retention]`` section, :mod:`lifecycle_ext.core.retention_policy`):
:meth:`ErasureService.retention` lists dataset versions past their retention; ``apply=True`` erases every row
of each through the same path (no successor).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..core.clock import parse_time
from ..core.errors import NotFound, PermissionDenied, UsageInputError
from ..core.event_types import ContentErased, ErasureAccepted
from ..core.events import canonical
from ..core.refs import exact_ref, parse_ref
from ..core.retention_policy import due_versions
from .context import EventSpec, Record, Service, State

__all__ = ["ErasureService", "ErasureReport", "RetentionReport", "SECRET_KEY"]

SECRET_KEY = "erasure/secret"  # the registry's HMAC key for erased keys (32 random bytes, written once)
_ROW_FIELDS = (
    "dataset.corrections",
    "changes.removal.keys_blob",
    "dataset.review_blob",
)  # record blobs that hold row keys


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure did (or, with ``dry_run``, would do): versions with the rows removed and their
    successors, derived datasets, models trained on erased versions (and their stages), blobs removed."""

    asset: str
    reason: str
    basis: str
    versions: list[dict[str, Any]]
    derived: list[str]
    models: list[dict[str, Any]]
    blobs: list[str]
    event: int | None
    dry_run: bool = False
    resumed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "reason": self.reason,
            "basis": self.basis,
            "versions": self.versions,
            "derived": self.derived,
            "models": self.models,
            "blobs": self.blobs,
            "event": self.event,
            "dry_run": self.dry_run,
            "resumed": self.resumed,
        }

    def _repr_html_(self) -> str:
        return f'<pre class="lifecycle-erasure">{html.escape(repr(self))}</pre>'

    def __repr__(self) -> str:
        head = "would erase" if self.dry_run else f"erased (event {self.event})"
        lines = [f"{head}: {sum(v['rows'] for v in self.versions)} rows from {len(self.versions)} version(s)"]
        for v in self.versions:
            succ = f" -> {v['asset']}@{v['successor']}" if v.get("successor") else ""
            lines.append(f"  {v['asset']}@{v['number']}: {v['rows']} rows{succ}")
        if self.derived:
            lines.append(f"  derived datasets checked: {', '.join(self.derived)}")
        for m in self.models:
            lines.append(
                f"  model {m['model']} (stage {m['stage'] or '-'}) was trained on {', '.join(m['trained_on'])}"
            )
        if not self.dry_run:
            lines.append(f"  {len(self.blobs)} blobs removed")
        return "\n".join(lines)


@dataclass(frozen=True)
class RetentionReport:
    """Dataset versions past their retention (``due``), those a legal hold keeps (``held``), and, when applied,
    the erasures done."""

    due: list[dict[str, Any]]
    held: list[dict[str, Any]]
    applied: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"due": self.due, "held": self.held, "applied": self.applied}

    def _repr_html_(self) -> str:
        return f'<pre class="lifecycle-retention">{html.escape(repr(self))}</pre>'

    def __repr__(self) -> str:
        lines = [f"retention: {len(self.due)} version(s) due, {len(self.held)} held"]
        lines += [f"  due: {d['ref']} ({d['rule']}; since {d['since']})" for d in self.due]
        lines += [f"  held: {d['ref']} (tag {d['hold']})" for d in self.held]
        if self.applied:
            lines.append(f"  erased by event(s) {', '.join(map(str, self.applied))}")
        return "\n".join(lines)


def _plain_key(k: Any) -> Any:
    return k.item() if hasattr(k, "item") else k


def _json_rows(cid: str, svc: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(svc.ctx.blobs.get(cid))
    return doc


class ErasureService(Service):
    # -- keys ---------------------------------------------------------------------------------------------
    def _secret(self) -> bytes:
        """The registry's erasure secret (written once by the first erasure; read once per service)."""
        cached: bytes | None = self.__dict__.get("_secret_bytes")
        if cached is not None:
            return cached
        st = self.ctx.storage
        try:
            secret = st.read(SECRET_KEY)
        except NotFound:
            st.create(SECRET_KEY, os.urandom(32))  # a concurrent first erasure may win: read what is stored
            secret = st.read(SECRET_KEY)
        self.__dict__["_secret_bytes"] = secret
        return secret

    def key_hash(self, key: Any) -> str:
        """The keyed hash an erasure records for ``key`` (HMAC-SHA256 under the registry's erasure secret)."""
        msg = json.dumps(_plain_key(key), sort_keys=True, default=str).encode()
        return "hmac-sha256:" + hmac.new(self._secret(), msg, hashlib.sha256).hexdigest()

    def erased_keys(self, keys: Iterable[Any]) -> dict[str, int]:
        """Which of ``keys`` an earlier erasure removed: key (as text) -> the ``ContentErased`` event."""
        known: dict[str, int] = self.ctx.state.get("erased_keys") or {}
        out = {}
        for k in keys:
            seq = known.get(self.key_hash(k))
            if seq is not None:
                out[str(k)] = seq
        return out

    # -- erase --------------------------------------------------------------------------------------------
    def erase(
        self,
        name: str,
        keys: Iterable[Any],
        *,
        reason: str,
        basis: str = "",
        dry_run: bool = False,
    ) -> ErasureReport:
        """Erase the rows with ``keys`` from every version of dataset ``name`` and of datasets derived from it."""
        if not reason:
            raise UsageInputError("erase() needs reason= (recorded in the ContentErased event)")
        wanted = list(dict.fromkeys(_plain_key(k) for k in keys))
        if not wanted:
            raise UsageInputError("erase() needs at least one key")
        r = self.ctx.asset_ref(name)
        a = self.ctx.asset(r)
        if a["kind"] != "dataset":
            raise UsageInputError(f"erase() takes a dataset, not {r.asset}")
        if not dry_run:
            self._allowed()
        resumed = [] if dry_run else self.resume()
        derived = self._derived(r.asset)
        hits = []
        for asset in [r.asset, *derived]:
            for v in self.ctx.state["assets"][asset]["versions"]:
                hit = self._holds(v, wanted)
                if hit is not None:
                    hits.append((v, *hit))
        return self._erase(r.asset, hits, wanted, reason, basis, derived, dry_run, resumed)

    def _erase(
        self,
        asset: str,
        hits: list[tuple[Record, Any, Any]],
        wanted: list[Any],
        reason: str,
        basis: str,
        derived: list[str],
        dry_run: bool,
        resumed: list[str],
        *,
        successors: bool = True,
        rule: str | None = None,
    ) -> ErasureReport:
        models = self._models([exact_ref(v) for v, _, _ in hits])
        plan = [
            {"asset": f"{v['kind']}:{v['name']}", "number": v["number"], "rows": int(mask.sum()), "successor": None}
            for v, _, mask in hits
        ]
        if dry_run or not hits:
            return ErasureReport(asset, reason, basis, plan, derived, models, [], None, dry_run, resumed)
        # 1. redacted successors (idempotent: a re-run finds the ones a crashed run wrote)
        for entry, (v, df, mask) in zip(plan, hits):
            if successors and int((~mask).sum()) > 0:
                entry["successor"] = self._successor(v, df[~mask], wanted, reason)
        # 2. row-level records of kept versions that name an erased key: filtered copies
        erased_refs = {exact_ref(v) for v, _, _ in hits}
        records = self._filtered_records(erased_refs, wanted)
        # 3. what to remove, and kept blobs stored as deltas against it re-stored on their own
        remove = self._removable(erased_refs, records)
        self._detach(remove)
        # 4. the event (signed like any other when signatures are on)
        hashes = sorted({self.key_hash(k) for k in wanted})

        def build(state: State) -> EventSpec:
            return ContentErased(
                reason=reason,
                basis=basis,
                versions=tuple(plan),
                key_hashes=tuple(hashes),
                blobs=tuple(sorted(remove)),
                records=tuple(records),
                rule=rule,
            )

        event = self.ctx.record(build)
        # 5. the deletions
        self._delete(sorted(remove))
        return ErasureReport(asset, reason, basis, plan, derived, models, sorted(remove), event["seq"], False, resumed)

    def resume(self) -> list[str]:
        """Finish erasures a crash interrupted: delete blobs a ``ContentErased`` event lists that are still
        stored and that no kept version uses. Returns the blobs deleted."""
        state = self.ctx.state
        gone: dict[str, int] = state.get("erased_blobs") or {}
        if not gone:
            return []
        left = [c for c in gone if self.ctx.blobs.has(c)]
        if not left:
            return []
        keep = self._kept(set(), [])
        todo = sorted(c for c in left if c not in keep)
        self._detach(set(todo))
        self._delete(todo)
        return todo

    def accept_erasure(self, ref: str, reason: str) -> Any:
        """Accept a model trained on erased data as it is (the ``erasure`` gate check then passes)."""
        if not reason:
            raise UsageInputError("accept_erasure() needs reason= (why the model may stay as trained)")
        rec = self.ctx.resolve(ref)
        self.ctx.append(lambda st: ErasureAccepted(asset=rec.asset, number=rec.number, reason=reason))
        return self.svc.versions.get(exact_ref(rec))

    def erasure_impact(self, name: str) -> list[dict[str, Any]]:
        """Models trained on erased versions of dataset ``name`` (or of any dataset, when ``name`` is empty):
        ``{"model", "trained_on", "stage", "live", "accepted"}``."""
        refs = []
        for a in self.ctx.state["assets"].values():
            if a["kind"] == "dataset" and (not name or f"dataset:{a['name']}" == self.ctx.asset_ref(name).asset):
                refs += [exact_ref(v) for v in a["versions"] if v.get("erased")]
        return self._models(refs)

    # -- pieces -------------------------------------------------------------------------------------------
    def _allowed(self) -> None:
        """Erasing is a guarded action: once the policy has a ``[permissions]`` table it must list ``erase``."""
        problem = self.svc.promotion.role_problem(self.ctx.policy_in(self.ctx.state), "erase", None)
        if problem is not None:
            raise PermissionDenied(problem)

    def _derived(self, asset: str) -> list[str]:
        out: list[str] = []
        for v in self.ctx.state["assets"][asset]["versions"]:
            try:
                down = self.svc.lineage.lineage(exact_ref(v), "down").downstream
            except NotFound:
                continue
            for d in down:
                a = parse_ref(d).asset
                if a.startswith("dataset:") and a != asset and a not in out:
                    out.append(a)
        return out

    def _frame(self, v: Record) -> Any:
        from ..storage.codecs import decode
        from ..storage.fastread import DirectGroup

        group = DirectGroup(self.svc.versions.manifest(exact_ref(v))["entries"], self.ctx.blobs)
        return decode(group, group.attrs["lifecycle"], None)

    def _holds(self, v: Record, wanted: list[Any]) -> tuple[Any, Any] | None:
        """(frame, mask of the rows to erase) when version ``v`` holds any of ``wanted``; else None."""
        key = (v.get("dataset") or {}).get("key")
        if v.get("erased") or not key or v.get("object_type") != "dataframe":
            return None
        df = self._frame(v)
        col = df[key]
        mask = col.isin(wanted) | col.astype(str).isin([str(k) for k in wanted])
        return (df, mask.to_numpy()) if bool(mask.any()) else None

    def _successor(self, v: Record, red: Any, wanted: list[Any], reason: str) -> int:
        """Save the redacted frame as a new version typed ``erasure`` (hooks run with no parent, so nothing is
        diffed or delta-stored against the erased version); return its number."""
        import xxhash

        from ..core.event_types import VersionCreated
        from ..storage.codecs import encode
        from .hooks import save_hooks

        d = dict(v.get("dataset") or {})
        ref = exact_ref(v)
        options: dict[str, Any] = {
            "key": d.get("key"),
            "label": list(d.get("labels") or []),
            "schema": d.get("schema"),
            "source": d.get("source"),
            "reason": f"erasure of {ref}: {reason}",
        }
        base = v.get("baseline")
        if not base:
            options["baseline"] = False
        elif base.get("time_column"):
            options["time_column"] = base["time_column"]
        payload = encode(red)
        extra: dict[str, Any] = {}
        for hook in save_hooks():
            mine = {k: options[k] for k in hook.options if k in options}
            for k, val in (hook.run(self.svc, "dataset", red, None, mine, payload=payload) or {}).items():
                extra["blobs" if k == "blobs" else k] = [*extra.get("blobs", []), *val] if k == "blobs" else val
        info = extra.setdefault("dataset", {})
        if d.get("corrections"):
            doc = _json_rows(d["corrections"], self.svc)
            doc["rows"] = [row for row in doc["rows"] if not _named(row[0], wanted)]
            if doc["rows"]:
                cid, _ = self.ctx.blobs.put(json.dumps(doc, separators=(",", ":"), allow_nan=False).encode())
                info["corrections"] = cid
                extra["blobs"] = [*extra.get("blobs", []), cid]
        from .datasets import review_rows

        review = {
            c: [row for row in rows if not _named(row[0], wanted)] for c, rows in review_rows(self.svc, v).items()
        }
        review = {c: rows for c, rows in review.items() if rows}
        if review:
            doc = {"format": 1, "key": d.get("key"), "rows": review}
            cid, _ = self.ctx.blobs.put(json.dumps(doc, separators=(",", ":"), allow_nan=False).encode())
            info["needs_review"] = {c: len(rows) for c, rows in review.items()}
            info["review_blob"] = cid
            extra["blobs"] = [*extra.get("blobs", []), cid]
        extra["changes"] = {
            "types": ["erasure"],
            "rows": {"before": int(v["summary"].get("rows", 0)), "after": len(red)},
        }
        meta: dict[str, Any] = {
            "params": dict(v.get("params") or {}),
            "metrics": dict(v.get("metrics") or {}),
            "metadata": dict(v.get("metadata") or {}),
            "inputs": list(v.get("inputs") or []),
            "tags": [],
            "note": f"redacted successor of {ref}",
            "record": {"erasure_of": ref},
        }
        content_hash, new_bytes = self.svc.versions.store_payload(payload, label=f"erase {ref}")
        meta_hash = "xxh3-128:" + xxhash.xxh3_128_hexdigest(canonical({**meta, **extra}))
        asset = f"{v['kind']}:{v['name']}"

        def build(state: State) -> EventSpec | None:
            a = state["assets"][asset]
            for w in a["versions"]:
                if w["content_hash"] == content_hash and (w.get("record") or {}).get("erasure_of") == ref:
                    return None
            return VersionCreated(
                kind=v["kind"],
                name=v["name"],
                number=len(a["versions"]) + 1,
                parent=a["versions"][-1]["number"],
                content_hash=content_hash,
                meta_hash=meta_hash,
                object_type=payload.object_type,
                summary=payload.summary,
                size=payload.nbytes,
                new_bytes=new_bytes,
                params=meta["params"],
                metrics=meta["metrics"],
                metadata=meta["metadata"],
                inputs=tuple(meta["inputs"]),
                tags=(),
                note=meta["note"],
                record=meta["record"],
                blobs=tuple(extra.pop("blobs")) if extra.get("blobs") else None,
                baseline=extra.pop("baseline", None),
                extra=extra,
            )

        self.ctx.append(build)
        for w in self.ctx.state["assets"][asset]["versions"]:
            if w["content_hash"] == content_hash and (w.get("record") or {}).get("erasure_of") == ref:
                return int(w["number"])
        raise RuntimeError(f"the redacted successor of {ref} was not recorded")

    def _filtered_records(self, erased_refs: set[str], wanted: list[Any]) -> list[dict[str, Any]]:
        out = []
        for a in self.ctx.state["assets"].values():
            if a["kind"] != "dataset":
                continue
            for v in a["versions"]:
                if v.get("erased") or exact_ref(v) in erased_refs:
                    continue
                for fld in _ROW_FIELDS:
                    cid = _get(v, fld)
                    if not cid:
                        continue
                    doc = _json_rows(cid, self.svc)
                    name = "rows" if "rows" in doc else "keys"
                    rows = doc.get(name) or []
                    kept: Any
                    if isinstance(rows, dict):  # review rows, per column
                        kept = {c: [r for r in rs if not _named(r[0], wanted)] for c, rs in rows.items()}
                        kept = {c: rs for c, rs in kept.items() if rs}
                        same = sum(map(len, kept.values())) == sum(map(len, rows.values()))
                    else:
                        kept = [r for r in rows if not _named(r[0] if name == "rows" else r, wanted)]
                        same = len(kept) == len(rows)
                    if same:
                        continue
                    new = None
                    if kept:
                        doc[name] = kept
                        new, _ = self.ctx.blobs.put(json.dumps(doc, separators=(",", ":"), allow_nan=False).encode())
                    out.append(
                        {
                            "asset": f"{v['kind']}:{v['name']}",
                            "number": v["number"],
                            "field": fld,
                            "old": cid,
                            "new": new,
                        }
                    )
        return out

    def _kept(self, erased_refs: set[str], records: list[dict[str, Any]]) -> set[str]:
        """Every blob a version that stays readable uses (manifests of erased versions stay: they hold ids only)."""
        replaced = {r["old"] for r in records}
        keep: set[str] = set()
        state = self.ctx.state
        for a in state["assets"].values():
            for v in a["versions"]:
                keep.add(v["content_hash"])
                if v.get("erased") or exact_ref(v) in erased_refs:
                    continue
                keep.update(b for b in v.get("blobs") or [] if b not in replaced)
                keep.update(json.loads(self.ctx.blobs.get_cached(v["content_hash"]))["entries"].values())
        keep.update(r["new"] for r in records if r["new"])
        pol = state.get("policy")
        if pol and pol.get("blob"):
            keep.add(pol["blob"])
        return keep

    def _removable(self, erased_refs: set[str], records: list[dict[str, Any]]) -> set[str]:
        candidates: set[str] = {r["old"] for r in records}
        for ref in erased_refs:
            v = self.ctx.resolve(ref)
            candidates.update(v.get("blobs") or [])
            candidates.update(json.loads(self.ctx.blobs.get_cached(v["content_hash"]))["entries"].values())
        return candidates - self._kept(erased_refs, records)

    def _detach(self, remove: set[str]) -> None:
        """Re-store on their own the blobs still needed (used, or a needed blob's delta base) whose delta base is
        about to be removed."""
        if not remove:
            return
        blobs = self.ctx.blobs
        pending = [c for c in self._kept(set(), []) if c not in remove]
        seen: set[str] = set(pending)

        def base(cid: str) -> str | None:
            try:
                return blobs.base_of(cid)
            except NotFound:
                return None

        while pending:
            nxt = []
            for cid, b in zip(pending, list(blobs.pool.map(base, pending))):
                if b is None:
                    continue
                if b in remove:
                    blobs.rematerialize(cid)
                elif b not in seen:
                    seen.add(b)
                    nxt.append(b)
            pending = nxt
        self.ctx.storage.sync()

    def _delete(self, cids: list[str]) -> None:
        for cid in cids:
            self.ctx.blobs.delete(cid)
            self.ctx.blobs.forget(cid)
        self.ctx.storage.sync()

    def _models(self, refs: list[str]) -> list[dict[str, Any]]:
        models: dict[str, list[str]] = {}
        for ref in refs:
            try:
                down = self.svc.lineage.lineage(ref, "down").downstream
            except NotFound:
                continue
            for m in down:
                if m.startswith("model:"):
                    models.setdefault(m, []).append(ref)
        rows = []
        for m, ds in sorted(models.items()):
            mr = self.ctx.resolve(m)
            stage = None if mr.get("retired") else self.ctx.stage_of(mr)
            live = stage is not None and stage == self.ctx.policy_in(self.ctx.state).deploy_stage("model")
            rows.append(
                {
                    "model": m,
                    "trained_on": ds,
                    "stage": stage,
                    "live": live,
                    "accepted": bool(mr.get("erasure_accepted")),
                }
            )
        return rows

    # -- retention ----------------------------------------------------------------------------------------
    def retention(self, *, apply: bool = False, reason: str = "") -> RetentionReport:
        """Dataset versions past the retention the policy's ``[retention]`` section sets (legal holds by tag keep
        them); with ``apply``, each is erased in full (every row, no successor) through the erasure path."""
        state = self.ctx.state
        rules = self.ctx.policy_in(state).retention
        now = self.ctx.clock.now()
        due, held = due_versions(state, rules, now, self._last_use)
        applied: list[int] = []
        if apply:
            self._allowed()
        if apply and due:
            self.resume()
            by_asset: dict[str, list[dict[str, Any]]] = {}
            for d in due:
                by_asset.setdefault(parse_ref(d["ref"]).asset, []).append(d)
            for asset, items in by_asset.items():
                hits = []
                for d in items:
                    v = self.ctx.resolve(d["ref"])
                    if v.get("erased"):
                        continue
                    df = self._frame(v) if v.get("object_type") == "dataframe" else None
                    import numpy as np

                    mask = np.ones(len(df) if df is not None else 1, dtype=bool)
                    hits.append((v, df, mask))
                rule = "; ".join(sorted({d["rule"] for d in items}))
                report = self._erase(
                    asset,
                    hits,
                    [],
                    reason or f"retention: {rule}",
                    "retention policy",
                    [],
                    False,
                    [],
                    successors=False,
                    rule=rule,
                )
                if report.event is not None:
                    applied.append(report.event)
        return RetentionReport(due, held, applied)

    def _last_use(self, v: Record) -> Any:
        """When version ``v`` was last used by a version in production: now while a model (or the dataset
        itself) made from it is at its deploy stage, else its creation time."""
        ref = exact_ref(v)
        pol = self.ctx.policy_in(self.ctx.state)
        if self.ctx.stage_of(v) == pol.deploy_stage(v["kind"]):
            return self.ctx.clock.now()
        try:
            down = self.svc.lineage.lineage(ref, "down").downstream
        except NotFound:
            down = []
        for m in down:
            mr = self.ctx.resolve(m)
            if not mr.get("retired") and self.ctx.stage_of(mr) == pol.deploy_stage(mr["kind"]):
                return self.ctx.clock.now()
        return parse_time(v["created_at"])


def _named(key: Any, wanted: list[Any]) -> bool:
    return key in wanted or str(key) in {str(k) for k in wanted}


def _get(v: Any, dotted: str) -> Any:
    cur = v
    for part in dotted.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur
