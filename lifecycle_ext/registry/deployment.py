"""Deployment records, rollback and retirement."""

from __future__ import annotations

from typing import Any

from ..core.clock import iso
from ..core.errors import ConflictError, GateFailed, InvalidRef, NotFound, PermissionDenied
from ..core.event_types import RolledBack, VersionRetired
from ..core.monitoring_policy import POLICY_ACTOR
from ..core.policy import Policy
from ..core.refs import exact_ref, parse_ref
from .context import Service, State
from .promotion import need_reason
from .views.gates import DeploymentRecord
from .views.records import Version

__all__ = ["DeploymentService"]


class DeploymentService(Service):
    def deployment(self, ref_or_name: str) -> DeploymentRecord:
        """The deployment record of a version (``KIND:NAME@N``), or of what is deployed now (``KIND:NAME``)."""
        st = self.ctx.state
        r = parse_ref(ref_or_name) if ":" in ref_or_name else self.ctx.asset_ref(ref_or_name)
        if r.version is None:
            a = self.ctx.asset(r, st)
            stage = self.ctx.policy_in(st).deploy_stage(r.kind)
            n = a["stages"].get(stage)
            if n is None:
                raise NotFound(f"no version of {r.asset} is at {stage}; see reg.audit('{r.asset}') for its history")
            rec = a["versions"][n - 1]
        else:
            rec = self.ctx.resolve(r, st)
        if not rec.get("deployment"):
            raise NotFound(f"{exact_ref(rec)} has never been deployed, so it has no deployment record")
        return DeploymentRecord.from_dict(rec["deployment"], rolled_back=rec.get("rolled_back"))

    def rollback(self, name: str, *, reason: str = "", automatic: dict[str, Any] | None = None) -> Version:
        """Restore the previous production version of ``name`` (its deployment record's rollback pointer).

        ``automatic`` (``{"rule", "alert_seq"}``, from monitoring): a response the policy orders. Its roles are
        checked as the policy's ``policy`` user (``parse_policy`` makes sure that user may roll back), and it is
        recorded -- and signed -- by the acting user, whose recorded batch raised the alert."""
        reason = need_reason(reason, "rollback")
        r = self.ctx.asset_ref(name)
        st = self.ctx.state
        self.ctx.asset(r, st)
        stage = self.ctx.policy_in(st).deploy_stage(r.kind)
        subject = {"asset": r.asset, "reason": reason}
        restored: dict[str, int] = {}

        def inner(state: State, policy: Policy, verdict: dict[str, Any]) -> RolledBack:
            a = state["assets"][r.asset]
            current = a["stages"].get(stage)
            if current is None:
                raise ConflictError(f"nothing of {r.asset} is at {stage}, so there is nothing to roll back")
            dep = a["versions"][current - 1].get("deployment") or {}
            back = dep.get("rollback_to")
            if not back:
                raise ConflictError(
                    f"{r.asset}@{current} was the first version deployed to {stage}; "
                    "there is no previous version to roll back to"
                )
            target = int(back.rpartition("@")[2])
            if a["versions"][target - 1].get("retired"):
                raise ConflictError(f"the previous {stage} version {back} is retired and cannot be restored")
            restored["n"] = target
            return RolledBack(
                asset=r.asset,
                reason=reason,
                stage=stage,
                from_number=current,
                to_number=target,
                policy_hash=policy.hash,
                automatic=automatic,
            )

        self.svc.promotion.guarded("rollback", stage, subject, inner, authority=POLICY_ACTOR if automatic else None)
        return self.svc.versions.get(f"{r.asset}@{restored['n']}")

    def retire(
        self, ref: str, *, reason: str = "", replaced_by: str | None = None, allow_empty: bool = False
    ) -> Version:
        """Archive a version with its context; it stays loadable and can never be promoted again.

        Retiring the version at the deploy stage needs ``replaced_by=`` (a version of the same asset that passes
        the deploy stage's gates; it enters the stage in the same event) or ``allow_empty=True`` (the stage is
        left empty on purpose; rollback is then impossible)."""
        reason = need_reason(reason, "retire")
        st = self.ctx.state
        r = parse_ref(ref)
        if r.version is None:
            raise InvalidRef(f"retire needs an exact version, e.g. {r.asset}@3 (not just the asset)")
        rec0 = self.ctx.resolve(r, st)
        asset, number = rec0.asset, rec0.number
        repl = exact_ref(self.ctx.resolve(replaced_by, st)) if replaced_by else None
        if repl == exact_ref(rec0):
            raise ConflictError("a version cannot be replaced by itself")
        subject = {"asset": asset, "number": number, "reason": reason}

        def inner(state: State, policy: Policy, verdict: dict[str, Any]) -> VersionRetired:
            rec = state["assets"][asset]["versions"][number - 1]
            if rec.get("retired"):
                raise ConflictError(f"{asset}@{number} is already retired")
            deploy = policy.deploy_stage(rec["kind"])
            promoted_to = None
            if rec.get("stage") == deploy and repl is None and not allow_empty:
                raise ConflictError(
                    f"{asset}@{number} is at {deploy}: retiring it would leave {deploy} empty and make rollback "
                    f"impossible; pass replaced_by=REF (promoted to {deploy} in the same event) or allow_empty=True"
                )
            if rec.get("stage") == deploy and repl is not None:
                promoted_to = self._replacement_problem(state, policy, asset, repl, deploy)
            now = iso(self.ctx.clock.now())
            served = [{**h, "left": h["left"] or now} for h in rec.get("history", [])]
            return VersionRetired(
                asset=asset,
                number=number,
                reason=reason,
                replaced_by=repl,
                from_stage=rec.get("stage"),
                served=tuple(served),
                policy_hash=policy.hash,
                promoted_to=promoted_to,
                allow_empty=True if allow_empty and rec.get("stage") == deploy and repl is None else None,
            )

        self.svc.promotion.guarded("retire", None, subject, inner)
        return self.svc.versions.get(f"{asset}@{number}")

    def _replacement_problem(self, state: State, policy: Policy, asset: str, repl: str, deploy: str) -> str:
        """Check that ``repl`` may enter ``deploy`` now (same asset, role, gates); return the stage."""
        if not repl.startswith(asset + "@"):
            raise ConflictError(f"replaced_by={repl} must be a version of {asset} to take its place at {deploy}")
        promotion = self.svc.promotion
        why = promotion.role_problem(policy, "promote", deploy)
        if why is not None:
            raise PermissionDenied(f"replaced_by={repl} would enter {deploy}: {why}")
        rec = state["assets"][asset]["versions"][int(repl.rsplit("@", 1)[1]) - 1]
        report = promotion._report(state, rec, deploy, policy, promotion._integrity(rec, deploy, policy))
        if report.problem or not report.passed:
            raise GateFailed(
                f"replaced_by={repl} cannot enter {deploy}: {report.problem or ', '.join(report.failing())}",
                report=report,
            )
        return deploy
