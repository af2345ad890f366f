"""Baselines at save time (a save hook) and finding the baseline a version is monitored against.

``reg.save(df, "dataset:NAME")`` computes the profile of every tabular dataset (see
``lifecycle_ext.analysis.baseline``) and stores it as a content-addressed JSON blob; the ``VersionCreated``
event records ``baseline = {"blob", "rows", "columns", "format", "time_column"}`` and lists the blob in
``blobs`` (so ``verify`` checks it and ``gc`` keeps it). Save options consumed here:

- ``baseline=False``: skip the profile (e.g. a huge dataset you never monitor);
- ``time_column="ts"``: the column freshness is measured from (excluded from drift);
- ``prediction_baseline=scores``: (models) the prediction scores/probabilities on held-out data, the reference
  for the prediction-confidence shift. Without it the first monitored batch with predictions becomes the
  reference.

A new version's baseline is not recomputed where it cannot change: when the stored content equals the parent
version's, the parent's baseline entry (and blob) is reused as it is; for a DataFrame, the profiles of columns
whose stored chunks equal the parent's are copied from the parent's baseline and only changed columns are
profiled again.

A model needs no baseline of its own: it is monitored against the baseline of the dataset it was trained on,
found through its exact ``inputs`` (first a dataset input with a baseline, then their inputs, breadth first).
Because inputs are immutable exact refs this "reference" is as fixed as a copy, without duplicating it.
"""

from __future__ import annotations

import json
from typing import Any

from ...core.errors import UsageInputError
from ...core.events import canonical
from ..context import Services

__all__ = ["baseline_hook", "find_baseline", "load_profile"]


