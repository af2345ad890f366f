"""Typed dataset versions and versioned label schemas.

Save hooks (listed in :mod:`.hooks`):

- ``reg.save(df, "dataset:X", key=, label=, schema=, source=, reason=)`` declares the row key, the label
  column(s) and the label-schema version the labels follow (declarations are inherited from the parent
  version), and classifies the change against the parent: ``additive``, ``removal``, ``corrective``,
  ``feature_edits``, ``schema``. Corrections (old label next to the new one) are stored as a JSON blob listed
  in the version's ``blobs`` so ``verify`` and ``gc`` cover it; who and when come from the event.
- ``reg.save(doc, "label_schema:X", mapping=, reason=)`` types each class change against the parent.

Queries (:class:`DatasetsService`): ``corrections``, ``schema_impact``; and :func:`schema_is_current`, the check
"a model's training data follows the current label schema" for the gates.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from ..core.diff_types import affected_classes, classify_schema, normalize_schema
from ..core.errors import NotFound, UsageInputError
from ..core.refs import exact_ref, parse_ref
from .context import Service, Services
from .views.diffs import SchemaImpact

if TYPE_CHECKING:
    from .label_migration import LabelMigration

__all__ = [
    "dataset_save_hook",
    "label_schema_save_hook",
    "DatasetsService",
    "schema_is_current",
    "summarize_delta",
    "review_rows",
]

SAMPLE = 50  # keys / transitions kept in the event
MAX_CLASSES = 1000  # label values counted per column


def _plain(values: Any) -> list[Any]:
    """JSON-able Python values (numpy scalars, timestamps and NaN/NA made plain)."""
    import numpy as np
    import pandas as pd

    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return list(np.asarray(values).tolist())
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [v if math.isfinite(v) else None for v in np.asarray(values).tolist()]
    return list(json.loads(pd.Series(list(values), dtype=object).to_json(orient="values", date_format="iso")))


def _counts(series: Any) -> dict[str, int]:
    vc = series.value_counts(dropna=False).head(MAX_CLASSES)
    return {str(k): int(v) for k, v in vc.items()}


def _labels(label: Any) -> list[str]:
    if label is None:
        return []
    labels = [label] if isinstance(label, str) else list(label)
    if not all(isinstance(c, str) for c in labels):
        raise UsageInputError("label= must be a column name or a list of column names")
    return labels


def _unique(col: Any) -> bool:
    """Whether a key column has no duplicates; strictly increasing keys (the common case) are checked in one
    vectorised pass instead of hashing every value."""
    if col.is_monotonic_increasing:
        import numpy as np

        values = col.to_numpy()
        return len(values) < 2 or bool(np.all(values[1:] != values[:-1]))
    return bool(col.is_unique)


def _declarations(svc: Services, df: Any, parent: dict[str, Any] | None, options: dict[str, Any]) -> dict[str, Any]:
    prev = (parent or {}).get("dataset") or {}
    key = options.get("key", prev.get("key"))
    labels = _labels(options["label"]) if "label" in options else list(prev.get("labels", []))
    schema = options.get("schema", prev.get("schema"))
    for col in ([key] if key else []) + labels:
        if col not in df.columns:
            raise UsageInputError(
                f"column {col!r} (given as key/label) is not in the DataFrame; "
                f"columns: {', '.join(map(str, df.columns[:20]))}"
            )
    if key is not None:
        if not isinstance(key, str):
            raise UsageInputError("key= must be one column name")
        if df[key].isna().any() or not _unique(df[key]):
            raise UsageInputError(f"key column {key!r} must identify rows: it has missing or duplicate values")
    if schema is not None:
        rec = svc.ctx.resolve(schema)
        if rec["kind"] != "label_schema":
            raise UsageInputError(f"schema= must name a label_schema version, not {schema!r}")
        schema = exact_ref(rec)
        classes = set(normalize_schema(svc.versions.load(schema)))
        for col in labels:
            outside = sorted({str(v) for v in df[col].dropna().unique()} - classes)
            if outside:
                raise UsageInputError(f"label column {col!r} has values not in {schema}: {', '.join(outside[:10])}")
    return {"key": key, "labels": labels, "schema": schema}


def dataset_save_hook(
    svc: Services, kind: str, obj: Any, parent: dict[str, Any] | None, options: dict[str, Any], payload: Any = None
) -> dict[str, Any]:
    mine = {k: options[k] for k in ("key", "label", "schema", "source") if k in options}
    if kind != "dataset":
        if mine or ("reason" in options and kind != "label_schema"):
            raise UsageInputError(
                f"{', '.join(sorted(mine) or ['reason'])} apply to dataset versions only, not to a {kind}"
            )
        return {}
    import pandas as pd

    if not isinstance(obj, pd.DataFrame):
        if mine:
            raise UsageInputError("key/label/schema/source need a pandas DataFrame")
        return {}
    decl = _declarations(svc, obj, parent, options)
    info: dict[str, Any] = {
        **decl,
        "source": options.get("source"),
        "reason": options.get("reason", ""),
        "label_counts": {c: _counts(obj[c]) for c in decl["labels"]},
    }
    mig = options.get("label_migration")
    if mig:
        info["migration"] = {k: mig[k] for k in ("from", "to", "auto", "review")}
        review = mig["needs_review"]
    else:
        review = _open_reviews(svc, obj, decl, parent)
    out: dict[str, Any] = {"dataset": info}
    if review:  # the rows' keys live in a blob an erasure can remove; the record keeps counts per column
        info["needs_review"] = {c: len(rows) for c, rows in review.items()}
        info["review_blob"] = _row_blob(svc, {"format": 1, "key": decl["key"], "rows": review})
        out["blobs"] = [info["review_blob"]]
    if parent is None or parent.get("object_type") != "dataframe":
        return out
    from ..analysis.frame_diff import column_dtypes, frame_delta
    from ..storage.frame_access import PayloadFrame, StoredFrame
    from ..storage.frames import encode_frame

    a = StoredFrame(svc.versions.manifest(exact_ref(parent))["entries"], svc.ctx.blobs)
    b = PayloadFrame(payload if payload is not None and payload.object_type == "dataframe" else encode_frame(obj))
    prev_schema = (parent.get("dataset") or {}).get("schema")
    if decl["key"] is None:
        from ..core.diff_types import column_changes

        out["changes"] = {
            "rows": {"before": a.nrows, "after": b.nrows},
            "types": ["schema"],
            "schema": column_changes(column_dtypes(a), column_dtypes(b)),
            "note": "no key column declared, so rows cannot be matched",
        }
        return out
    delta = frame_delta(a, b, decl["key"])
    changes, corrections = summarize_delta(
        delta, decl["labels"], info["source"], prev_schema, decl["schema"], corrections=True
    )
    out["changes"] = changes
    blobs: list[str] = list(out.get("blobs", []))
    removal = changes["removal"]
    if removal.get("keys"):  # row keys live in a blob an erasure can remove, never inline in the event
        cid = _row_blob(svc, {"format": 1, "key": decl["key"], "keys": removal.pop("keys")})
        removal["keys_blob"] = cid
        blobs.append(cid)
    if corrections:
        cid = _row_blob(svc, {"format": 1, "key": decl["key"], "rows": corrections})
        info["corrections"] = cid
        blobs.append(cid)
    if blobs:
        out["blobs"] = blobs
    return out


def _row_blob(svc: Services, doc: dict[str, Any]) -> str:
    """Store a row-level record (corrections, removed keys) as a JSON blob; return its content id."""
    cid, _ = svc.ctx.blobs.put(json.dumps(doc, separators=(",", ":"), allow_nan=False).encode())
    return cid


def review_rows(svc: Services, rec: dict[str, Any] | None) -> dict[str, list[list[Any]]]:
    """A dataset version's rows waiting for review: column -> ``[[key, old label, candidate labels], ...]``
    (from its review blob; registries written before it existed hold the rows inline in ``needs_review``)."""
    d = (rec or {}).get("dataset") or {}
    if d.get("review_blob"):
        try:
            rows: dict[str, list[list[Any]]] = json.loads(svc.ctx.blobs.get(d["review_blob"]))["rows"]
        except NotFound:  # erased
            return {}
        return rows
    inline = d.get("needs_review") or {}
    return {c: r for c, r in inline.items() if isinstance(r, list)}


def _open_reviews(
    svc: Services, df: Any, decl: dict[str, Any], parent: dict[str, Any] | None
) -> dict[str, list[list[Any]]]:
    """The parent's rows still waiting for review (label still missing); a correction resolves them."""
    prev = review_rows(svc, parent)
    key = decl["key"]
    out: dict[str, list[list[Any]]] = {}
    for col, rows in prev.items():
        if key is None or col not in df.columns:
            continue
        missing = dict(zip(_plain(df[key]), df[col].isna().tolist()))
        left = [r for r in rows if missing.get(r[0], False)]
        if left:
            out[col] = left
    return out


