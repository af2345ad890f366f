"""Classify what a cell read: registry inputs, configs by value, modules, and what could not be captured."""

from __future__ import annotations

import json
import math
import sys
import types
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Reads", "classify_reads", "config_value", "MAX_CONFIG_BYTES", "MAX_CONFIGS_BYTES"]

MAX_CONFIG_BYTES = 8_192  # one config value, as JSON
MAX_CONFIGS_BYTES = 65_536  # all configs of one cell
_SCALARS = (bool, int, float, str, type(None))
_SHELL_NAMES = frozenset({"get_ipython", "In", "Out", "exit", "quit", "display"})


@dataclass
class Reads:
    inputs: dict[str, str] = field(default_factory=dict)  # variable -> exact ref
    derived: dict[str, list[str]] = field(default_factory=dict)  # variable -> refs it was computed from
    configs: dict[str, Any] = field(default_factory=dict)  # variable -> JSON value
    modules: dict[str, str] = field(default_factory=dict)  # variable -> module name
    uncaptured: dict[str, str] = field(default_factory=dict)  # variable -> type name or reason


def _finite(v: Any) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _finite(x) for k, x in v.items())
    if isinstance(v, list):
        return all(_finite(x) for x in v)
    return isinstance(v, _SCALARS)


def config_value(value: Any) -> tuple[Any, str | None]:
    """``(value, None)`` when ``value`` is a dict/list/scalar that round-trips exactly through JSON within
    the size bound, else ``(None, reason)``."""
    if isinstance(value, _SCALARS):
        if isinstance(value, str) and len(value) > MAX_CONFIG_BYTES:
            return None, f"str of {len(value)} characters exceeds the {MAX_CONFIG_BYTES}-byte config bound"
        if isinstance(value, float) and not math.isfinite(value):
            return None, "non-finite float"
        return value, None
    if not isinstance(value, (dict, list)):
        return None, _type_name(value)
    if len(value) > MAX_CONFIG_BYTES // 2 or not _finite(value):
        return None, f"{type(value).__name__} that is too large or not plain JSON"
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return None, f"{type(value).__name__} that is not JSON-able"
    if len(text) > MAX_CONFIG_BYTES:
        return None, f"{type(value).__name__} of {len(text)} JSON bytes exceeds the {MAX_CONFIG_BYTES}-byte bound"
    if json.loads(text) != value:
        return None, f"{type(value).__name__} that does not round-trip through JSON (tuples?)"
    return value, None


def _type_name(v: Any) -> str:
    t = type(v)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _import_spec(v: Any) -> str | None:
    """``module:qualname`` when importing it gives back this very object (so reproduce can re-import it)."""
    if not callable(v):
        return None
    mod, qual = getattr(v, "__module__", None), getattr(v, "__qualname__", None)
    if not isinstance(mod, str) or not isinstance(qual, str) or mod == "__main__" or "<" in qual:
        return None
    m = sys.modules.get(mod)
    obj: Any = m
    for part in qual.split("."):
        obj = getattr(obj, part, None)
    return f"{mod}:{qual}" if obj is v else None


def classify_reads(names: list[str], ns: dict[str, Any], lookup: Any, derived: Any = None) -> Reads:
    """Sort the names a cell reads. ``lookup(obj) -> exact ref | None`` consults the identity map;
    ``derived(obj) -> [ref, ...]`` names the versions an object was computed from in the notebook.

    Names missing from ``ns`` (typos, names defined later) are ignored; callables defined in the notebook and
    other objects that are neither inputs, configs nor modules are listed as uncaptured.
    """
    out = Reads()
    budget = MAX_CONFIGS_BYTES
    for name in names:
        if name not in ns or name.startswith("_") or name in _SHELL_NAMES:
            continue
        v = ns[name]
        if isinstance(v, types.ModuleType):
            out.modules[name] = v.__name__
            continue
        ref = lookup(v)
        if ref is not None:
            out.inputs[name] = ref
            continue
        refs = derived(v) if derived is not None else None
        if refs:
            out.derived[name] = list(refs)
            continue
        value, why = config_value(v)
        if why is None:
            size = len(json.dumps(value)) if isinstance(value, (dict, list)) else 16
            if size <= budget:
                budget -= size
                out.configs[name] = value
                continue
            why = "over the per-cell config budget"
        spec = _import_spec(v)
        if spec is not None:  # an imported function or class (`from sklearn.svm import SVC`)
            out.modules[name] = spec
            continue
        out.uncaptured[name] = why or _type_name(v)
    return out
