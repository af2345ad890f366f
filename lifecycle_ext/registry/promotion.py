"""Policy, gates, promotion, requests and approvals: the service methods behind ``promote`` and friends.

Every precondition (roles, stage transitions, gate results) is checked inside the ``build(state)`` callback
given to the event log, so it is re-evaluated against the latest state if a concurrent writer wins. Integrity
(rehashing blobs) is the only part computed before: content is immutable, so its result cannot go stale.
A forbidden action appends an ``ActionDenied`` event and raises :class:`PermissionDenied`; a promotion whose
gates fail appends ``PromotionRefused`` (with the evidence) and raises :class:`GateFailed`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from ..core.clock import iso
from ..core.errors import ConflictError, GateFailed, NotFound, PermissionDenied, UsageInputError
from ..core.event_types import PolicySet
from ..core.gates import GateContext, evaluate_gates, upstream_records
from ..core.policy import RETIRED, Policy, parse_policy
from ..core.refs import exact_ref
from .context import EventSpec, Service, State
from .views.gates import GateReport, PolicyView, PromotionRequest
from .views.records import Version

__all__ = ["PromotionService"]


def need_reason(reason: str | None, what: str) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise UsageInputError(f"{what} needs a reason (reason=...): it is recorded in the audit trail")
    return reason.strip()


class PromotionService(Service):
    def policy(self) -> PolicyView:
        """The policy in force (the default policy until one is set)."""
        st = self.ctx.state
        p = self.ctx.policy_in(st)
        meta = st.get("policy") or {}
        return PolicyView(
            text=p.text,
            hash=p.hash,
            is_default=not meta,
            set_at=meta.get("set_at"),
            set_by=meta.get("set_by"),
            summary=p.to_dict(),
        )

    def set_policy(self, text_or_path: str | os.PathLike[str], *, reason: str = "") -> PolicyView:
        """Validate and record a new policy (TOML text or a file path). A malformed policy changes nothing."""
        text = _read_policy_arg(text_or_path)
        new = parse_policy(text)  # PolicyError names the line; nothing stored yet
        blob, _ = self.ctx.blobs.put(text.encode(), compress=False)  # kept as text: people read policies on disk

        def inner(state: State, policy: Policy, verdict: dict[str, Any]) -> EventSpec | None:
            if policy.hash == new.hash and state.get("policy"):
                return None
            return PolicySet(hash=new.hash, blob=blob, size=len(text.encode()), reason=reason, previous=policy.hash)

        self.guarded("set_policy", None, {}, inner)
        self.ctx.caches.policies[new.hash] = new
        return self.policy()

    # -- guarded appends -------------------------------------------------------------------------------
    def _denied(
        self,
        verdict: dict[str, Any],
        policy: Policy,
        action: str,
        stage: str | None,
        subject: dict[str, Any],
        message: str,
    ) -> EventSpec:
        verdict["denied"] = message
        return "ActionDenied", {
            "action": action,
            **subject,
            "stage": stage,
            "message": message,
            "user_roles": list(policy.roles_of(self.ctx.user)),
            "required_roles": list(policy.roles_for(action, stage)),
            "policy_hash": policy.hash,
        }

    def role_problem(self, policy: Policy, action: str, stage: str | None, *, user: str | None = None) -> str | None:
        """None if the acting user's (or ``user``'s) roles allow ``action`` (to/for ``stage``); else why not."""
        user = user or self.ctx.user
        if policy.allows(user, action, stage):
            return None
        roles = policy.roles_of(user)
        need = " or ".join(policy.roles_for(action, stage)) or "(nobody)"
        return (
            f"{user} may not {action.replace('_', ' ')}"
            f"{' to ' + stage if stage and action in ('promote', 'request', 'force') else ''}"
            f"{' for ' + stage if stage and action in ('approve', 'reject', 'rollback') else ''}"
            f": the policy requires role {need}; {user} has {', '.join(roles) or 'no roles'}"
        )

    def guarded(
        self,
        action: str,
        stage: str | None,
        subject: dict[str, Any],
        inner: Callable[[State, Policy, dict[str, Any]], EventSpec | None],
        *,
        authority: str | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Append ``inner``'s event if the acting user may do ``action``; else record the denied attempt.
        ``authority``: whose roles allow it instead (an automatic response: the policy's ``policy`` user), while
        the event is still recorded and signed by the acting user who triggered it."""
        verdict: dict[str, Any] = {}

        def build(state: State) -> EventSpec | None:
            verdict.clear()
            policy = self.ctx.policy_in(state)
            msg = self.role_problem(policy, action, stage, user=authority)
            if msg is not None:
                return self._denied(verdict, policy, action, stage, subject, msg)
            verdict["policy_hash"] = policy.hash
            return inner(state, policy, verdict)

        event = self.ctx.append(build)
        if "denied" in verdict:
            raise PermissionDenied(verdict["denied"])
        if "refused" in verdict:
            report = verdict["refused"]
            raise GateFailed(
                f"promotion of {report.ref} to {report.to} refused: "
                f"{', '.join(report.failing())} did not pass (recorded)\n{report!r}",
                report=report,
            )
        return event, verdict

    # -- gates -------------------------------------------------------------------------------------------
    def _target(self, rec: dict[str, Any], to: str | None, policy: Policy) -> str:
        order = policy.stages_for(rec["kind"])
        if to is None:
            nxt = policy.next_stage(rec["kind"], rec.get("stage"))
            if nxt is None:
                raise UsageInputError(f"{exact_ref(rec)} is at {rec.get('stage')}, the last stage; give to=STAGE")
            return nxt
        if to != RETIRED and to not in order:
            raise UsageInputError(f"unknown stage {to!r} for {rec['kind']}s; stages are {' -> '.join(order)}")
        return to

    def _integrity(self, rec: dict[str, Any], to: str, policy: Policy) -> list[str] | None:
        if not any(c.type == "integrity" for c in policy.gates_for(to, rec["kind"])):
            return None
        rep = self.svc.integrity.verify(exact_ref(rec))
        return [f"{p['object']}: {p['problem']}" for p in rep.problems]

    def _report(
        self, state: State, rec: dict[str, Any], to: str, policy: Policy, integrity: list[str] | None
    ) -> GateReport:
        problem = None
        if rec.get("retired"):
            problem = "the version is retired; retired versions can never be promoted again"
        else:
            problem = policy.transition_problem(rec["kind"], rec.get("stage"), to)
        if problem is None:
            problem = self.svc.monitoring.revalidation_problem(rec)
        now = self.ctx.clock.now()
        facts = self.svc.monitoring.gate_facts(state, rec, to, policy)
        checks = evaluate_gates(policy, GateContext(state, rec, to, now, policy, integrity, facts))
        return GateReport(
            ref=exact_ref(rec),
            to=to,
            from_stage=rec.get("stage"),
            policy_hash=policy.hash,
            checks=checks,
            evaluated_at=iso(now),
            problem=problem,
        )

    def gates(self, ref: str, to: str | None = None) -> GateReport:
        """Evaluate the gates for moving ``ref`` to stage ``to`` (default: its next stage). Records nothing."""
        st = self.ctx.state
        rec = self.ctx.resolve(ref, st)
        policy = self.ctx.policy_in(st)
        target = self._target(rec, to, policy)
        return self._report(st, rec, target, policy, self._integrity(rec, target, policy))

    # -- promote -----------------------------------------------------------------------------------------
    def promote(
        self,
        ref: str,
        to: str | None = None,
        *,
        reason: str = "",
        force: bool = False,
        known_limitations: str | None = None,
    ) -> Version:
        """Move ``ref`` to stage ``to`` if its gates pass; else record the refusal and raise GateFailed.

        ``force=True`` (only for a role the policy allows, with a reason) promotes despite failing checks and
        is recorded as an override. Entering the deploy stage (production) needs ``known_limitations`` text and
        writes the deployment record.
        """
        st = self.ctx.state
        rec0 = self.ctx.resolve(ref, st)
        asset, number = f"{rec0['kind']}:{rec0['name']}", rec0["number"]
        policy0 = self.ctx.policy_in(st)
        to = self._target(rec0, to, policy0)
        if force:
            need_reason(reason, "force=True")
        deploying = to == policy0.deploy_stage(rec0["kind"])
        if deploying and not (isinstance(known_limitations, str) and known_limitations.strip()):
            raise UsageInputError(
                f"promoting to {to} writes a deployment record: known_limitations=... is "
                "required text (write 'none known' if there are none)"
            )
        integrity = self._integrity(rec0, to, policy0)
        subject = {"asset": asset, "number": number, "to": to, "from": rec0.get("stage"), "reason": reason}

        def inner(state: State, policy: Policy, verdict: dict[str, Any]) -> EventSpec | None:
            rec = state["assets"][asset]["versions"][number - 1]
            if rec.get("retired"):
                raise ConflictError(f"{asset}@{number} is retired; retired versions can never be promoted again")
            if rec.get("stage") == to:
                raise ConflictError(f"{asset}@{number} is already at {to}")
            if force and not policy.allows(self.ctx.user, "force", to):
                need = " or ".join(policy.roles_for("force", to)) or "(nobody)"
                return self._denied(
                    verdict,
                    policy,
                    "force",
                    to,
                    subject,
                    f"{self.ctx.user} may not force a promotion to {to}: the policy requires role {need}",
                )
            integ = integrity if integrity is not None or policy is policy0 else self._integrity(rec, to, policy)
            report = self._report(state, rec, to, policy, integ)
            data = {
                **subject,
                "from": rec.get("stage"),
                "policy_hash": policy.hash,
                "checks": [c.to_dict() for c in report.checks],
                "problem": report.problem,
            }
            if report.problem or (not report.passed and not force):
                verdict["refused"] = report
                return "PromotionRefused", data
            data["forced"] = not report.passed
            if data["forced"]:
                data["override"] = {"by": self.ctx.user, "reason": reason, "failed": report.failing()}
            displaced = state["assets"][asset]["stages"].get(to)
            data["replaced"] = displaced
            if displaced is not None:  # its open requests toward other stages are orphaned: close them
                prefix = f"{asset}@{displaced}>"
                closing = [
                    k
                    for k, q in state.get("requests", {}).items()
                    if k.startswith(prefix) and q["status"] in ("open", "rejected")
                ]
                if closing:
                    data["closed_requests"] = closing
            if to == policy.deploy_stage(rec["kind"]):
                data["deployment"] = self._deployment_data(
                    state, rec, to, report, reason, known_limitations or "", data["forced"]
                )
            return "VersionPromoted", data

        event, _ = self.guarded("promote", to, subject, inner)
        v = self.svc.versions.get(f"{asset}@{number}")
        replaced = (event or {}).get("data", {}).get("replaced")
        if replaced is None:
            return v
        return dataclasses.replace(v, displaced=f"{asset}@{replaced}", displaced_from=to)

    def _deployment_data(
        self,
        state: State,
        rec: dict[str, Any],
        to: str,
        report: GateReport,
        reason: str,
        known_limitations: str,
        forced: bool,
    ) -> dict[str, Any]:
        r, md, sm = rec.get("record") or {}, rec.get("metadata") or {}, rec.get("summary") or {}
        framework = sm.get("framework") or r.get("framework") or md.get("framework")
        fw_version = sm.get("framework_version") or r.get("framework_version") or md.get("framework_version")
        if fw_version is None and framework:
            pkgs = r.get("packages") or r.get("versions") or {}
            fw_version = pkgs.get(framework) if isinstance(pkgs, dict) else None
        ups = upstream_records(state, rec)

        def of(kind: str) -> list[str]:
            return [exact_ref(u) for u in ups if u["kind"] == kind]

        current = state["assets"][f"{rec['kind']}:{rec['name']}"]["stages"].get(to)
        return {
            "ref": exact_ref(rec),
            "stage": to,
            "deployed_at": report.evaluated_at,
            "deployed_by": self.ctx.user,
            "content_hash": rec["content_hash"],
            "framework": framework,
            "framework_version": None if fw_version is None else str(fw_version),
            "serialization_format": str(
                sm.get("format")
                or r.get("serialization_format")
                or md.get("serialization_format")
                or rec.get("object_type")
            ),
            "signature": rec.get("signature"),
            "training_data": {
                "datasets": of("dataset"),
                "label_schemas": of("label_schema"),
                "pipelines": of("pipeline"),
                "other": [exact_ref(u) for u in ups if u["kind"] not in ("dataset", "label_schema", "pipeline")],
            },
            "gate_results": [c.to_dict() for c in report.checks],
            "known_limitations": known_limitations.strip(),
            "rollback_to": None if current is None else f"{rec['kind']}:{rec['name']}@{current}",
            "policy_hash": report.policy_hash,
            "reason": reason,
            "forced": forced,
            # the log head this promotion was decided on: an anchor for the deployment's history
            "log_head": {"seq": state["seq"], "hash": state["head"]},
        }

    # -- requests and approvals ----------------------------------------------------------------------------
    def _decision(self, action: str, ref: str, to: str | None, reason: str) -> PromotionRequest:
        st = self.ctx.state
        rec0 = self.ctx.resolve(ref, st)
        asset, number = f"{rec0['kind']}:{rec0['name']}", rec0["number"]
        policy0 = self.ctx.policy_in(st)
        if to is None and action in ("approve", "reject"):
            open_to = [
                r["to"]
                for r in st.get("requests", {}).values()
                if r["asset"] == asset and r["number"] == number and r["status"] in ("open", "rejected")
            ]
            to = open_to[-1] if len(open_to) == 1 else None
        to = self._target(rec0, to, policy0)
        subject = {"asset": asset, "number": number, "to": to, "reason": reason}
        etype = {"request": "PromotionRequested", "approve": "PromotionApproved", "reject": "PromotionRejected"}[action]

        def inner(state: State, policy: Policy, verdict: dict[str, Any]) -> EventSpec:
            rec = state["assets"][asset]["versions"][number - 1]
            if rec.get("retired"):
                raise ConflictError(f"{asset}@{number} is retired; it can never be promoted again")
            if action == "request":
                problem = policy.transition_problem(rec["kind"], rec.get("stage"), to)
                if problem:
                    raise ConflictError(f"cannot request promotion of {asset}@{number} to {to}: {problem}")
            elif (own := self.author_problem(rec, action)) is not None:
                return self._denied(verdict, policy, action, to, subject, own)
            elif action == "approve" and policy.approvals_need_request:
                req = state.get("requests", {}).get(f"{asset}@{number}>{to}")
                if req is None or req["status"] not in ("open", "rejected"):
                    why = f" (the request is {req['status']})" if req is not None else ""
                    raise ConflictError(
                        f"no open promotion request for {asset}@{number} to {to}{why}: approvals are accepted "
                        "for an open request only; request_promotion first (or set [approvals] "
                        "require_request = false in the policy)"
                    )
            return etype, {
                **subject,
                "from": rec.get("stage"),
                "policy_hash": policy.hash,
                "roles": list(policy.roles_of(self.ctx.user)),
            }

        self.guarded(action, to, subject, inner)
        req = self.ctx.state["requests"][f"{asset}@{number}>{to}"]
        return PromotionRequest.from_state(req)

    def author_problem(self, rec: dict[str, Any], action: str) -> str | None:
        if action in ("approve", "reject") and rec.get("author") == self.ctx.user:
            return (
                f"{self.ctx.user} may not {action} {exact_ref(rec)}: "
                "authors may not approve or reject their own version"
            )
        return None

    def request_promotion(self, ref: str, to: str | None = None, *, reason: str = "") -> PromotionRequest:
        """Ask for ``ref`` to be promoted to ``to``; supersedes earlier rejections of the same move."""
        return self._decision("request", ref, to, reason)

    def approve(self, ref: str, to: str | None = None, *, reason: str = "") -> PromotionRequest:
        """Approve promoting ``ref`` to ``to`` (the author of a version may not approve it)."""
        return self._decision("approve", ref, to, reason)

    def reject(self, ref: str, to: str | None = None, *, reason: str = "") -> PromotionRequest:
        """Reject promoting ``ref`` to ``to``; blocks until a new request supersedes it. Needs a reason."""
        return self._decision("reject", ref, to, need_reason(reason, "reject"))

    def pending(self) -> pd.DataFrame:
        """Open requests awaiting approval, and staged versions whose soak period has run (DataFrame)."""
        import pandas as pd

        st = self.ctx.state
        policy = self.ctx.policy_in(st)
        rows, seen = [], set()
        for key, req in st.get("requests", {}).items():
            if req["status"] not in ("open", "rejected"):
                continue
            rec = st["assets"][req["asset"]]["versions"][req["number"] - 1]
            rep = self._report(st, rec, req["to"], policy, None)
            seen.add(key)
            rows.append(self._pending_row(rec, req, rep, "request"))
        for a in st["assets"].values():
            for stage, n in a["stages"].items():
                rec = a["versions"][n - 1]
                nxt = policy.next_stage(rec["kind"], stage)
                if nxt is None or f"{exact_ref(rec)}>{nxt}" in seen or rec.get("retired"):
                    continue
                if any(c.type == "soak" for c in policy.gates_for(nxt, rec["kind"])):
                    rep = self._report(st, rec, nxt, policy, None)
                    rows.append(self._pending_row(rec, None, rep, "soak"))
        cols = [
            "ref",
            "to",
            "kind",
            "status",
            "requested_by",
            "requested_at",
            "approved_by",
            "rejected_by",
            "ready_at",
            "waiting_on",
        ]
        return pd.DataFrame(rows, columns=cols)

    def _pending_row(
        self, rec: dict[str, Any], req: dict[str, Any] | None, rep: GateReport, kind: str
    ) -> dict[str, Any]:
        soak = next((c for c in rep.checks if c.type == "soak"), None)
        waiting = [f"{c.name}: {c.message}" for c in rep.checks if c.status != "pass" and c.type != "integrity"]
        if rep.problem:
            waiting.insert(0, rep.problem)
        status = "rejected" if req and req["status"] == "rejected" else "ready" if not waiting else "waiting"
        if kind == "soak" and soak is not None:
            status = "soak complete" if soak.status == "pass" else "soaking"
        return {
            "ref": exact_ref(rec),
            "to": rep.to,
            "kind": kind,
            "status": status,
            "requested_by": req and req.get("requested_by"),
            "requested_at": req and req.get("requested_at"),
            "approved_by": [a["user"] for a in (req or {}).get("approvals", [])],
            "rejected_by": [r["user"] for r in (req or {}).get("rejected_by", [])],
            "ready_at": soak.evidence.get("ready_at") if soak else None,
            "waiting_on": waiting,
        }


def _read_policy_arg(text_or_path: str | os.PathLike[str]) -> str:
    if isinstance(text_or_path, os.PathLike):
        path = Path(text_or_path)
    elif (
        isinstance(text_or_path, str)
        and "\n" not in text_or_path
        and (text_or_path.endswith(".toml") or os.path.isfile(text_or_path))
    ):
        path = Path(text_or_path)
    elif isinstance(text_or_path, str):
        return text_or_path
    else:
        raise UsageInputError(f"set_policy takes TOML text or a file path, not {type(text_or_path).__name__}")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"policy file {str(path)!r} not found") from None
    except UnicodeDecodeError as exc:
        raise UsageInputError(f"policy file {str(path)!r} is not UTF-8 text: {exc}") from None
