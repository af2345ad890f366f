"""View models for promotion: gate reports, deployment records, explanations, policies, requests."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .html import badge, esc, kv_table, mark, table

__all__ = ["GateReport", "DeploymentRecord", "Explanation", "PolicyView", "PromotionRequest"]


@dataclass(frozen=True)
class GateReport:
    """The result of evaluating a stage's gates for one version under one policy."""

    ref: str
    to: str
    from_stage: str | None
    policy_hash: str
    checks: list[Any]  # CheckResult
    evaluated_at: str
    problem: str | None = None  # the transition itself is not allowed (skip, retired, ...)

    @property
    def passed(self) -> bool:
        return self.problem is None and all(c.status == "pass" for c in self.checks)

    @property
    def ok(self) -> bool:
        return self.passed

    @property
    def status(self) -> str:
        if self.problem or any(c.status == "fail" for c in self.checks):
            return "fail"
        return "pending" if any(c.status == "pending" for c in self.checks) else "pass"

    def failing(self) -> list[str]:
        return [c.name for c in self.checks if c.status != "pass"] + (["transition"] if self.problem else [])

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "to": self.to,
            "from": self.from_stage,
            "passed": self.passed,
            "status": self.status,
            "policy_hash": self.policy_hash,
            "evaluated_at": self.evaluated_at,
            "problem": self.problem,
            "checks": [c.to_dict() for c in self.checks],
        }

    def __repr__(self) -> str:
        head = (
            f"gates {self.ref} -> {self.to}: {self.status.upper()} "
            f"(policy {self.policy_hash[:19]}, {self.evaluated_at})"
        )
        lines = [head]
        if self.problem:
            lines.append(f"  [fail]    transition: {self.problem}")
        lines += [f"  [{c.status}]{' ' * (8 - len(c.status))}{c.name}: {c.message}" for c in self.checks]
        if not self.checks and not self.problem:
            lines.append("  (no checks configured for this stage)")
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        rows = [[mark("fail"), "transition", esc(self.problem), ""]] if self.problem else []
        rows += [
            [
                mark(c.status),
                esc(c.name) + f" <small>({esc(c.type)})</small>",
                esc(c.message),
                f"<details><summary>evidence</summary><pre>{esc(_pretty(c.evidence))}</pre></details>"
                if c.evidence
                else "",
            ]
            for c in self.checks
        ]
        body = table(["", "check", "result", ""], rows, raw=True) if rows else "<i>no checks configured</i>"
        return (
            f'<div class="lifecycle-gates"><b>Gates {esc(self.ref)} &rarr; {badge(self.to)}</b> '
            f"{mark(self.status)} <small>policy <code>{esc(self.policy_hash[:19])}</code>, "
            f"{esc(self.evaluated_at)}</small>{body}</div>"
        )


def _pretty(value: Any) -> str:
    import json

    return json.dumps(value, indent=1, default=str, ensure_ascii=False)


