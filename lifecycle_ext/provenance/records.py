"""Creation records by asset kind (model, dataset, label schema), built from the object and ``--kind-meta``."""

from __future__ import annotations

import sys
from typing import Any

from .capture import config_value

__all__ = ["kind_record", "framework_of", "estimators_in", "parse_kind_meta", "MAX_CLASSES"]

MAX_CLASSES = 200
SERIALIZATION = "lifecycle_ext zarr v3 manifest (content-addressed, no pickle)"
DATASET_FIELDS = (
    "source",
    "labeling_tool",
    "annotators",
    "guideline_version",
    "auto_label_thresholds",
    "quality_baseline",
    "label",
)
_DIST_NAMES = {
    "sklearn": "scikit-learn",
    "torch": "torch",
    "tensorflow": "tensorflow",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "keras": "keras",
    "jax": "jax",
    "statsmodels": "statsmodels",
}


def parse_kind_meta(items: list[str], option: str = "--kind-meta") -> dict[str, Any]:
    """``KEY=VALUE`` pairs; VALUE is parsed as JSON when it is valid JSON (numbers, lists, objects), else text."""
    import json

    from ..core.errors import UsageInputError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key.isidentifier():
            raise UsageInputError(f"{option} expects KEY=VALUE with KEY a name, got {item!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def framework_of(obj: Any) -> dict[str, Any] | None:
    """Framework and version of a model object, from its class's top-level module."""
    mod = type(obj).__module__.partition(".")[0]
    if mod in ("builtins", "numpy", "pandas", "pathlib"):
        return None
    dist = _DIST_NAMES.get(mod, mod)
    version = getattr(sys.modules.get(mod), "__version__", None)
    return {"framework": dist, "version": version, "class": f"{type(obj).__module__}.{type(obj).__qualname__}"}


def _jsonable_params(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in params.items():
        value, why = config_value(v)
        out[k] = value if why is None else repr(v)[:200]
    return out


def estimators_in(ns: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    """Model objects (anything with ``get_params`` or a torch ``state_dict``) among ``names`` in ``ns``."""
    found = []
    for name in names:
        v = ns.get(name)
        if v is None or isinstance(v, type):
            continue
        info = framework_of(v)
        if info is None:
            continue
        if callable(getattr(v, "get_params", None)):
            try:
                info["hyperparameters"] = _jsonable_params(v.get_params(deep=False))
            except Exception:  # noqa: BLE001 - best effort, never break a save
                pass
        elif not callable(getattr(v, "state_dict", None)):
            continue
        found.append({"var": name, **info})
    return found[:20]


def _n_samples(obj: Any) -> int | None:
    shape = getattr(obj, "shape", None)
    if shape:
        return int(shape[0])
    if isinstance(obj, (list, dict)):
        return len(obj)
    return None


def _class_distribution(obj: Any, label: str) -> tuple[dict[str, int] | None, str | None]:
    pd = sys.modules.get("pandas")
    if pd is None or not isinstance(obj, pd.DataFrame):
        return None, "the label column needs a DataFrame output"
    if label not in obj.columns:
        return None, f"label column {label!r} is not a column of the output"
    counts = obj[label].value_counts(dropna=False)
    dist = {str(k): int(v) for k, v in counts.head(MAX_CLASSES).items()}
    return dist, None if len(counts) <= MAX_CLASSES else f"{len(counts)} classes; first {MAX_CLASSES} kept"


def kind_record(
    kind: str,
    obj: Any,
    meta: dict[str, Any],
    *,
    seed: Any,
    params: dict[str, Any] | None,
    metrics: dict[str, Any] | None,
    estimators: list[dict[str, Any]],
    object_type: str | None = None,
) -> dict[str, Any]:
    """The kind-specific part of a creation record."""
    rec: dict[str, Any] = {}
    if kind == "model":
        fw = framework_of(obj) or (estimators[0] if estimators else None) or {}
        rec["framework"] = meta.get("framework", fw.get("framework"))
        rec["framework_version"] = meta.get("framework_version", fw.get("version"))
        if fw.get("class"):
            rec["model_class"] = fw["class"]
        rec["serialization"] = {"format": SERIALIZATION, "object_type": object_type}
        hp = dict(fw.get("hyperparameters") or {})
        hp.update(params or {})
        rec["hyperparameters"] = hp
        rec["seed"] = seed
        rec["metrics"] = dict(metrics or {})
        rec["metrics_split"] = meta.get("metrics_split", "held-out" if metrics else None)
    elif kind == "dataset":
        rec["n_samples"] = _n_samples(obj)
        for f in DATASET_FIELDS:
            if f in meta:
                rec[f] = meta[f]
        columns = getattr(obj, "columns", None)
        if columns is not None:
            rec["columns"] = [str(c) for c in list(columns)[:500]]
        if "label" in meta:
            dist, problem = _class_distribution(obj, str(meta["label"]))
            rec["class_distribution"] = dist
            if problem:
                rec["class_distribution_note"] = problem
    elif kind == "label_schema":
        classes: list[dict[str, Any]] = []
        if isinstance(obj, dict):
            src = obj.get("classes", obj)
            if isinstance(src, dict):
                classes = [{"name": str(k), "description": v if isinstance(v, str) else ""} for k, v in src.items()]
            elif isinstance(src, list):
                classes = [c if isinstance(c, dict) else {"name": str(c), "description": ""} for c in src]
        elif isinstance(obj, list):
            classes = [c if isinstance(c, dict) else {"name": str(c), "description": ""} for c in obj]
        rec["classes"] = classes[:MAX_CLASSES]
    for k, v in meta.items():
        rec.setdefault(k, v)
    return rec
