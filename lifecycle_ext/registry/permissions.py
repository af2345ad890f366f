"""What the acting user may do with a version, answered by the policy the service enforces.

Surfaces (the sidebar) ask this instead of re-implementing the rules: ``reg.permissions(ref, to=)`` uses the
same ``Policy.allows`` check the guarded actions run, plus the state rules those actions apply (an author may
not approve their own version; a retired version cannot be promoted or retired again).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PermissionsMixin", "ACTION_NAMES"]

#: service method -> the policy's action name
ACTION_NAMES = {"promote": "promote", "request_promotion": "request", "approve": "approve", "reject": "reject",
                "rollback": "rollback", "retire": "retire"}


class PermissionsMixin:
    def permissions(self, ref: str | None = None, to: str | None = None) -> dict[str, Any]:
        """``{"user", "roles", "stages", "actions": {method: {"allowed", "reason"}}}`` for ``ref`` (and ``to``).

        ``stages`` are the stages after the version's current one (the first is the next stage); ``to``
        defaults to that next stage. Nothing is recorded.
        """
        st = self.state  # type: ignore[attr-defined]
        policy = self._policy_in(st)  # type: ignore[attr-defined]
        user = self.user  # type: ignore[attr-defined]
        roles = list(policy.roles_of(user))
        rec = self._resolve(ref, st) if ref else None  # type: ignore[attr-defined]
        stages: list[str] = []
        deploy = None
        if rec is not None:
            order = list(policy.stages_for(rec["kind"]))
            cur = rec.get("stage")
            start = order.index(cur) + 1 if cur in order else 0
            stages = [] if rec.get("retired") else order[start:]
            deploy = policy.deploy_stage(rec["kind"])
            if to is None and stages:
                to = stages[0]
        actions: dict[str, dict[str, Any]] = {}
        for method, action in ACTION_NAMES.items():
            stage = deploy if method == "rollback" else None if method == "retire" else to
            if policy.allows(user, action, stage):
                reason = ""
            else:
                need = " or ".join(policy.roles_for(action, stage)) or "(nobody)"
                where = f" to {stage}" if stage and method in ("promote", "request_promotion") else (
                    f" for {stage}" if stage and method in ("approve", "reject", "rollback") else "")
                reason = (f"{user} may not {action}{where}: the policy requires role {need}; "
                          f"{user} has {', '.join(roles) or 'no roles'}")
            if not reason and rec is not None:
                reason = _state_rule(method, rec, user, stages, to)
            actions[method] = {"allowed": not reason, "reason": reason}
        return {"user": user, "roles": roles, "stages": stages, "to": to, "deploy_stage": deploy,
                "actions": actions}


def _state_rule(method: str, rec: dict[str, Any], user: str, stages: list[str], to: str | None) -> str:
    if method in ("promote", "request_promotion", "approve", "reject"):
        if rec.get("retired"):
            return "the version is retired; retired versions can never be promoted again"
        if not stages:
            return "the version is at its last stage"
        if to is None:
            return "no target stage"
    if method == "approve" and rec.get("author") == user:
        return f"{user} is the author of this version and may not approve it"
    if method == "retire" and rec.get("retired"):
        return "the version is already retired"
    return ""
