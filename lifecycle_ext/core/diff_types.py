"""Typing of changes between two versions: label-schema class changes, dataset change kinds, and the
params / metrics / environment / source / inputs differences of models. Pure functions over plain data.

Label-schema change types (``ClassChange.type``)::

    added               a new class                                   additive
    removed             a class no longer exists                      retroactive
    renamed             same meaning, new name (explicit or inferred  retroactive (old labels carry the
                        from an identical description)                old name)
    merged              several classes became one                    retroactive
    split               one class became several                      retroactive
    definition_changed  same name, new description or parent          retroactive

Dataset change kinds: ``additive`` (rows added), ``removal`` (rows removed), ``corrective`` (label of an
existing row changed), ``feature_edits`` (non-label cells changed), ``schema`` (columns added / removed /
retyped, label categories changed).
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import UsageInputError

__all__ = [
    "ClassChange",
    "SCHEMA_CHANGE_TYPES",
    "DATASET_CHANGE_KINDS",
    "normalize_schema",
    "classify_schema",
    "affected_classes",
    "dict_diff",
    "metric_deltas",
    "env_packages",
    "env_diff",
    "source_diff",
    "inputs_diff",
    "column_changes",
    "list_changes",
    "lower_is_better",
]

SCHEMA_CHANGE_TYPES = ("added", "removed", "renamed", "merged", "split", "definition_changed")
DATASET_CHANGE_KINDS = ("additive", "removal", "corrective", "feature_edits", "schema")


@dataclass(frozen=True)
class ClassChange:
    """One typed change between two label-schema versions. ``old``/``new`` are class names."""

    type: str
    old: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    retroactive: bool = False
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        arrow = f"{', '.join(self.old) or '-'} -> {', '.join(self.new) or '-'}"
        flag = " [retroactive]" if self.retroactive else ""
        return f"{self.type}: {arrow}{flag}{' (' + self.detail + ')' if self.detail else ''}"


def normalize_schema(doc: Any) -> dict[str, dict[str, Any]]:
    """Validate a label-schema document and return ``{name: {"description", "parent"}}``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("classes"), list):
        raise UsageInputError('a label schema is a dict {"classes": [{"name", "description", "parent"?}, ...]}')
    out: dict[str, dict[str, Any]] = {}
    for i, c in enumerate(doc["classes"]):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"]:
            raise UsageInputError(f"label schema class #{i} needs a non-empty string 'name'")
        if c["name"] in out:
            raise UsageInputError(f"label schema class {c['name']!r} is listed twice")
        desc = c.get("description", "")
        if not isinstance(desc, str):
            raise UsageInputError(f"label schema class {c['name']!r}: 'description' must be a string")
        out[c["name"]] = {"description": desc, "parent": c.get("parent")}
    for name, c in out.items():
        if c["parent"] is not None and c["parent"] not in out:
            raise UsageInputError(f"label schema class {name!r} has parent {c['parent']!r}, which is not a class")
    return out


def _check_mapping(mapping: Any, old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[str]]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise UsageInputError('mapping must be a dict: {"old": "new"} (rename/merge) or {"old": ["a", "b"]} (split)')
    out: dict[str, list[str]] = {}
    for src, dst in mapping.items():
        targets = [dst] if isinstance(dst, str) else dst
        if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
            raise UsageInputError(f"mapping[{src!r}] must be a class name or a non-empty list of class names")
        if src not in old:
            raise UsageInputError(f"mapping names class {src!r}, which the previous schema version does not have")
        missing = [t for t in targets if t not in new]
        if missing:
            raise UsageInputError(f"mapping[{src!r}] names {', '.join(map(repr, missing))}, not in the new schema")
        out[src] = targets
    return out


def classify_schema(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]], mapping: dict[str, Any] | None = None
) -> list[ClassChange]:
    """Type every change from ``old`` to ``new`` (both from :func:`normalize_schema`)."""
    m = _check_mapping(mapping, old, new)
    changes: list[ClassChange] = []
    consumed_old: set[str] = set()
    consumed_new: set[str] = set()
    by_target: dict[str, list[str]] = {}
    for src, targets in m.items():
        if len(targets) > 1:
            changes.append(ClassChange("split", [src], list(targets), True))
            consumed_old.add(src)
            consumed_new.update(t for t in targets if t not in old)
        elif targets[0] != src:
            by_target.setdefault(targets[0], []).append(src)
    for target, sources in by_target.items():
        if target in old and target not in m:
            sources = sorted({*sources, target})
        if len(sources) > 1:
            changes.append(ClassChange("merged", sorted(sources), [target], True))
        else:
            changes.append(ClassChange("renamed", sources, [target], True, "explicit mapping"))
        consumed_old.update(s for s in sources if s != target or s not in new)
        consumed_new.add(target)
    removed = [n for n in old if n not in new and n not in consumed_old]
    added = [n for n in new if n not in old and n not in consumed_new]
    for name in list(removed):
        desc = old[name]["description"].strip()
        hits = [a for a in added if desc and new[a]["description"].strip() == desc]
        if len(hits) == 1:
            changes.append(ClassChange("renamed", [name], hits, True, "inferred: same description"))
            removed.remove(name)
            added.remove(hits[0])
    changes += [ClassChange("removed", [n], [], True) for n in removed]
    for name in old:
        if name in new and name not in consumed_old and name not in m:
            what = [k for k in ("description", "parent") if old[name][k] != new[name][k]]
            if what:
                changes.append(ClassChange("definition_changed", [name], [name], True, " and ".join(what) + " changed"))
    changes += [ClassChange("added", [], [n], False) for n in added]
    order = {t: i for i, t in enumerate(SCHEMA_CHANGE_TYPES)}
    return sorted(changes, key=lambda c: (order[c.type], c.old, c.new))


