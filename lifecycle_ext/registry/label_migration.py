"""``reg.migrate_labels(dataset_ref, to_schema=...)``: carry a label-schema change through a dataset.

The typed class changes between the schema version the dataset declares and ``to_schema`` are composed into
one mapping per old class. Renames and merges are applied automatically; a class that was split, removed or
redefined cannot be mapped by a rule, so its rows get a missing label, are listed for review (key, old label,
candidate labels) and stay under the dataset's ``needs_review`` marker until a correction labels them (the save
hook in :mod:`.datasets` carries the marker forward). The new version declares ``to_schema``; its correction
history records, per row, whether it was migrated automatically.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.diff_types import normalize_schema
from ..core.errors import UsageInputError
from ..core.refs import exact_ref, parse_ref
from .views.records import Version

__all__ = ["LabelMigration", "compose_changes", "migrate_labels"]

_REVIEW_TYPES = ("split", "removed", "definition_changed")


@dataclass(frozen=True)
class LabelMigration:
    """The dataset version made by ``migrate_labels`` and the rows waiting for review (a DataFrame)."""

    version: Version
    review: Any  # DataFrame: key, old_label, candidate_labels (and column, with several label columns)
    auto: dict[str, str]  # old class -> new class, applied
    candidates: dict[str, list[str]]  # old class -> the classes a reviewer chooses from

    def __repr__(self) -> str:
        rules = ", ".join(f"{a} -> {b}" for a, b in self.auto.items()) or "none"
        return (
            f"<LabelMigration {self.version.ref}: applied {rules}; "
            f"{len(self.review)} row(s) need review ({', '.join(self.candidates) or 'none'})>"
        )

    def _repr_html_(self) -> str:
        from .views.html import esc, kv_table, table

        pairs: list[tuple[str, Any]] = [
            ("new version", f"<b>{esc(self.version.ref)}</b>"),
            ("applied", esc(", ".join(f"{a} → {b}" for a, b in self.auto.items()) or "none")),
            (
                "needs review",
                table(
                    ["key", "old label", "candidates"],
                    [[r.key, r.old_label, ", ".join(r.candidate_labels)] for r in self.review.itertuples()][:50],
                )
                if len(self.review)
                else "none",
            ),
        ]
        return f'<div class="lifecycle-migration">{kv_table(pairs, raw_values=True)}</div>'


def compose_changes(start: list[str], steps: list[list[dict[str, Any]]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Compose typed class changes (one list per schema version) from the classes ``start``: (automatic
    old -> new mapping, old -> candidate classes of the rows that need review)."""
    cur = {c: [c] for c in start}
    review: set[str] = set()
    for changes in steps:
        step: dict[str, list[str]] = {}
        flagged: set[str] = set()
        for ch in changes:
            if ch["type"] in ("renamed", "merged", "split", "removed", "definition_changed"):
                for o in ch["old"]:
                    step[o] = list(ch["new"])
                    if ch["type"] in _REVIEW_TYPES:
                        flagged.add(o)
        for c, targets in cur.items():
            if any(t in flagged for t in targets):
                review.add(c)
            cur[c] = list(dict.fromkeys(n for t in targets for n in step.get(t, [t])))
    auto = {c: ts[0] for c, ts in cur.items() if c not in review and len(ts) == 1 and ts[0] != c}
    candidates = {c: ts for c, ts in cur.items() if c in review or len(ts) != 1}
    return auto, candidates


def migrate_labels(svc: Any, ref: str, to_schema: str, reason: str = "") -> LabelMigration:
    import pandas as pd

    from .datasets import _plain

    rec = svc.ctx.resolve(ref)
    d = rec.get("dataset") or {}
    if rec["kind"] != "dataset" or rec.get("object_type") != "dataframe":
        raise UsageInputError(f"migrate_labels() takes a dataset DataFrame version, not {ref!r}")
    if not d.get("schema") or not d.get("labels"):
        raise UsageInputError(f"{exact_ref(rec)} declares no label schema (save it with label= and schema=)")
    if not d.get("key"):
        raise UsageInputError(f"{exact_ref(rec)} declares no key column, so rows to review cannot be named")
    target = svc.ctx.resolve(to_schema)
    src = parse_ref(d["schema"])
    if target["kind"] != "label_schema" or f"{target['kind']}:{target['name']}" != src.asset:
        raise UsageInputError(f"to_schema must be a later version of {src.asset}, not {to_schema!r}")
    if target["number"] <= (src.number or 0):
        raise UsageInputError(f"{exact_ref(target)} is not later than {d['schema']}, the schema of {exact_ref(rec)}")
    versions = svc.ctx.asset(src)["versions"][src.number : target["number"]]
    steps = []
    for v in versions:
        ls = v.get("label_schema")
        if not isinstance(ls, dict):
            raise UsageInputError(f"{exact_ref(v)} has no typed class changes, so labels cannot be migrated")
        steps.append(list(ls.get("changes", [])))
    auto, candidates = compose_changes(sorted(normalize_schema(svc.versions.load(d["schema"]))), steps)

    df = svc.versions.load(exact_ref(rec))
    key = d["key"]
    out = df.copy()
    rows: list[dict[str, Any]] = []
    needs: dict[str, list[list[Any]]] = {}
    for col in d["labels"]:
        old = df[col].astype(object)
        review_mask = old.isin(list(candidates))
        new = old.map(lambda x: auto.get(x, x) if isinstance(x, str) else x).astype(object)
        new[review_mask] = None
        out[col] = new
        keys, olds = _plain(df.loc[review_mask, key]), _plain(old[review_mask])
        needs[col] = [[k, o, candidates[o]] for k, o in zip(keys, olds)]
        rows += [
            {"column": col, "key": k, "old_label": o, "candidate_labels": candidates[o]} for k, o in zip(keys, olds)
        ]
    cols = (
        ["key", "old_label", "candidate_labels"]
        if len(d["labels"]) == 1
        else ["column", "key", "old_label", "candidate_labels"]
    )
    review = pd.DataFrame(rows, columns=["column", "key", "old_label", "candidate_labels"])[cols]
    migration = {
        "from": d["schema"],
        "to": exact_ref(target),
        "auto": auto,
        "review": candidates,
        "needs_review": {c: r for c, r in needs.items() if r},
    }
    why = reason or f"labels migrated from {d['schema']} to {exact_ref(target)}"
    v = svc.versions.save(
        out, f"dataset:{rec['name']}", schema=exact_ref(target), reason=why, label_migration=migration
    )
    return LabelMigration(version=v, review=review, auto=auto, candidates=candidates)
