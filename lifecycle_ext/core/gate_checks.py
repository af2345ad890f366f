"""Built-in check types beyond metrics: lineage, approvals, soak, integrity, schema (see :mod:`.gates`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .clock import iso, parse_time
from .gate_context import (
    FAIL,
    PASS,
    PENDING,
    CheckResult,
    GateContext,
    OptionError,
    declared,
    only_keys,
    ref_of,
    upstream_records,
)
from .policy import RETIRED, Check, user_key

__all__ = [
    "soak_duration",
    "validate_lineage",
    "eval_lineage",
    "validate_approvals",
    "eval_approvals",
    "validate_soak",
    "eval_soak",
    "validate_none",
    "eval_integrity",
    "validate_schema",
    "eval_schema",
    "eval_erasure",
]


# -- lineage ----------------------------------------------------------------------------------------------
_LINEAGE_KEYS = {"stage", "licences", "licenses", "allow_pii", "deny_restrictions", "stage_kinds", "require_upstream"}


def validate_lineage(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, _LINEAGE_KEYS)
    if "stage" in opts and opts["stage"] not in stages:
        raise OptionError(f"unknown stage {opts['stage']!r}; stages are {sorted(stages)}", "stage")
    for key in ("licences", "licenses", "deny_restrictions", "stage_kinds"):
        v = opts.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise OptionError(f"{key} must be a list of strings", key)
    for key in ("allow_pii", "require_upstream"):
        if not isinstance(opts.get(key, False), bool):
            raise OptionError(f"{key} must be true or false", key)


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]


def eval_lineage(check: Check, ctx: GateContext) -> CheckResult:
    o = check.options
    ups = upstream_records(ctx.state, ctx.record)
    allow_lic = set(o.get("licences", []) + o.get("licenses", []))
    deny = set(o.get("deny_restrictions", [])) | {f"no-{ctx.to}"}
    stage_kinds = set(o.get("stage_kinds", ["dataset"]))
    problems: list[str] = []
    ev: dict[str, Any] = {}
    for up in ups:
        ref = ref_of(up)
        md = declared(up)  # metadata, the dataset's source= and %%track --kind-meta fields
        stage = up.get("stage")
        lic = md.get("licence", md.get("license"))
        ev[ref] = {
            "stage": RETIRED if up.get("retired") else stage,
            "licence": lic,
            "pii": bool(md.get("pii")),
            "pseudonymized": bool(md.get("pseudonymized")),
        }
        if "stage" in o and up["kind"] in stage_kinds:
            order = ctx.policy.stages_for(up["kind"])
            need = o["stage"]
            # a stage once reached stays earned (a newer validated version displaces the pointer, not the status)
            reached = [h["stage"] for h in up.get("history", []) if h["stage"] in order]
            best = max(reached, key=order.index) if reached else None
            ev[ref]["reached"] = best
            if up.get("retired"):
                problems.append(f"{ref} is retired")
            elif need in order and (best is None or order.index(best) < order.index(need)):
                problems.append(f"{ref} has reached {best or 'no stage'}, needs {need} or later")
        if allow_lic:  # a licence is required of data kinds; other kinds are checked when they record one
            if lic is None and up["kind"] in stage_kinds:
                problems.append(f"{ref} records no licence (allowed: {', '.join(sorted(allow_lic))})")
            elif lic is not None and str(lic) not in allow_lic:
                problems.append(f"{ref} licence {lic!r} is not in the allow list")
        if md.get("pii") is True and md.get("pseudonymized") is not True and not o.get("allow_pii", False):
            problems.append(f"{ref} is marked pii = true and not pseudonymized")
        restr = _as_list(md.get("usage_restrictions", md.get("usage_restriction")))
        if restr:
            ev[ref]["usage_restrictions"] = restr
        hit = sorted(set(restr) & deny)
        if hit:
            problems.append(f"{ref} has usage restriction {', '.join(hit)}")
        until = md.get("retain_until", md.get("retention_until"))
        if until is not None:
            ev[ref]["retain_until"] = until
            try:
                end = date.fromisoformat(str(until)[:10])
            except ValueError:
                problems.append(f"{ref} has an unreadable retention date {until!r}")
            else:
                if ctx.now.date() > end:
                    problems.append(f"{ref} is past its retention date {until}")
    # unknown training data never passes: a model needs upstream data unless the policy says otherwise
    data = [u for u in ups if u["kind"] in stage_kinds]
    if not data and o.get("require_upstream", ctx.record["kind"] == "model"):
        problems.append(
            f"no upstream data ({', '.join(sorted(stage_kinds))}) recorded for {ref_of(ctx.record)}; "
            "its training data is unknown (require_upstream = false allows this)"
        )
    if problems:
        return CheckResult(check.name, check.type, FAIL, "; ".join(problems), ev)
    return CheckResult(
        check.name,
        check.type,
        PASS,
        f"{len(ups)} upstream version(s) acceptable" if ups else "no upstream versions recorded",
        ev,
    )


# -- approvals --------------------------------------------------------------------------------------------
def validate_approvals(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, {"role", "count"})
    if not isinstance(opts.get("role"), str) or not opts["role"]:
        raise OptionError('role must name the role whose approvals count (e.g. role = "reviewer")', "role")
    n = opts.get("count", 1)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise OptionError(f"count must be a positive integer, got {n!r}", "count")


def eval_approvals(check: Check, ctx: GateContext) -> CheckResult:
    role, need = check.options["role"], check.options.get("count", 1)
    req = ctx.request or {}
    author = user_key(str(ctx.record.get("author") or ""))
    approvers: list[str] = []
    ignored: dict[str, str] = {}
    for a in req.get("approvals", []):
        u = user_key(a["user"])
        if u == author:
            ignored[u] = "author of the version"
        elif role not in ctx.policy.roles_of(u):
            ignored[u] = f"does not hold role {role}"
        elif u not in approvers:
            approvers.append(u)
    ev = {
        "role": role,
        "required": need,
        "approved_by": approvers,
        "ignored": ignored,
        "rejected_by": [r["user"] for r in req.get("rejected_by", [])],
    }
    if req.get("rejected_by"):
        who = ", ".join(ev["rejected_by"])
        return CheckResult(
            check.name, check.type, FAIL, f"rejected by {who}; blocked until a new promotion request supersedes it", ev
        )
    if len(approvers) >= need:
        return CheckResult(check.name, check.type, PASS, f"{len(approvers)}/{need} {role} approval(s)", ev)
    return CheckResult(check.name, check.type, PENDING, f"{len(approvers)}/{need} {role} approval(s) so far", ev)


# -- soak -------------------------------------------------------------------------------------------------
def validate_soak(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, {"days", "hours", "minutes", "stage"})
    for k in ("days", "hours", "minutes"):
        v = opts.get(k, 0)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            raise OptionError(f"{k} must be a non-negative number", k)
    if not any(opts.get(k) for k in ("days", "hours", "minutes")):
        raise OptionError("soak needs a duration: days, hours and/or minutes", None)
    if "stage" in opts and opts["stage"] not in stages:
        raise OptionError(f"unknown stage {opts['stage']!r}", "stage")


def soak_duration(opts: dict[str, Any]) -> timedelta:
    return timedelta(days=opts.get("days", 0), hours=opts.get("hours", 0), minutes=opts.get("minutes", 0))


def eval_soak(check: Check, ctx: GateContext) -> CheckResult:
    need = soak_duration(check.options)
    stage = check.options.get("stage") or ctx.record.get("stage")
    entry = next(
        (h for h in reversed(ctx.record.get("history", [])) if h["stage"] == stage and h["left"] is None), None
    )
    if stage is None or entry is None:
        return CheckResult(
            check.name,
            check.type,
            FAIL,
            f"the version is not at {stage or 'any stage'}; it must soak there for {need}",
            {"required_seconds": need.total_seconds()},
        )
    entered = parse_time(entry["entered"])
    elapsed = ctx.now - entered
    ready = entered + need
    ev = {
        "stage": stage,
        "entered": entry["entered"],
        "elapsed_seconds": elapsed.total_seconds(),
        "required_seconds": need.total_seconds(),
        "ready_at": iso(ready),
    }
    if elapsed >= need:
        return CheckResult(check.name, check.type, PASS, f"{elapsed} in {stage} (needs {need})", ev)
    return CheckResult(check.name, check.type, PENDING, f"{elapsed} in {stage}; ready at {iso(ready)}", ev)


# -- integrity --------------------------------------------------------------------------------------------
def validate_none(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, set())


def eval_integrity(check: Check, ctx: GateContext) -> CheckResult:
    if ctx.integrity is None:
        return CheckResult(check.name, check.type, PENDING, "content not verified yet", {})
    if ctx.integrity:
        return CheckResult(check.name, check.type, FAIL, "; ".join(ctx.integrity), {"problems": ctx.integrity})
    return CheckResult(
        check.name,
        check.type,
        PASS,
        "content verifies against its hashes",
        {"content_hash": ctx.record.get("content_hash")},
    )


# -- schema -----------------------------------------------------------------------------------------------
def validate_schema(opts: dict[str, Any], stages: set[str]) -> None:
    only_keys(opts, {"stage", "required"})
    if "stage" in opts and opts["stage"] not in stages:
        raise OptionError(f"unknown stage {opts['stage']!r}", "stage")
    if not isinstance(opts.get("required", True), bool):
        raise OptionError("required must be true or false", "required")


def _schema_refs(ctx: GateContext) -> list[str]:
    """Label-schema versions in the lineage: upstream label schemas and those upstream datasets declared."""
    out: list[str] = []
    for u in upstream_records(ctx.state, ctx.record):
        if u["kind"] == "label_schema":
            out.append(ref_of(u))
        elif u["kind"] == "dataset" and (u.get("dataset") or {}).get("schema"):
            out.append(str(u["dataset"]["schema"]))
    return list(dict.fromkeys(out))


def _changes_text(v: dict[str, Any]) -> str:
    ls = v.get("label_schema")
    if not isinstance(ls, dict):
        return "untyped change, treated as retroactive"
    parts = []
    for c in ls.get("changes", []):
        if c.get("retroactive"):
            parts.append(
                f"{c['type']}: {', '.join(c.get('old') or []) or '-'} -> {', '.join(c.get('new') or []) or '-'}"
            )
    return "; ".join(parts)


def eval_schema(check: Check, ctx: GateContext) -> CheckResult:
    """Every label schema in the lineage (declared by a dataset with ``schema=`` or an input) has no retroactive
    change since (up to the version at ``stage`` when given); the failure names the changes."""
    stage = check.options.get("stage")
    refs = _schema_refs(ctx)
    ev: dict[str, Any] = {}
    bad = []
    for ref in refs:
        asset, _, num = ref.rpartition("@")
        a = ctx.state["assets"].get(asset)
        if a is None or not num.isdigit():
            bad.append(f"{ref} is not in the registry")
            continue
        n = int(num)
        current = a["stages"].get(stage) if stage else len(a["versions"])
        ev[ref] = {"current": current}
        if current is None:
            bad.append(f"{ref}: no version of {asset} is at {stage}")
            continue
        later = a["versions"][n:current]
        retro = [
            v for v in later if not isinstance(v.get("label_schema"), dict) or v["label_schema"].get("retroactive")
        ]
        ev[ref]["retroactive_since"] = [ref_of(v) for v in retro]
        if retro:
            bad.append(
                f"{ref} has retroactive changes since: "
                + "; ".join(f"{ref_of(v)} ({_changes_text(v)})" for v in retro)
                + f" (current: {asset}@{current}{' at ' + stage if stage else ''})"
            )
    if not refs:
        if check.options.get("required", True):
            return CheckResult(check.name, check.type, FAIL, "no label schema in the training data's lineage", ev)
        return CheckResult(
            check.name, check.type, PASS, "no label schema in the lineage (not required by the policy)", ev
        )
    if bad:
        return CheckResult(check.name, check.type, FAIL, "; ".join(bad), ev)
    return CheckResult(
        check.name,
        check.type,
        PASS,
        f"training data follows its label schema ({', '.join(refs)}) with no retroactive change since",
        ev,
    )


# -- erasure ----------------------------------------------------------------------------------------------
def eval_erasure(check: Check, ctx: GateContext) -> CheckResult:
    """No version in the lineage had rows erased (``reg.erase`` or retention) since this version was made from it,
    unless the erasure was accepted for this version (``reg.accept_erasure(ref, reason=)``): retrain on the
    redacted successor instead."""
    erased = [u for u in upstream_records(ctx.state, ctx.record) if u.get("erased")]
    ev: dict[str, Any] = {
        ref_of(u): {"event": u["erased"]["seq"], "successor": u["erased"].get("successor")} for u in erased
    }
    if not erased:
        return CheckResult(check.name, check.type, PASS, "no erased data in the lineage", ev)
    accepted = ctx.record.get("erasure_accepted")
    names = "; ".join(
        f"{ref_of(u)} (event {u['erased']['seq']}: {u['erased'].get('reason') or 'no reason'}"
        + (f"; successor @{u['erased']['successor']})" if u["erased"].get("successor") else ")")
        for u in erased
    )
    if accepted:
        ev["accepted"] = dict(accepted)
        return CheckResult(
            check.name, check.type, PASS, f"trained on erased data ({names}), accepted: {accepted['reason']}", ev
        )
    return CheckResult(
        check.name,
        check.type,
        FAIL,
        f"trained on erased data: {names}; retrain on the redacted successor or accept with a reason",
        ev,
    )