def baseline_hook(
    svc: Services, kind: str, obj: Any, parent: dict[str, Any] | None, options: dict[str, Any], payload: Any = None
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    blobs: list[str] = []
    time_column = options.get("time_column")
    if time_column is not None and not isinstance(time_column, str):
        raise UsageInputError(f"time_column must be a column name, got {time_column!r}")
    if kind == "dataset" and options.get("baseline", True):
        from ...analysis.baseline import as_frame, profile

        df = as_frame(obj)
        same = _unchanged_baseline(svc, parent, payload, time_column) if df is not None else None
        if same is not None:
            extra["baseline"] = same
            blobs.append(same["blob"])
        elif df is not None:
            try:
                prof = profile(
                    df,
                    time_column=time_column,
                    reuse=_unchanged_columns(svc, parent, payload, time_column, df.shape[1]),
                )
            except (KeyError, TypeError) as exc:
                raise UsageInputError(f"cannot compute the baseline: {exc.args[0]}") from None
            cid, _ = svc.ctx.blobs.put(canonical(prof))
            extra["baseline"] = {
                "blob": cid,
                "rows": prof["rows"],
                "columns": len(prof["columns"]),
                "format": prof["format"],
                "time_column": time_column,
            }
            blobs.append(cid)
        elif time_column is not None:
            raise UsageInputError("time_column= needs a tabular dataset (DataFrame, Series, dict of columns)")
    elif time_column is not None:
        raise UsageInputError("time_column= applies to datasets; set [monitoring] time_column in the policy")
    preds = options.get("prediction_baseline")
    if preds is not None:
        from ...analysis.drift import prediction_profile

        try:
            prof = prediction_profile(preds)
        except ValueError as exc:
            raise UsageInputError(f"prediction_baseline: {exc}") from None
        cid, _ = svc.ctx.blobs.put(canonical(prof))
        extra["prediction_baseline"] = {"blob": cid, "source": "saved with the version"}
        blobs.append(cid)
    if blobs:
        extra["blobs"] = blobs
    return extra


def _parent_baseline(parent: dict[str, Any] | None, payload: Any, time_column: str | None) -> dict[str, Any] | None:
    if parent is None or payload is None or parent.get("object_type") != getattr(payload, "object_type", None):
        return None
    base = parent.get("baseline")
    if not base or base.get("time_column") != time_column:
        return None
    return dict(base)


def _unchanged_baseline(
    svc: Services, parent: dict[str, Any] | None, payload: Any, time_column: str | None
) -> dict[str, Any] | None:
    """The parent's baseline entry when the new content is the parent's (same manifest, so the same values)."""
    base = _parent_baseline(parent, payload, time_column)
    if base is None or parent is None:
        return None
    from ...storage.blobs import content_id
    from ..versions import manifest_bytes

    entries = {k: content_id(d) for k, d in payload.chunks}
    entries.update({k: content_id(d) for k, d in payload.docs.items()})
    return base if content_id(manifest_bytes(payload.object_type, entries)) == parent["content_hash"] else None


def _unchanged_columns(
    svc: Services, parent: dict[str, Any] | None, payload: Any, time_column: str | None, columns: int
) -> dict[str, dict[str, Any]]:
    """Column profiles of the parent's baseline for DataFrame columns whose stored chunks did not change."""
    base = _parent_baseline(parent, payload, time_column)
    if base is None or parent is None or payload.object_type != "dataframe":
        return {}
    from ...core.errors import IntegrityError, NotFound
    from ...storage.frame_access import PayloadFrame, StoredFrame, chunk_ids

    try:
        manifest = json.loads(svc.ctx.blobs.get_cached(parent["content_hash"]))
        old, new = StoredFrame(manifest["entries"], svc.ctx.blobs), PayloadFrame(payload)
        before = {f.name: (str(f.type), lay) for f, lay in zip(old.schema, old.attrs["columns"])}
        prof = load_profile(svc, base["blob"])
        if len(prof["columns"]) != columns:  # the number of columns sets each column's quantile budget
            return {}
        out: dict[str, dict[str, Any]] = {}
        for f, lay in zip(new.schema, new.attrs["columns"]):
            was = before.get(f.name)
            if was is None or was[0] != str(f.type) or f.name not in prof["columns"]:
                continue
            ids = chunk_ids(new, f.type, lay, 0, new.nrows)
            if ids is not None and new.nrows == old.nrows and ids == chunk_ids(old, f.type, was[1], 0, old.nrows):
                out[f.name] = prof["columns"][f.name]
        return out
    except (NotFound, IntegrityError, KeyError, ValueError, TypeError):
        return {}  # an unreadable parent only costs the shortcut


def load_profile(svc: Services, cid: str) -> dict[str, Any]:
    """A stored profile by content id (verified on read; cached, since content ids never change)."""
    cache: dict[str, Any] = svc.ctx.caches.profiles
    if cid not in cache:
        if len(cache) > 64:
            cache.clear()
        cache[cid] = json.loads(svc.ctx.blobs.get(cid))
    profile: dict[str, Any] = cache[cid]
    return profile


def find_baseline(svc: Services, rec: dict[str, Any], state: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(exact ref of the version holding the baseline, its ``baseline`` entry) for ``rec``, or None."""
    from ...core.refs import parse_ref

    seen: set[str] = set()
    frontier = [rec]
    while frontier:
        nxt = []
        for r in frontier:
            ref = f"{r['kind']}:{r['name']}@{r['number']}"
            if ref in seen:
                continue
            seen.add(ref)
            gone = r.get("erased")
            if gone and r.get("baseline"):  # its baseline went with its rows: the redacted successor's stands in
                succ = gone.get("successor")
                versions = state["assets"][f"{r['kind']}:{r['name']}"]["versions"]
                if succ and 1 <= succ <= len(versions) and versions[succ - 1].get("baseline"):
                    return f"{r['kind']}:{r['name']}@{succ}", versions[succ - 1]["baseline"]
                continue
            if r.get("baseline"):
                return ref, r["baseline"]
            for i in r.get("inputs") or []:
                p = parse_ref(i)
                a = state["assets"].get(p.asset)
                if a is not None and p.number is not None and 1 <= p.number <= len(a["versions"]):
                    nxt.append(a["versions"][p.number - 1])
        # dataset inputs first: they are the training data
        frontier = sorted(nxt, key=lambda v: v["kind"] != "dataset")
    return None
