"""Turn fitted models into storable state dicts (dicts of numpy arrays) -- never pickles.

``sklearn_state(est)`` collects the fitted array attributes of a scikit-learn estimator (``coef_``,
``intercept_``, ``classes_``, ... and, for trees and forests, the node arrays of every tree) into a flat
``{"path": ndarray}`` dict (a ``Pipeline``'s steps under their step names) that ``reg.save`` stores as a
``state_dict``. The hyperparameters are recorded by ``%%track`` from ``est.get_params()`` in the creation record, not in the state dict. The state dict is for
provenance, comparison and reproducibility checks (equal models give equal content hashes); rebuilding an
estimator from it is framework-specific and not done here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["sklearn_state"]

_TREE_FIELDS = (
    "children_left",
    "children_right",
    "feature",
    "threshold",
    "value",
    "impurity",
    "n_node_samples",
    "weighted_n_node_samples",
)


def _as_array(np: Any, v: Any) -> Any:
    arr = np.asarray(v)
    if arr.dtype.hasobject:
        try:
            arr = arr.astype(str)
        except (TypeError, ValueError):
            return None
    return arr


def _collect(np: Any, est: Any, prefix: str, out: dict[str, Any], depth: int) -> None:
    if depth > 3:
        return
    steps = getattr(est, "steps", None)  # Pipeline: its steps by name ("passthrough"/None steps hold nothing)
    if isinstance(steps, list) and all(isinstance(s, tuple) and len(s) == 2 for s in steps):
        for name, step in steps:
            if hasattr(step, "get_params") and hasattr(step, "__dict__"):
                _collect(np, step, f"{prefix}{name}.", out, depth + 1)
    for name, v in sorted(vars(est).items()):
        if not name.endswith("_") or name.startswith("_"):
            continue
        key = f"{prefix}{name}"
        if isinstance(v, np.ndarray) or isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
            arr = _as_array(np, v)
            if arr is not None:
                out[key] = arr
        elif type(v).__name__ == "Tree" and hasattr(v, "node_count"):
            for f in _TREE_FIELDS:
                out[f"{key}.{f}"] = np.asarray(getattr(v, f))
        elif isinstance(v, (list, tuple)) and v and all(hasattr(e, "get_params") for e in v):
            for i, e in enumerate(v):
                _collect(np, e, f"{key}.{i}.", out, depth + 1)
        elif hasattr(v, "get_params") and hasattr(v, "__dict__"):
            _collect(np, v, f"{key}.", out, depth + 1)


def sklearn_state(est: Any) -> dict[str, Any]:
    """The fitted arrays of a scikit-learn estimator as a state dict (raises if it is not fitted)."""
    import numpy as np

    from .core.errors import UnsupportedType

    if not callable(getattr(est, "get_params", None)):
        raise UnsupportedType(f"sklearn_state needs a scikit-learn estimator, got {type(est).__qualname__}")
    out: dict[str, Any] = {}
    _collect(np, est, "", out, 0)
    if not out:
        raise UnsupportedType(f"{type(est).__qualname__} has no fitted arrays: fit it first")
    return out
