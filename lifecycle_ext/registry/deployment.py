"""Deployment records, rollback and retirement."""

from __future__ import annotations

from typing import Any

from ..core.clock import iso
from ..core.errors import ConflictError, InvalidRef, NotFound
from ..core.policy import Policy
from ..core.refs import parse_ref
from .gate_views import DeploymentRecord
from .promotion import _exact, _need_reason

__all__ = ["DeploymentMixin"]

State = dict[str, Any]


class DeploymentMixin:
    def deployment(self, ref_or_name: str) -> DeploymentRecord:
        """The deployment record of a version (``KIND:NAME@N``), or of what is deployed now (``KIND:NAME``)."""
        st = self.state  # type: ignore[attr-defined]
        r = parse_ref(ref_or_name) if ":" in ref_or_name else self._asset_ref(ref_or_name)  # type: ignore[attr-defined]
        if r.version is None:
            a = self._asset(r, st)  # type: ignore[attr-defined]
            stage = self._policy_in(st).deploy_stage(r.kind)  # type: ignore[attr-defined]
            n = a["stages"].get(stage)
            if n is None:
                raise NotFound(f"no version of {r.asset} is at {stage}; see reg.audit('{r.asset}') for its history")
            rec = a["versions"][n - 1]
        else:
            rec = self._resolve(r, st)  # type: ignore[attr-defined]
        if not rec.get("deployment"):
            raise NotFound(f"{_exact(rec)} has never been deployed, so it has no deployment record")
        return DeploymentRecord.from_dict(rec["deployment"], rolled_back=rec.get("rolled_back"))

    def rollback(self, name: str, *, reason: str = "") -> Any:
        """Restore the previous production version of ``name`` (its deployment record's rollback pointer)."""
        reason = _need_reason(reason, "rollback")
        r = self._asset_ref(name)  # type: ignore[attr-defined]
        st = self.state  # type: ignore[attr-defined]
        self._asset(r, st)  # type: ignore[attr-defined]
        stage = self._policy_in(st).deploy_stage(r.kind)  # type: ignore[attr-defined]
        subject = {"asset": r.asset, "reason": reason}
        restored: dict[str, int] = {}

        def inner(state: State, policy: Policy, verdict: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            a = state["assets"][r.asset]
            current = a["stages"].get(stage)
            if current is None:
                raise ConflictError(f"nothing of {r.asset} is at {stage}, so there is nothing to roll back")
            dep = a["versions"][current - 1].get("deployment") or {}
            back = dep.get("rollback_to")
            if not back:
                raise ConflictError(f"{r.asset}@{current} was the first version deployed to {stage}; "
                                    "there is no previous version to roll back to")
            target = int(back.rpartition("@")[2])
            if a["versions"][target - 1].get("retired"):
                raise ConflictError(f"the previous {stage} version {back} is retired and cannot be restored")
            restored["n"] = target
            return "RolledBack", {**subject, "stage": stage, "from_number": current, "to_number": target,
                                  "policy_hash": policy.hash}

        self._guarded("rollback", stage, subject, inner)  # type: ignore[attr-defined]
        return self.get(f"{r.asset}@{restored['n']}")  # type: ignore[attr-defined]

    def retire(self, ref: str, *, reason: str = "", replaced_by: str | None = None) -> Any:
        """Archive a version with its context; it stays loadable and can never be promoted again."""
        reason = _need_reason(reason, "retire")
        st = self.state  # type: ignore[attr-defined]
        r = parse_ref(ref)
        if r.version is None:
            raise InvalidRef(f"retire needs an exact version, e.g. {r.asset}@3 (not just the asset)")
        rec0 = self._resolve(r, st)  # type: ignore[attr-defined]
        asset, number = f"{rec0['kind']}:{rec0['name']}", rec0["number"]
        repl = _exact(self._resolve(replaced_by, st)) if replaced_by else None  # type: ignore[attr-defined]
        if repl == _exact(rec0):
            raise ConflictError("a version cannot be replaced by itself")
        subject = {"asset": asset, "number": number, "reason": reason}

        def inner(state: State, policy: Policy, verdict: dict[str, Any]) -> tuple[str, dict[str, Any]]:
            rec = state["assets"][asset]["versions"][number - 1]
            if rec.get("retired"):
                raise ConflictError(f"{asset}@{number} is already retired")
            now = iso(self.clock.now())  # type: ignore[attr-defined]
            served = [{**h, "left": h["left"] or now} for h in rec.get("history", [])]
            return "VersionRetired", {**subject, "replaced_by": repl, "from_stage": rec.get("stage"),
                                      "served": served, "policy_hash": policy.hash}

        self._guarded("retire", None, subject, inner)  # type: ignore[attr-defined]
        return self.get(f"{asset}@{number}")  # type: ignore[attr-defined]
