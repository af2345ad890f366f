"""Built-in check types on the version's own record: metric thresholds, comparison with another stage's version,
and required provenance fields (see :mod:`.gates` for the table of check types).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .gate_context import FAIL, PASS, CheckResult, GateContext, OptionError, declared, only_keys, ref_of
from .policy import Check

__all__ = [
    "Threshold",
    "parse_threshold",
    "validate_metric",
    "eval_metric",
    "validate_compare",
    "eval_compare",
    "validate_provenance",
    "eval_provenance",
]


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_EXPR_RE = re.compile(r"\s*([A-Za-z_][\w.\-]*)\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*")
_NUM = r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?"
_CMP_RHS = re.compile(rf"([A-Za-z][\w\-]*)\.([A-Za-z_][\w\-]*(?:\.[\w\-]+)*?)\s*(?:([+-])\s*({_NUM}))?")


@dataclass(frozen=True)
class Threshold:
    metric: str
    op: str
    value: float | None = None  # for metric checks
    stage: str | None = None  # for compare checks: baseline = <stage>.<base_metric> (+/- offset)
    base_metric: str | None = None
    offset: float = 0.0
    text: str = ""


def parse_threshold(text: Any, *, compare: bool) -> Threshold:
    """``accuracy >= 0.9`` (metric) or ``accuracy >= production.accuracy - 0.005`` (compare)."""
    if not isinstance(text, str):
        raise OptionError(f"threshold must be a string like 'accuracy >= 0.9', got {text!r}", "threshold")
    m = _EXPR_RE.fullmatch(text)
    if not m:
        raise OptionError(f"bad threshold {text!r}; write METRIC OP VALUE with OP one of {' '.join(_OPS)}", "threshold")
    metric, op, rhs = m.groups()
    if not compare:
        try:
            return Threshold(metric, op, value=float(rhs), text=text)
        except ValueError:
            raise OptionError(
                f'bad threshold {text!r}: {rhs!r} is not a number (use type = "compare" to compare with another stage)',
                "threshold",
            ) from None
    c = _CMP_RHS.fullmatch(rhs)
    if not c:
        raise OptionError(f"bad comparison {text!r}; write e.g. 'accuracy >= production.accuracy - 0.005'", "threshold")
    stage, base, sign, num = c.groups()
    offset = float(num) * (-1 if sign == "-" else 1) if num else 0.0
    return Threshold(metric, op, stage=stage, base_metric=base, offset=offset, text=text)


def _thresholds(opts: dict[str, Any]) -> list[Any]:
    items = opts.get("thresholds", opts.get("threshold"))
    if items is None:
        raise OptionError("needs 'threshold' (or a 'thresholds' list)", None)
    return items if isinstance(items, list) else [items]


# -- metric & compare ------------------------------------------------------------------------------------
def validate_metric(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, {"threshold", "thresholds"})
    for t in _thresholds(opts):
        parse_threshold(t, compare=False)


def validate_compare(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, {"threshold", "thresholds", "missing"})
    for t in _thresholds(opts):
        th = parse_threshold(t, compare=True)
        if th.stage not in stages:
            raise OptionError(
                f"comparison {t!r} names unknown stage {th.stage!r}; stages are {sorted(stages)}",
                "threshold" if "threshold" in opts else "thresholds",
            )
    if opts.get("missing", "pass") not in ("pass", "fail"):
        raise OptionError("missing must be 'pass' or 'fail' (what to do when no version is at the stage)", "missing")


def eval_metric(check: Check, ctx: GateContext) -> CheckResult:
    metrics = ctx.record.get("metrics") or {}
    ev: dict[str, Any] = {}
    bad, missing = [], []
    for t in _thresholds(check.options):
        th = parse_threshold(t, compare=False)
        v = metrics.get(th.metric)
        ev[th.text] = {"value": v, "target": th.value}
        if v is None:
            missing.append(th.metric)
        elif not _OPS[th.op](float(v), th.value or 0.0):
            bad.append(f"{th.metric} = {v} (needs {th.op} {th.value:g})")
    if missing or bad:
        parts = ([f"metric {', '.join(missing)} not recorded"] if missing else []) + bad
        return CheckResult(check.name, check.type, FAIL, "; ".join(parts), ev)
    return CheckResult(check.name, check.type, PASS, "all thresholds met", ev)


def eval_compare(check: Check, ctx: GateContext) -> CheckResult:
    metrics = ctx.record.get("metrics") or {}
    ev: dict[str, Any] = {}
    bad = []
    for t in _thresholds(check.options):
        th = parse_threshold(t, compare=True)
        n = ctx.asset["stages"].get(th.stage)
        if n is None:
            ok = check.options.get("missing", "pass") == "pass"
            ev[th.text] = {"against": None}
            if not ok:
                bad.append(f"no version is at {th.stage} to compare with")
            continue
        base_rec = ctx.asset["versions"][n - 1]
        base = (base_rec.get("metrics") or {}).get(th.base_metric)
        v = metrics.get(th.metric)
        ev[th.text] = {"against": ref_of(base_rec), "value": v, "baseline": base}
        if v is None or base is None:
            bad.append(
                f"{th.metric if v is None else th.base_metric} not recorded"
                f"{'' if v is None else ' on ' + ref_of(base_rec)}"
            )
            continue
        target = float(base) + th.offset
        ev[th.text]["target"] = target
        if not _OPS[th.op](float(v), target):
            bad.append(f"{th.metric} = {v} (needs {th.op} {target:g}, from {ref_of(base_rec)})")
    if bad:
        return CheckResult(check.name, check.type, FAIL, "; ".join(bad), ev)
    return CheckResult(
        check.name,
        check.type,
        PASS,
        "comparison holds" if any(e.get("against") for e in ev.values()) else "nothing to compare with yet",
        ev,
    )


# -- provenance -------------------------------------------------------------------------------------------
_SECTIONS = ("record", "params", "metadata", "metrics")
_DECLARED_ONLY = frozenset({"source"})  # a bare ``source`` is the declared data source, never the cell's code


def _present(v: Any) -> bool:
    return v is not None and v != "" and v != [] and v != {}


def _lookup(rec: dict[str, Any], path: str) -> tuple[bool, Any]:
    head, _, rest = path.partition(".")
    if head == "inputs":
        inputs = rec.get("inputs") or []
        hits = [i for i in inputs if not rest or i.split(":", 1)[0] == rest]
        return bool(hits), hits
    if head in _SECTIONS and rest:
        cur: Any = rec.get(head) or {}
        for part in rest.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return False, None
            cur = cur[part]
        return _present(cur), cur
    decl = declared(rec)
    if path in decl and _present(decl[path]):
        return True, decl[path]
    if path in _DECLARED_ONLY:
        return False, None
    for sec in _SECTIONS:
        d = rec.get(sec) or {}
        if path in d and _present(d[path]):
            return True, d[path]
    return _present(rec.get(path)), rec.get(path)


def validate_provenance(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, {"require"})
    req = opts.get("require")
    if not isinstance(req, list) or not req or not all(isinstance(x, str) and x for x in req):
        raise OptionError(
            'require must be a non-empty list of field names (e.g. ["seed", "inputs.dataset"])', "require"
        )


def eval_provenance(check: Check, ctx: GateContext) -> CheckResult:
    ev: dict[str, Any] = {}
    missing = []
    for path in check.options["require"]:
        ok, value = _lookup(ctx.record, path)
        ev[path] = value if ok else None
        if not ok:
            missing.append(path)
    if missing:
        return CheckResult(check.name, check.type, FAIL, f"missing from the creation record: {', '.join(missing)}", ev)
    return CheckResult(check.name, check.type, PASS, "all required fields recorded", ev)