@dataclass(frozen=True)
class DeploymentRecord:
    """Written when a version enters the deploy stage (production): what exactly was deployed, and why."""

    ref: str
    stage: str
    deployed_at: str
    deployed_by: str
    content_hash: str
    framework: str | None
    framework_version: str | None
    serialization_format: str
    training_data: dict[str, Any]
    gate_results: list[dict[str, Any]]
    known_limitations: str
    rollback_to: str | None
    policy_hash: str
    reason: str = ""
    forced: bool = False
    signature: dict[str, Any] | None = None
    rolled_back: dict[str, Any] | None = None
    log_head: dict[str, Any] | None = None  # {"seq", "hash"} of the event log when the promotion was decided

    @classmethod
    def from_dict(cls, d: dict[str, Any], rolled_back: dict[str, Any] | None = None) -> DeploymentRecord:
        fields: dict[str, Any] = {k: d.get(k) for k in cls.__dataclass_fields__ if k != "rolled_back"}
        return cls(**fields, rolled_back=rolled_back)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        td = self.training_data
        return "\n".join(
            [
                f"deployment of {self.ref} to {self.stage} at {self.deployed_at} by {self.deployed_by}"
                + (" (FORCED)" if self.forced else ""),
                f"  content: {self.content_hash} ({self.serialization_format}"
                f"{', ' + str(self.framework) + ' ' + str(self.framework_version or '') if self.framework else ''})",
                f"  datasets: {', '.join(td.get('datasets', [])) or '-'}; label schema: "
                f"{', '.join(td.get('label_schemas', [])) or '-'}; pipeline: {', '.join(td.get('pipelines', [])) or '-'}",
                "  gates: " + ", ".join(f"{g['name']}={g['status']}" for g in self.gate_results)
                if self.gate_results
                else "  gates: none configured",
                f"  signature: {signature_text(self.signature)}",
                f"  known limitations: {self.known_limitations}",
                f"  rollback to: {self.rollback_to or '-'}",
                f"  policy: {self.policy_hash}",
            ]
            + (
                [f"  rolled back at {self.rolled_back['at']} by {self.rolled_back['by']}: {self.rolled_back['reason']}"]
                if self.rolled_back
                else []
            )
        )

    __str__ = __repr__

    def _repr_html_(self) -> str:
        td = self.training_data
        pairs = [
            (
                "deployed",
                f"{esc(self.deployed_at)} by {esc(self.deployed_by)}" + (" <b>FORCED</b>" if self.forced else ""),
            ),
            ("content", f"<code>{esc(self.content_hash)}</code> {esc(self.serialization_format)}"),
            ("framework", esc(f"{self.framework or '-'} {self.framework_version or ''}")),
            ("signature", esc(signature_text(self.signature))),
            ("datasets", esc(", ".join(td.get("datasets", [])) or "-")),
            ("label schema", esc(", ".join(td.get("label_schemas", [])) or "-")),
            ("pipeline", esc(", ".join(td.get("pipelines", [])) or "-")),
            (
                "gates",
                table(
                    ["check", "status", "message"], [[g["name"], g["status"], g["message"]] for g in self.gate_results]
                ),
            ),
            ("known limitations", esc(self.known_limitations)),
            ("rollback to", esc(self.rollback_to or "-")),
            ("policy", f"<code>{esc(self.policy_hash)}</code>"),
            ("reason", esc(self.reason or "-")),
        ]
        if self.rolled_back:
            pairs.append(
                (
                    "rolled back",
                    esc(f"{self.rolled_back['at']} by {self.rolled_back['by']}: {self.rolled_back['reason']}"),
                )
            )
        return (
            f'<div class="lifecycle-deployment"><b>Deployment {esc(self.ref)}</b> {badge(self.stage)}'
            f"{kv_table(pairs, raw_values=True)}</div>"
        )


@dataclass(frozen=True)
class Explanation:
    """Why a version is where it is, and what changed since the version before it."""

    ref: str
    stage: str | None
    story: list[dict[str, Any]]  # {"seq", "at", "actor", "action", "summary"}
    previous: str | None
    previous_why: str
    changes: dict[str, Any] = field(default_factory=dict)
    reviews: list[dict[str, Any]] = field(default_factory=list)  # post-release reviews (monitoring)
    model: dict[str, Any] | None = None  # framework, version, format, content hash, signature (stored models)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        lines = [f"{self.ref}: {'at ' + self.stage if self.stage else 'not at any stage'}"]
        if self.model:
            m = self.model
            lines.append(
                f"model: {m.get('framework')} {m.get('framework_version') or ''} as {m.get('format')}, "
                f"content {m.get('content_hash')}"
            )
            lines.append(f"signature: {signature_text(m.get('signature'))}")
        lines.append("why:")
        lines += [f"  #{s['seq']} {s['at']} {s['actor']}: {s['summary']}" for s in self.story] or ["  (no events)"]
        if self.previous is None:
            lines.append("changes: no earlier version to compare with")
        else:
            lines.append(f"changes since {self.previous} ({self.previous_why}):")
            lines += [f"  {line}" for line in change_lines(self.changes)] or ["  nothing recorded differs"]
        for r in self.reviews:
            lines.append(f"review #{r['seq']} {r['at']} {r['by']}: {r['summary']}")
            lines += [f"  lesson: {x}" for x in r.get("lessons", [])]
            lines += [f"  criteria change: {x}" for x in r.get("criteria_changes", [])]
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        story = table(["#", "time", "who", "what"], [[s["seq"], s["at"], s["actor"], s["summary"]] for s in self.story])
        ch = (
            "<i>no earlier version</i>"
            if self.previous is None
            else f"<p>since <b>{esc(self.previous)}</b> ({esc(self.previous_why)})</p>" + change_table(self.changes)
        )
        rv = "".join(
            f"<p><b>{esc(r['by'])}</b> {esc(r['at'])}: {esc(r['summary'])}</p>"
            + "".join(f"<div>lesson: {esc(x)}</div>" for x in r.get("lessons", []))
            + "".join(f"<div>criteria change: {esc(x)}</div>" for x in r.get("criteria_changes", []))
            for r in self.reviews
        )
        model = ""
        if self.model:
            m = self.model
            model = (
                f"<p>{esc(m.get('framework'))} {esc(m.get('framework_version') or '')} as {esc(m.get('format'))}, "
                f"content <code>{esc(m.get('content_hash'))}</code><br>signature "
                f"{esc(signature_text(m.get('signature')))}</p>"
            )
        return (
            f'<div class="lifecycle-explain"><b>{esc(self.ref)}</b> {badge(self.stage)}{model}'
            f"<h4>Why</h4>{story}<h4>What changed</h4>{ch}"
            f"{'<h4>Post-release reviews</h4>' + rv if rv else ''}</div>"
        )