def _codes(values: Any) -> tuple[Any, Any]:
    """Integer codes and their labels (missing values included as a label); a categorical's own codes."""
    import numpy as np
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        if not (codes < 0).any():
            return codes.astype(np.int64), list(values.cat.categories)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, uniques


def _transitions(old: Any, new: Any) -> dict[str, int]:
    """``{"old -> new": count}`` for the most frequent label transitions."""
    import numpy as np

    fo, uo = _codes(old)
    fn, un = _codes(new)
    ids, counts = np.unique(fo.astype(np.int64) * max(len(un), 1) + fn, return_counts=True)
    top = np.argsort(-counts, kind="stable")[:SAMPLE]
    return {f"{uo[ids[i] // max(len(un), 1)]} -> {un[ids[i] % max(len(un), 1)]}": int(counts[i]) for i in top}


def summarize_delta(
    delta: Any,
    labels: list[str],
    source: Any = None,
    old_schema: str | None = None,
    new_schema: str | None = None,
    *,
    corrections: bool = False,
) -> tuple[dict[str, Any], list[list[Any]]]:
    """Typed change record (JSON-able, bounded) and, if asked, the correction rows ``[key, column, old, new]``."""
    import pandas as pd

    ch = delta.changed
    removed = delta.removed_keys
    label_rows: Any = pd.Index([])
    rows: list[list[Any]] = []
    transitions: dict[str, dict[str, int]] = {}
    for c in labels:
        if c in ch:
            t = ch[c]
            label_rows = pd.Index(t["key"]) if not len(label_rows) else label_rows.union(pd.Index(t["key"]))
            transitions[c] = _transitions(t["old"], t["new"])
            if corrections:
                rows += [[k, c, o, n] for k, o, n in zip(_plain(t["key"]), _plain(t["old"]), _plain(t["new"]))]
    schema: dict[str, Any] = dict(delta.columns)
    label_cats = {c: v for c, v in delta.categories.items() if c in labels}
    if label_cats:
        schema["label_categories"] = label_cats
    other_cats = {c: v for c, v in delta.categories.items() if c not in labels}
    if other_cats:
        schema["categories"] = other_cats
    if old_schema != new_schema:
        schema["label_schema"] = [old_schema, new_schema]
    added = delta.added
    changes: dict[str, Any] = {
        "rows": {"before": delta.n_a, "after": delta.n_b},
        "additive": {
            "count": len(added),
            "source": source,
            "label_distribution": {c: _counts(added[c]) for c in labels if c in added.columns},
        },
        "removal": {"count": len(removed), "keys": _plain(removed.iloc[:SAMPLE]), "truncated": len(removed) > SAMPLE},
        "corrective": {
            "count": len(label_rows),
            "by_column": {c: len(ch[c]) for c in labels if c in ch},
            "transitions": transitions,
        },
        "feature_edits": {c: len(t) for c, t in ch.items() if c not in labels},
        "schema": schema,
        "reordered": delta.order is not None,
        "cost": dict(delta.stats),
    }
    schema_changed = any(
        schema.get(k) for k in ("added", "removed", "dtype_changed", "label_categories", "categories", "label_schema")
    )
    flags = {
        "additive": len(added) > 0,
        "removal": len(removed) > 0,
        "corrective": len(label_rows) > 0,
        "feature_edits": bool(changes["feature_edits"]),
        "schema": schema_changed,
    }
    changes["types"] = [k for k, v in flags.items() if v]
    return changes, rows


