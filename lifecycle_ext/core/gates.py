"""Gate checks: pure evaluation of a policy's checks against plain registry data.

:data:`CHECK_TYPES` is the one table of check types, built at the bottom of this module: each has a
``validate(options, known_stages)`` (raising :class:`OptionError` naming the bad key) and an
``evaluate(check, ctx) -> CheckResult``. Built-in types: metric, compare, provenance (:mod:`.metric_checks`),
lineage, approvals, soak, integrity, schema, erasure (:mod:`.gate_checks`) and drift (:mod:`.drift_check`). Nothing
registers itself on import; :func:`register_check` adds a type explicitly (tests, extensions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import doc_fields, drift_check, gate_checks, metric_checks
from .gate_context import (
    FAIL,
    PASS,
    PENDING,
    CheckResult,
    CheckType,
    GateContext,
    OptionError,
    request_key,
    upstream_records,
)
from .metric_checks import Threshold, parse_threshold
from .policy import Check, Policy

__all__ = [
    "CheckResult",
    "GateContext",
    "CheckType",
    "CHECK_TYPES",
    "register_check",
    "evaluate_gates",
    "OptionError",
    "Threshold",
    "parse_threshold",
    "upstream_records",
    "request_key",
    "PASS",
    "FAIL",
    "PENDING",
]


def register_check(
    name: str,
    validate: Callable[[dict[str, Any], set[str]], None],
    evaluate: Callable[[Check, GateContext], CheckResult],
) -> None:
    """Add (or replace) a check type usable as ``type = NAME`` in ``[[gates.STAGE]]``."""
    CHECK_TYPES[name] = CheckType(name, validate, evaluate)


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
    if (
        req
        and req.get("rejected_by")
        and not any(c.type == "approvals" for c in policy.gates_for(ctx.to, ctx.record["kind"]))
    ):
        results.append(
            CheckResult("rejection", "approvals", FAIL, _rejected_msg(req), {"rejected_by": req["rejected_by"]})
        )
    return results


def _rejected_msg(req: dict[str, Any]) -> str:
    who = ", ".join(r["user"] for r in req["rejected_by"])
    return f"rejected by {who}; blocked until a new promotion request supersedes the rejection"


#: check type name -> :class:`CheckType`: every built-in type, in one table.
CHECK_TYPES: dict[str, CheckType] = {
    ct.name: ct
    for ct in (
        CheckType("metric", metric_checks.validate_metric, metric_checks.eval_metric),
        CheckType("compare", metric_checks.validate_compare, metric_checks.eval_compare),
        CheckType("provenance", metric_checks.validate_provenance, metric_checks.eval_provenance),
        CheckType("lineage", gate_checks.validate_lineage, gate_checks.eval_lineage),
        CheckType("approvals", gate_checks.validate_approvals, gate_checks.eval_approvals),
        CheckType("soak", gate_checks.validate_soak, gate_checks.eval_soak),
        CheckType("integrity", gate_checks.validate_none, gate_checks.eval_integrity),
        CheckType("schema", gate_checks.validate_schema, gate_checks.eval_schema),
        CheckType("erasure", gate_checks.validate_none, gate_checks.eval_erasure),
        CheckType("drift", drift_check.validate_drift, drift_check.eval_drift),
        CheckType("documentation", doc_fields.validate_documentation, doc_fields.eval_documentation),
    )
}
