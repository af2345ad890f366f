"""Gate checks: pure evaluation of a policy's checks against plain registry data.

Each check type is registered by name in :data:`CHECK_TYPES` with a ``validate(options, known_stages)``
(raising :class:`OptionError` naming the bad key) and an ``evaluate(check, ctx) -> CheckResult``. The registry is
open: other modules add types (``drift``) with :func:`register_check`. Built-in types: metric, compare,
provenance, lineage, approvals, soak, integrity, schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .policy import Check, Policy

__all__ = ["CheckResult", "GateContext", "CheckType", "CHECK_TYPES", "register_check", "evaluate_gates",
           "OptionError", "parse_threshold", "upstream_records", "request_key", "PASS", "FAIL", "PENDING"]

PASS, FAIL, PENDING = "pass", "fail", "pending"


class OptionError(ValueError):
    """A check option is invalid; ``key`` names the option so the policy parser can find its line."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class CheckResult:
    name: str
    type: str
    status: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "status": self.status, "message": self.message,
                "evidence": self.evidence}


@dataclass(frozen=True)
class GateContext:
    """Everything a check may look at: the folded state, the version record, the target stage and the time."""

    state: dict[str, Any]
    record: dict[str, Any]
    to: str
    now: datetime
    policy: Policy
    integrity: list[str] | None = None  # problems found by verify(ref); None: not checked
    facts: dict[str, Any] = field(default_factory=dict)  # gathered by the registry (e.g. "drift" from blobs)

    @property
    def asset(self) -> dict[str, Any]:
        return self.state["assets"][f"{self.record['kind']}:{self.record['name']}"]

    @property
    def request(self) -> dict[str, Any] | None:
        return self.state.get("requests", {}).get(request_key(self.record, self.to))


@dataclass(frozen=True)
class CheckType:
    name: str
    validate: Callable[[dict[str, Any], set[str]], None]
    evaluate: Callable[[Check, GateContext], CheckResult]


CHECK_TYPES: dict[str, CheckType] = {}


def register_check(name: str, validate: Callable[[dict[str, Any], set[str]], None],
                   evaluate: Callable[[Check, GateContext], CheckResult]) -> None:
    """Add (or replace) a check type usable as ``type = NAME`` in ``[[gates.STAGE]]``."""
    CHECK_TYPES[name] = CheckType(name, validate, evaluate)


def request_key(rec: dict[str, Any], to: str) -> str:
    return f"{rec['kind']}:{rec['name']}@{rec['number']}>{to}"


def evaluate_gates(policy: Policy, ctx: GateContext) -> list[CheckResult]:
    """Run every check the policy declares for ``ctx.to`` (and the record's kind). A crashing check fails."""
    results = []
    for check in policy.gates_for(ctx.to, ctx.record["kind"]):
        ct = CHECK_TYPES.get(check.type)
        try:
            if ct is None:
                raise ValueError(f"check type {check.type!r} is not available")
            results.append(ct.evaluate(check, ctx))
        except Exception as exc:  # noqa: BLE001 - a broken check must fail closed, with the reason
            results.append(CheckResult(check.name, check.type, FAIL, f"check could not run: {exc}"))
    req = ctx.request
    if req and req.get("rejected_by") and not any(c.type == "approvals" for c in policy.gates_for(
            ctx.to, ctx.record["kind"])):
        results.append(CheckResult("rejection", "approvals", FAIL, _rejected_msg(req), {"rejected_by": req["rejected_by"]}))
    return results


def _rejected_msg(req: dict[str, Any]) -> str:
    who = ", ".join(r["user"] for r in req["rejected_by"])
    return f"rejected by {who}; blocked until a new promotion request supersedes the rejection"


# -- helpers ---------------------------------------------------------------------------------------------
def _ref(rec: dict[str, Any]) -> str:
    return f"{rec['kind']}:{rec['name']}@{rec['number']}"


def _record(state: dict[str, Any], exact: str) -> dict[str, Any] | None:
    asset, _, num = exact.rpartition("@")
    a = state["assets"].get(asset)
    if a is None or not num.isdigit() or not 1 <= int(num) <= len(a["versions"]):
        return None
    return a["versions"][int(num) - 1]  # type: ignore[no-any-return]


