"""What the acting user may do with a version, decided by the checks the actions themselves run.

Surfaces (the sidebar, the gate widget) ask this instead of re-implementing the rules:
``reg.permissions(ref, to=)`` calls the same role check (``role_problem``), author check
(``author_problem``) and stage-transition check the guarded actions use, so the explanation a disabled
button shows is the message the action would raise. Gate results are not considered: a promotion whose gates
fail may be attempted, and is then refused and recorded.
"""

from __future__ import annotations

from typing import Any

from ..core.refs import exact_ref
from .context import Service

__all__ = ["PermissionsService", "ACTION_NAMES"]

#: service method -> the policy's action name
ACTION_NAMES = {
    "promote": "promote",
    "request_promotion": "request",
    "approve": "approve",
    "reject": "reject",
    "force": "force",
    "rollback": "rollback",
    "retire": "retire",
}


class PermissionsService(Service):
    def permissions(self, ref: str | None = None, to: str | None = None) -> dict[str, Any]:
        """``{"user", "roles", "stages", "to", "deploy_stage", "actions": {method: {"allowed", "reason"}}}``.

        ``stages`` are the stages after the version's current one; ``to`` defaults to the next. ``reason``
        says why an action is not allowed (empty when it is). Nothing is recorded.
        """
        st = self.ctx.state
        policy = self.ctx.policy_in(st)
        user = self.ctx.user
        rec = self.ctx.resolve(ref, st) if ref else None
        stages: list[str] = []
        deploy = None
        if rec is not None:
            order = list(policy.stages_for(rec["kind"]))
            cur = rec.get("stage")
            stages = [] if rec.get("retired") else order[order.index(cur) + 1 if cur in order else 0 :]
            deploy = policy.deploy_stage(rec["kind"])
            if to is None and stages:
                to = stages[0]
        actions: dict[str, dict[str, Any]] = {}
        for method, action in ACTION_NAMES.items():
            stage = deploy if method == "rollback" else None if method == "retire" else to
            why = self.svc.promotion.role_problem(policy, action, stage)
            if why is None and rec is not None:
                why = self.svc.promotion.author_problem(rec, action) or _state_problem(
                    policy, method, rec, stages, to, st.get("requests", {})
                )
            actions[method] = {"allowed": why is None, "reason": why or ""}
        return {
            "user": user,
            "roles": list(policy.roles_of(user)),
            "stages": stages,
            "to": to,
            "deploy_stage": deploy,
            "actions": actions,
        }


def _state_problem(
    policy: Any, method: str, rec: dict[str, Any], stages: list[str], to: str | None, requests: dict[str, Any]
) -> str | None:
    exact = exact_ref(rec)
    if method in ("promote", "request_promotion", "approve", "reject", "force"):
        if rec.get("retired"):
            return f"{exact} is retired; retired versions can never be promoted again"
        if not stages or to is None:
            return f"{exact} is at its last stage"
        if method in ("promote", "request_promotion", "force"):
            problem = policy.transition_problem(rec["kind"], rec.get("stage"), to)
            if problem:
                return f"cannot promote {exact} to {to}: {problem}"
        if method == "approve" and policy.approvals_need_request:
            req = requests.get(f"{exact}>{to}")
            if req is None or req["status"] not in ("open", "rejected"):
                return f"no open promotion request for {exact} to {to}; request_promotion first"
    if method == "retire" and rec.get("retired"):
        return f"{exact} is already retired"
    return None
