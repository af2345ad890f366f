"""The ``drift`` gate check: a challenger must not be promoted while its training data has drifted past a
threshold against current production traffic.

Policy::

    [[gates.production]]
    type = "drift"
    max_psi = 0.25          # fail when any feature's PSI is above this (default 0.25)
    window = 3              # mean PSI over the latest N monitored production batches (default 1)
    stage = "production"    # whose traffic to compare with (default: the kind's deploy stage)
    missing = "pass"        # no baseline / no production traffic yet: "pass" (default), "pending" or "fail"

The check is pure: it reads ``ctx.facts["drift"][check.name]``, which the registry gathers from the stored
baseline and batch sketches before evaluating the gates (``registry/drift_facts.py``).
"""

from __future__ import annotations

from typing import Any

from .gate_context import FAIL, PASS, PENDING, CheckResult, GateContext, OptionError, only_keys
from .policy import Check

__all__ = ["DRIFT_DEFAULTS", "validate_drift", "eval_drift"]

DRIFT_DEFAULTS = {"max_psi": 0.25, "window": 1, "missing": "pass"}


def validate_drift(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, {"max_psi", "window", "stage", "missing"})
    m = opts.get("max_psi", DRIFT_DEFAULTS["max_psi"])
    if isinstance(m, bool) or not isinstance(m, (int, float)) or not m > 0:
        raise OptionError(f"max_psi must be a positive number, got {m!r}", "max_psi")
    w = opts.get("window", 1)
    if isinstance(w, bool) or not isinstance(w, int) or w < 1:
        raise OptionError(f"window must be a whole number of batches >= 1, got {w!r}", "window")
    if "stage" in opts and opts["stage"] not in stages:
        raise OptionError(f"unknown stage {opts['stage']!r}; stages are {sorted(stages)}", "stage")
    if opts.get("missing", "pass") not in (PASS, PENDING, FAIL):
        raise OptionError("missing must be pass, pending or fail", "missing")


def eval_drift(check: Check, ctx: GateContext) -> CheckResult:
    o = {**DRIFT_DEFAULTS, **check.options}
    facts = (getattr(ctx, "facts", None) or {}).get("drift", {}).get(check.name)
    if facts is None:
        return CheckResult(check.name, "drift", FAIL, "drift facts were not gathered for this check")
    ev = {**facts, "max_psi": o["max_psi"], "window": o["window"]}
    if facts["baseline"] is None:
        return CheckResult(
            check.name,
            "drift",
            o["missing"],
            "no baseline for this version's training data (save it as a DataFrame dataset input)",
            ev,
        )
    if not facts["batches"]:
        where = facts["production"] or f"nothing at {facts['stage']}"
        return CheckResult(
            check.name, "drift", o["missing"], f"no monitored production traffic to compare with ({where})", ev
        )
    over = {c: v for c, v in facts["psi"].items() if v > o["max_psi"]}
    if over:
        worst = ", ".join(f"{c} PSI {v:.3g}" for c, v in sorted(over.items(), key=lambda kv: -kv[1])[:5])
        return CheckResult(
            check.name,
            "drift",
            FAIL,
            f"training data {facts['baseline']} has drifted from {facts['production']} traffic: "
            f"{worst} > {o['max_psi']}",
            ev,
        )
    top = max(facts["psi"].values(), default=0.0)
    return CheckResult(
        check.name,
        "drift",
        PASS,
        f"max PSI {top:.3g} <= {o['max_psi']} against {facts['production']} ({len(facts['batches'])} batches)",
        ev,
    )