def signature_text(sig: dict[str, Any] | None) -> str:
    """``(age: float64, ...) -> (prediction: int64)``, or ``-`` without a signature."""
    if not sig:
        return "-"
    ins = ", ".join(f"{c['name']}: {c['dtype']}" for c in sig.get("inputs", []))
    outs = ", ".join(f"{c['name']}: {c['dtype']}" for c in sig.get("outputs", []))
    return f"({ins}) -> ({outs or '?'})"


def change_lines(changes: dict[str, Any]) -> list[str]:
    out = []
    if changes.get("content_changed"):
        out.append("content changed")
    for section in ("params", "metrics", "metadata"):
        for k, (old, new) in changes.get(section, {}).items():
            out.append(f"{section}.{k}: {old!r} -> {new!r}")
    for k in ("added", "removed"):
        for i in changes.get("inputs", {}).get(k, []):
            out.append(f"input {k}: {i}")
    return out


# dark text on light tints: readable on a light page and in JupyterLab's dark theme
OLD_STYLE = "background:#fde2e2;color:#6e0b14;text-decoration:line-through;padding:0 3px"
NEW_STYLE = "background:#d4f5dc;color:#0b3d1a;font-weight:bold;padding:0 3px"


def changed(old: Any, new: Any) -> tuple[str, str]:
    """HTML cells for a changed value: the old one struck through on red, the new one bold on green."""
    o = f'<span class="lifecycle-old" style="{OLD_STYLE}">{esc(old)}</span>' if old is not None else "-"
    n = f'<span class="lifecycle-new" style="{NEW_STYLE}">{esc(new)}</span>' if new is not None else "-"
    return o, n


def change_table(changes: dict[str, Any]) -> str:
    rows = [["content", *changed("", "changed")]] if changes.get("content_changed") else []
    for section in ("params", "metrics", "metadata"):
        rows += [[esc(f"{section}.{k}"), *changed(old, new)] for k, (old, new) in changes.get(section, {}).items()]
    inp = changes.get("inputs", {})
    rows += [["input", "-", changed(None, i)[1]] for i in inp.get("added", [])]
    rows += [["input", changed(i, None)[0], "-"] for i in inp.get("removed", [])]
    return table(["field", "before", "after"], rows, raw=True) if rows else "<i>nothing recorded differs</i>"


@dataclass(frozen=True)
class PolicyView:
    text: str
    hash: str
    is_default: bool
    set_at: str | None
    set_by: str | None
    summary: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        src = "default policy" if self.is_default else f"set by {self.set_by} at {self.set_at}"
        return f"# policy {self.hash} ({src})\n{self.text}"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        src = "default policy" if self.is_default else f"set by {self.set_by} at {self.set_at}"
        return (
            f'<div class="lifecycle-policy"><b>Policy</b> <code>{esc(self.hash[:19])}</code> '
            f"<small>{esc(src)}</small><pre>{esc(self.text)}</pre></div>"
        )


@dataclass(frozen=True)
class PromotionRequest:
    ref: str
    to: str
    status: str
    requested_by: str | None
    requested_at: str | None
    reason: str
    approvals: list[dict[str, Any]]
    rejected_by: list[dict[str, Any]]

    @classmethod
    def from_state(cls, req: dict[str, Any]) -> PromotionRequest:
        return cls(
            ref=f"{req['asset']}@{req['number']}",
            to=req["to"],
            status=req["status"],
            requested_by=req.get("requested_by"),
            requested_at=req.get("requested_at"),
            reason=req.get("reason", ""),
            approvals=list(req.get("approvals", [])),
            rejected_by=list(req.get("rejected_by", [])),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        ap = ", ".join(a["user"] for a in self.approvals) or "none"
        rj = ", ".join(r["user"] for r in self.rejected_by)
        return f"promotion of {self.ref} to {self.to}: {self.status}; approvals: {ap}" + (
            f"; rejected by {rj}" if rj else ""
        )

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return (
            f'<div class="lifecycle-request"><b>{esc(self.ref)}</b> &rarr; {badge(self.to)} '
            f"{esc(self.status)}"
            + table(
                ["user", "decision", "time", "reason"],
                [[a["user"], "approved", a["at"], a.get("reason", "")] for a in self.approvals]
                + [[r["user"], "rejected", r["at"], r.get("reason", "")] for r in self.rejected_by],
            )
            + "</div>"
        )
