"""``reg.diff(a, b)``: a typed :class:`Diff` for models, datasets, label schemas, arrays and other data."""

from __future__ import annotations

import json
from typing import Any

from ..core.diff_types import (
    affected_classes,
    classify_schema,
    dict_diff,
    env_diff,
    inputs_diff,
    metric_deltas,
    normalize_schema,
    source_diff,
)
from ..core.errors import IntegrityError, NotFound, UsageInputError
from .context import Service
from .views.diffs import Diff, SchemaImpact

__all__ = ["DiffService"]

SAMPLE_ROWS = 10


def _ref(rec: dict[str, Any]) -> str:
    return f"{rec['kind']}:{rec['name']}@{rec['number']}"


def _source(rec: dict[str, Any]) -> str | None:
    src = (rec.get("record") or {}).get("source")
    if isinstance(src, list):
        return "".join(src)
    return src if isinstance(src, str) else None


def _with_metadata(s: dict[str, Any], ra: dict[str, Any], rb: dict[str, Any]) -> dict[str, Any]:
    """Add the metadata changes (licence, source, pii flags, ...) and type them as ``metadata``."""
    md = dict_diff(ra.get("metadata") or {}, rb.get("metadata") or {})
    s["metadata"] = md
    if any(md.values()):
        s["types"] = [*s.get("types", []), "metadata"]
    return s