def label_schema_save_hook(
    svc: Services, kind: str, obj: Any, parent: dict[str, Any] | None, options: dict[str, Any], payload: Any = None
) -> dict[str, Any]:
    mapping = options.get("mapping")
    if kind != "label_schema":
        if mapping is not None:
            raise UsageInputError("mapping= applies to label_schema versions only")
        return {}
    classes = normalize_schema(obj)
    info: dict[str, Any] = {
        "classes": sorted(classes),
        "reason": options.get("reason", ""),
        "changes": [],
        "retroactive": False,
        "affected": [],
    }
    if parent is None:
        if mapping:
            raise UsageInputError("mapping= relates classes to the previous schema version; this is the first")
        return {"label_schema": info}
    old = normalize_schema(svc.versions.load(exact_ref(parent)))
    changes = classify_schema(old, classes, mapping)
    info.update(
        changes=[c.to_dict() for c in changes],
        retroactive=any(c.retroactive for c in changes),
        affected=affected_classes(changes),
        previous=exact_ref(parent),
    )
    return {"label_schema": info}


def _model_ref(svc: Services, model: Any) -> str:
    if isinstance(model, dict):
        return exact_ref(model)
    return svc.ctx.exact(getattr(model, "ref", model))


def schema_is_current(svc: Services, model: Any) -> tuple[bool, list[dict[str, Any]]]:
    """Gate check: every upstream dataset version of ``model`` (a record, Version or ref) that declares a
    label schema follows a version with no retroactive change after it. Returns (ok, evidence rows)."""
    evidence = []
    for up in svc.lineage.lineage(_model_ref(svc, model), "up").upstream:
        rec = svc.ctx.resolve(up)
        schema = (rec.get("dataset") or {}).get("schema")
        if rec["kind"] != "dataset" or not schema:
            continue
        r = parse_ref(schema)
        versions = svc.ctx.asset(r)["versions"]
        later = [v for v in versions[r.number or 0 :] if (v.get("label_schema") or {}).get("retroactive")]
        evidence.append(
            {
                "dataset": up,
                "schema": schema,
                "current": f"{r.asset}@{len(versions)}",
                "ok": not later,
                "retroactive_since": [exact_ref(v) for v in later],
            }
        )
    return all(e["ok"] for e in evidence), evidence