def upstream_records(state: dict[str, Any], rec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every version ``rec`` was made from, transitively (inputs of inputs), nearest first."""
    out: list[dict[str, Any]] = []
    seen = {_ref(rec)}
    frontier = list(rec.get("inputs") or [])
    while frontier:
        nxt = []
        for exact in frontier:
            if exact in seen:
                continue
            seen.add(exact)
            r = _record(state, exact)
            if r is not None:
                out.append(r)
                nxt.extend(r.get("inputs") or [])
        frontier = nxt
    return out


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
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
        raise OptionError(f"bad threshold {text!r}; write METRIC OP VALUE with OP one of {' '.join(_OPS)}",
                          "threshold")
    metric, op, rhs = m.groups()
    if not compare:
        try:
            return Threshold(metric, op, value=float(rhs), text=text)
        except ValueError:
            raise OptionError(f"bad threshold {text!r}: {rhs!r} is not a number (use type = \"compare\" "
                              "to compare with another stage)", "threshold") from None
    c = _CMP_RHS.fullmatch(rhs)
    if not c:
        raise OptionError(f"bad comparison {text!r}; write e.g. 'accuracy >= production.accuracy - 0.005'",
                          "threshold")
    stage, base, sign, num = c.groups()
    offset = float(num) * (-1 if sign == "-" else 1) if num else 0.0
    return Threshold(metric, op, stage=stage, base_metric=base, offset=offset, text=text)


def _thresholds(opts: dict[str, Any]) -> list[Any]:
    items = opts.get("thresholds", opts.get("threshold"))
    if items is None:
        raise OptionError("needs 'threshold' (or a 'thresholds' list)", None)
    return items if isinstance(items, list) else [items]


def _only_keys(opts: dict[str, Any], allowed: set[str]) -> None:
    for k in opts:
        if k not in allowed:
            raise OptionError(f"unknown option {k!r}; allowed: {', '.join(sorted(allowed)) or 'none'}", k)


# -- metric & compare ------------------------------------------------------------------------------------
def _validate_metric(opts: dict[str, Any], stages: set[str]) -> None:
    _only_keys(opts, {"threshold", "thresholds"})
    for t in _thresholds(opts):
        parse_threshold(t, compare=False)


def _validate_compare(opts: dict[str, Any], stages: set[str]) -> None:
    _only_keys(opts, {"threshold", "thresholds", "missing"})
    for t in _thresholds(opts):
        th = parse_threshold(t, compare=True)
        if th.stage not in stages:
            raise OptionError(f"comparison {t!r} names unknown stage {th.stage!r}; stages are {sorted(stages)}",
                              "threshold" if "threshold" in opts else "thresholds")
    if opts.get("missing", "pass") not in ("pass", "fail"):
        raise OptionError("missing must be 'pass' or 'fail' (what to do when no version is at the stage)", "missing")


def _eval_metric(check: Check, ctx: GateContext) -> CheckResult:
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


def _eval_compare(check: Check, ctx: GateContext) -> CheckResult:
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
        ev[th.text] = {"against": _ref(base_rec), "value": v, "baseline": base}
        if v is None or base is None:
            bad.append(f"{th.metric if v is None else th.base_metric} not recorded"
                       f"{'' if v is None else ' on ' + _ref(base_rec)}")
            continue
        target = float(base) + th.offset
        ev[th.text]["target"] = target
        if not _OPS[th.op](float(v), target):
            bad.append(f"{th.metric} = {v} (needs {th.op} {target:g}, from {_ref(base_rec)})")
    if bad:
        return CheckResult(check.name, check.type, FAIL, "; ".join(bad), ev)
    return CheckResult(check.name, check.type, PASS, "comparison holds"
                       if any(e.get("against") for e in ev.values()) else "nothing to compare with yet", ev)


# -- provenance -------------------------------------------------------------------------------------------
_SECTIONS = ("record", "params", "metadata", "metrics")


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
    for sec in _SECTIONS:
        d = rec.get(sec) or {}
        if path in d and _present(d[path]):
            return True, d[path]
    return _present(rec.get(path)), rec.get(path)


def _validate_provenance(opts: dict[str, Any], stages: set[str]) -> None:
    _only_keys(opts, {"require"})
    req = opts.get("require")
    if not isinstance(req, list) or not req or not all(isinstance(x, str) and x for x in req):
        raise OptionError("require must be a non-empty list of field names (e.g. [\"seed\", \"inputs.dataset\"])",
                          "require")


def _eval_provenance(check: Check, ctx: GateContext) -> CheckResult:
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


register_check("metric", _validate_metric, _eval_metric)
register_check("compare", _validate_compare, _eval_compare)
register_check("provenance", _validate_provenance, _eval_provenance)


# the remaining built-in types (lineage, approvals, soak, integrity, schema) register themselves here
from . import drift_check as _drift_check  # noqa: E402,F401
from . import gate_checks as _gate_checks  # noqa: E402,F401