class DiffService(Service):
    def diff(self, a: str, b: str) -> Diff:
        """What changed from version ``a`` to version ``b`` (two versions of the same kind of asset)."""
        from .versions import readable

        ra, rb = readable(self.ctx.resolve(a)), readable(self.ctx.resolve(b))  # an erased version: Erased
        if ra["kind"] != rb["kind"]:
            raise UsageInputError(f"cannot diff a {ra['kind']} with a {rb['kind']}: {_ref(ra)} vs {_ref(rb)}")
        kind = ra["kind"]
        if kind == "label_schema":
            return self._diff_schema(ra, rb)
        if kind == "dataset" and ra["object_type"] == rb["object_type"] == "dataframe":
            return self._diff_frame(ra, rb)
        if kind == "model":
            return self._diff_model(ra, rb)
        return Diff(_ref(ra), _ref(rb), "data", self._content_sections(ra, rb))

    # -- pieces ----------------------------------------------------------------------------------
    def _chunk_fraction(self, ra: dict[str, Any], rb: dict[str, Any]) -> dict[str, Any]:
        ea = self.svc.versions.manifest(_ref(ra))["entries"]
        eb = self.svc.versions.manifest(_ref(rb))["entries"]
        keys = {k for k in (*ea, *eb) if "/c/" in k or k.endswith("/c")}
        changed = sum(1 for k in keys if ea.get(k) != eb.get(k))
        return {"total": len(keys), "changed": changed, "fraction": changed / len(keys) if keys else 0.0}

    def _content_sections(self, ra: dict[str, Any], rb: dict[str, Any]) -> dict[str, Any]:
        sa, sb = ra.get("summary") or {}, rb.get("summary") or {}
        s: dict[str, Any] = {
            "object_type": [ra["object_type"], rb["object_type"]],
            "summary": dict_diff(sa, sb),
            "same_content": ra["content_hash"] == rb["content_hash"],
            "chunks": self._chunk_fraction(ra, rb),
        }
        for k in ("shape", "dtype"):
            if k in sa or k in sb:
                s[k] = [sa.get(k), sb.get(k)]
        types = []
        if (
            s["object_type"][0] != s["object_type"][1]
            or s.get("shape", [0, 0])[0] != s.get("shape", [0, 0])[1]
            or s.get("dtype", [0, 0])[0] != s.get("dtype", [0, 0])[1]
        ):
            types.append("schema")
        if not s["same_content"]:
            types.append("content")
        s["types"] = types
        return s

    def _env(self, rec: dict[str, Any]) -> Any:
        record = rec.get("record") or {}
        if isinstance(record.get("env"), (dict, list, str)):
            return record["env"]
        for cid in [record.get("env_blob"), record.get("env_hash"), *rec.get("blobs", [])]:
            if not isinstance(cid, str) or not cid.startswith("xxh3-128:"):
                continue
            try:
                doc = json.loads(self.ctx.blobs.get(cid))
            except (NotFound, IntegrityError, ValueError):
                continue
            if isinstance(doc, dict) and ({"packages", "python", "pip"} & set(doc)):
                return doc
        return None

    def _diff_model(self, ra: dict[str, Any], rb: dict[str, Any]) -> Diff:
        s = self._content_sections(ra, rb)
        s["params"] = dict_diff(ra.get("params") or {}, rb.get("params") or {})
        s["metadata"] = dict_diff(ra.get("metadata") or {}, rb.get("metadata") or {})
        s["metrics"] = metric_deltas(ra.get("metrics") or {}, rb.get("metrics") or {})
        s["source"] = source_diff(_source(ra), _source(rb), _ref(ra), _ref(rb))
        ea, eb = self._env(ra), self._env(rb)
        if ea is None and eb is None:
            s["env"] = {"added": {}, "removed": {}, "changed": {}, "other": {}}
            s["env_note"] = "no environment recorded for either version"
        else:
            s["env"] = env_diff(ea or {}, eb or {})
            if ea is None or eb is None:
                s["env_note"] = f"no environment recorded for {_ref(ra) if ea is None else _ref(rb)}"
        s["inputs"] = inputs_diff(ra.get("inputs") or [], rb.get("inputs") or [])
        types = [t for t in s["types"] if t == "content"]
        for k in ("params", "env", "metadata"):
            if any(s[k].get(x) for x in ("added", "removed", "changed")):
                types.append(k)
        if any(m["delta"] for m in s["metrics"]) or any(
            m["delta"] is None and m["old"] != m["new"] for m in s["metrics"]
        ):
            types.append("metrics")
        types += [k for k in ("source", "inputs") if s[k]]
        s["types"] = types
        return Diff(_ref(ra), _ref(rb), "model", s)

    def _diff_schema(self, ra: dict[str, Any], rb: dict[str, Any]) -> Diff:
        ls = rb.get("label_schema") or {}
        if rb.get("parent") == ra["number"] and rb["name"] == ra["name"] and "changes" in ls:
            changes = ls["changes"]  # typed at save time, with the explicit mapping if one was given
        else:
            old = normalize_schema(self.svc.versions.load(_ref(ra)))
            new = normalize_schema(self.svc.versions.load(_ref(rb)))
            changes = [c.to_dict() for c in classify_schema(old, new)]
        affected = affected_classes(changes)
        impact = SchemaImpact.build(rb, changes, affected, self.svc.datasets.impact_rows(rb, affected)).to_dict()
        s = {
            "class_changes": changes,
            "retroactive": any(c["retroactive"] for c in changes),
            "affected_classes": affected,
            "impact": impact,
            "types": sorted({"retroactive" if c["retroactive"] else "additive" for c in changes}),
        }
        return Diff(_ref(ra), _ref(rb), "label_schema", s)

    def _diff_frame(self, ra: dict[str, Any], rb: dict[str, Any]) -> Diff:
        from ..analysis.frame_diff import column_dtypes, frame_delta
        from ..storage.frame_access import StoredFrame
        from .datasets import summarize_delta

        da, db = ra.get("dataset") or {}, rb.get("dataset") or {}
        key = db.get("key") or da.get("key")
        fa = StoredFrame(self.svc.versions.manifest(_ref(ra))["entries"], self.ctx.blobs)
        fb = StoredFrame(self.svc.versions.manifest(_ref(rb))["entries"], self.ctx.blobs)
        if not key:
            s = self._content_sections(ra, rb)
            from ..core.diff_types import column_changes

            s["schema"] = column_changes(column_dtypes(fa), column_dtypes(fb))
            s["rows"] = {"before": fa.nrows, "after": fb.nrows}
            s["note"] = "no key column declared, so rows cannot be matched"
            return Diff(_ref(ra), _ref(rb), "dataset", _with_metadata(s, ra, rb))
        labels = db.get("labels") or da.get("labels") or []
        delta = frame_delta(fa, fb, key)
        s, _ = summarize_delta(delta, labels, db.get("source"), da.get("schema"), db.get("schema"))
        from .datasets import _plain

        s["key"], s["labels"] = key, labels
        s["chunks"] = self._chunk_fraction(ra, rb)
        s["samples"] = {
            "added": json.loads(delta.added.head(SAMPLE_ROWS).to_json(orient="records", date_format="iso")),
            "changed": {
                c: [
                    list(r)
                    for r in zip(
                        _plain(t["key"].iloc[:SAMPLE_ROWS]),
                        _plain(t["old"].iloc[:SAMPLE_ROWS]),
                        _plain(t["new"].iloc[:SAMPLE_ROWS]),
                    )
                ]
                for c, t in delta.changed.items()
            },
        }
        return Diff(_ref(ra), _ref(rb), "dataset", _with_metadata(s, ra, rb), delta)