class DatasetsService(Service):
    def corrections(self, ref: str) -> pd.DataFrame:
        """Every label correction of a dataset up to version ``ref``: key, column, old and new label,
        version, author, time and reason."""
        import pandas as pd

        rec = self.ctx.resolve(ref)
        if rec["kind"] != "dataset":
            raise UsageInputError(f"corrections() takes a dataset, not {ref!r}")
        a = self.ctx.asset(parse_ref(ref))
        rows = []
        for v in a["versions"][: rec["number"]]:
            d = v.get("dataset") or {}
            if not d.get("corrections") or v.get("erased"):  # an erased version's record went with its rows
                continue
            doc = json.loads(self.ctx.blobs.get(d["corrections"]))
            mig = d.get("migration") or {}
            for k, col, old, new in doc["rows"]:
                how = "auto" if old in mig.get("auto", {}) else "needs_review" if old in mig.get("review", {}) else ""
                rows.append(
                    {
                        "key": k,
                        "column": col,
                        "old_label": old,
                        "new_label": new,
                        "version": exact_ref(v),
                        "author": v["author"],
                        "created_at": v["created_at"],
                        "reason": d.get("reason", ""),
                        "migration": how,
                    }
                )
        return pd.DataFrame(
            rows,
            columns=[
                "key",
                "column",
                "old_label",
                "new_label",
                "version",
                "author",
                "created_at",
                "reason",
                "migration",
            ],
        )

    def migrate_labels(self, ref: str, to_schema: str, *, reason: str = "") -> LabelMigration:
        """A new version of dataset ``ref`` labelled under ``to_schema``: renames and merges applied, split (or
        removed, redefined) classes' rows listed for review and kept under a ``needs_review`` marker."""
        from .label_migration import migrate_labels

        return migrate_labels(self.svc, ref, to_schema, reason)

    def schema_impact(self, ref: str) -> SchemaImpact:
        """Impact of a label-schema version's retroactive changes: dataset versions labeled under earlier
        versions, their samples per affected class, and the models trained on them."""
        rec = self.ctx.resolve(ref)
        if rec["kind"] != "label_schema":
            raise UsageInputError(f"schema_impact() takes a label_schema version, not {ref!r}")
        ls = rec.get("label_schema") or {}
        affected = affected_classes(ls.get("changes", []))
        return SchemaImpact.build(rec, ls.get("changes", []), affected, self.impact_rows(rec, affected))

    def impact_rows(self, rec: dict[str, Any], affected: list[str]) -> tuple[list[Any], list[Any]]:
        asset = f"{rec['kind']}:{rec['name']}"
        datasets: list[dict[str, Any]] = []
        models: dict[str, list[str]] = {}
        for a in self.ctx.state["assets"].values():
            if a["kind"] != "dataset":
                continue
            for v in a["versions"]:
                d = v.get("dataset") or {}
                if not d.get("schema"):
                    continue
                r = parse_ref(d["schema"])
                if r.asset != asset or (r.number or 0) >= rec["number"]:
                    continue
                samples = {
                    cls: sum(int(cnt.get(cls, 0)) for cnt in d.get("label_counts", {}).values()) for cls in affected
                }
                me = exact_ref(v)
                try:
                    down = self.svc.lineage.lineage(me, "down").downstream
                except NotFound:
                    down = []
                trained = [m for m in down if m.startswith("model:")]
                for m in trained:
                    models.setdefault(m, []).append(me)
                datasets.append(
                    {
                        "dataset": me,
                        "schema": d["schema"],
                        "samples": samples,
                        "affected_samples": sum(samples.values()),
                        "models": trained,
                    }
                )
        rows = []
        for m, ds in sorted(models.items()):
            mr = self.ctx.resolve(m)
            stage = None if mr.get("retired") else mr.get("stage")
            live = stage is not None and stage == self.ctx.policy_in(self.ctx.state).deploy_stage("model")
            rows.append({"model": m, "trained_on": ds, "stage": stage, "live": live})
        return datasets, rows