def affected_classes(changes: list[ClassChange] | list[dict[str, Any]]) -> list[str]:
    """Old class names whose already-labeled samples change meaning."""
    out: list[str] = []
    for c in changes:
        d = c if isinstance(c, dict) else c.to_dict()
        if d["retroactive"]:
            out += [n for n in d["old"] if n not in out]
    return out


def dict_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Keys added, removed and changed (``[old, new]``) between two flat dicts."""
    return {
        "added": {k: b[k] for k in b if k not in a},
        "removed": {k: a[k] for k in a if k not in b},
        "changed": {k: [a[k], b[k]] for k in a if k in b and a[k] != b[k]},
    }


_LOWER = ("loss", "error", "mae", "mse", "rmse", "mape", "latency", "perplexity", "brier", "logloss", "fpr", "fnr")


def lower_is_better(name: str) -> bool:
    n = name.lower()
    return any(part in n for part in _LOWER)


def metric_deltas(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per metric: old, new, delta, direction (up/down/same) and whether it is an improvement."""
    rows = []
    for k in sorted({*a, *b}):
        old, new = a.get(k), b.get(k)
        row: dict[str, Any] = {"metric": k, "old": old, "new": new, "delta": None, "direction": None, "better": None}
        if isinstance(old, (int, float)) and isinstance(new, (int, float)):
            delta = new - old
            row["delta"] = delta
            row["direction"] = "up" if delta > 0 else "down" if delta < 0 else "same"
            if delta:
                row["better"] = (delta < 0) if lower_is_better(k) else (delta > 0)
        rows.append(row)
    return rows


def env_packages(env: Any) -> dict[str, str]:
    """``{package: version}`` from an environment record (``{"packages": {...}}``, a list of
    ``name==version`` lines, or a flat dict)."""
    if env is None:
        return {}
    if isinstance(env, dict):
        pk = env.get("packages", env.get("pip", env))
        if isinstance(pk, dict):
            return {str(k): str(v) for k, v in pk.items() if not isinstance(v, (dict, list))}
        env = pk
    if isinstance(env, str):
        env = env.splitlines()
    out = {}
    if isinstance(env, list):
        for line in env:
            if isinstance(line, dict) and "name" in line:
                out[str(line["name"])] = str(line.get("version", ""))
            elif isinstance(line, str) and "==" in line:
                name, _, ver = line.strip().partition("==")
                out[name.strip()] = ver.strip()
    return out


def env_diff(a: Any, b: Any) -> dict[str, Any]:
    pa_, pb = env_packages(a), env_packages(b)
    d = dict_diff(pa_, pb)
    extra = {}
    for k in ("python", "platform"):
        va = a.get(k) if isinstance(a, dict) else None
        vb = b.get(k) if isinstance(b, dict) else None
        if va != vb:
            extra[k] = [va, vb]
    return {**d, "other": extra}


def source_diff(a: str | None, b: str | None, a_name: str = "a", b_name: str = "b") -> str:
    """A unified diff of two cell sources ('' when equal or both absent)."""
    if (a or "") == (b or ""):
        return ""
    return "".join(difflib.unified_diff((a or "").splitlines(True), (b or "").splitlines(True), a_name, b_name))


def _asset(ref: str) -> tuple[str, str]:
    asset, _, version = ref.partition("@")
    return asset, version


def inputs_diff(a: list[str], b: list[str]) -> list[dict[str, Any]]:
    """Inputs by asset: ``changed`` (other version), ``added``, ``removed``."""
    va, vb = dict(map(_asset, a)), dict(map(_asset, b))
    out = []
    for asset in sorted({*va, *vb}):
        old, new = va.get(asset), vb.get(asset)
        if old != new:
            kind = "added" if old is None else "removed" if new is None else "changed"
            out.append(
                {"asset": asset, "change": kind, "old": old and f"{asset}@{old}", "new": new and f"{asset}@{new}"}
            )
    return out


def column_changes(old: dict[str, str], new: dict[str, str]) -> dict[str, Any]:
    """Columns added, removed and retyped between two ``{column: dtype}`` maps."""
    return {
        "added": [c for c in new if c not in old],
        "removed": [c for c in old if c not in new],
        "dtype_changed": {c: [old[c], new[c]] for c in old if c in new and old[c] != new[c]},
    }


def list_changes(old: list[Any], new: list[Any]) -> dict[str, list[Any]]:
    """Values added and removed between two lists (e.g. label categories)."""
    so, sn = set(map(str, old)), set(map(str, new))
    return {"added": [v for v in new if str(v) not in so], "removed": [v for v in old if str(v) not in sn]}
