"""Fold handlers for policy, promotion, approval, rollback and retirement events.

State added to the fold (plain JSON):

- ``state["policy"] = {"hash", "blob", "set_at", "set_by", "reason"}`` (None: the default policy);
- ``state["requests"]["KIND:NAME@N>STAGE"] = {"asset", "number", "to", "status"
  (open|rejected|promoted|closed|retired), "requested_by", "requested_at", "reason",
  "approvals": [{"user", "at", "reason", "roles"}] (one per person, the latest), "rejected_by": [{"user", "at",
  "reason"}], "closed": {"at", "by", "reason"} (when a promotion displaced the version)}``;
- on each version record: ``stage`` (its one current stage or None), ``history`` (``[{"stage", "entered",
  "left"}]``: the date range it served in each stage), ``deployment`` (the record written when it entered the
  deploy stage), ``rolled_back``, ``retired`` and ``retirement``.

A version is at one stage at a time: promoting it moves it (and displaces the version previously there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .records import Event, State, version_record

__all__ = ["move_to_stage", "leave_stage", "PROMOTION_HANDLERS"]


def leave_stage(state: State, asset: str, rec: dict[str, Any], at: str) -> None:
    """Take ``rec`` off its current stage pointer and close its open history entry."""
    a = state["assets"][asset]
    for s, n in list(a["stages"].items()):
        if n == rec["number"]:
            del a["stages"][s]
    for h in rec.setdefault("history", []):
        if h["left"] is None:
            h["left"] = at
    rec["stage"] = None


def move_to_stage(state: State, asset: str, rec: dict[str, Any], to: str, at: str) -> int | None:
    """Point ``to`` at ``rec`` (leaving its previous stage); return the number of the displaced version."""
    a = state["assets"][asset]
    displaced = a["stages"].get(to)
    if displaced is not None and displaced != rec["number"]:
        leave_stage(state, asset, a["versions"][displaced - 1], at)
    leave_stage(state, asset, rec, at)
    a["stages"][to] = rec["number"]
    rec["stage"] = to
    rec["history"].append({"stage": to, "entered": at, "left": None})
    return displaced if displaced != rec["number"] else None


def _request(state: State, d: dict[str, Any]) -> dict[str, Any]:
    key = f"{d['asset']}@{d['number']}>{d['to']}"
    reqs = state.setdefault("requests", {})
    if key not in reqs:
        reqs[key] = {
            "asset": d["asset"],
            "number": d["number"],
            "to": d["to"],
            "status": "open",
            "requested_by": None,
            "requested_at": None,
            "reason": "",
            "approvals": [],
            "rejected_by": [],
        }
    req: dict[str, Any] = reqs[key]
    return req


def _policy_set(state: State, e: Event) -> None:
    d = e["data"]
    state["policy"] = {
        "hash": d["hash"],
        "blob": d["blob"],
        "set_at": e["at"],
        "set_by": e["actor"],
        "reason": d.get("reason", ""),
    }


def _requested(state: State, e: Event) -> None:
    req = _request(state, e["data"])
    req.update(
        status="open", requested_by=e["actor"], requested_at=e["at"], reason=e["data"].get("reason", ""), rejected_by=[]
    )  # a new request supersedes earlier rejections


def _approved(state: State, e: Event) -> None:
    req = _request(state, e["data"])
    req["rejected_by"] = [r for r in req["rejected_by"] if r["user"] != e["actor"]]  # own rejection withdrawn
    req["approvals"] = [a for a in req["approvals"] if a["user"] != e["actor"]]  # once per person: the latest
    req["approvals"].append(
        {"user": e["actor"], "at": e["at"], "reason": e["data"].get("reason", ""), "roles": e["data"].get("roles", [])}
    )
    if req["status"] == "rejected" and not req["rejected_by"]:
        req["status"] = "open"


def _rejected(state: State, e: Event) -> None:
    req = _request(state, e["data"])
    req["rejected_by"].append({"user": e["actor"], "at": e["at"], "reason": e["data"].get("reason", "")})
    req["status"] = "rejected"


def _promoted(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is None:
        return
    move_to_stage(state, d["asset"], rec, d["to"], e["at"])
    if d.get("deployment"):
        rec["deployment"] = d["deployment"]
    req = state.get("requests", {}).get(f"{d['asset']}@{d['number']}>{d['to']}")
    if req is not None:
        req["status"] = "promoted"
    for key in d.get("closed_requests") or ():
        old = state.get("requests", {}).get(key)
        if old is not None and old["status"] in ("open", "rejected"):
            old["status"] = "closed"
            old["closed"] = {
                "at": e["at"],
                "by": e["actor"],
                "reason": f"{d['asset']}@{d.get('replaced')} was displaced from {d['to']} by "
                f"{d['asset']}@{d['number']}",
            }


def _rolled_back(state: State, e: Event) -> None:
    d = e["data"]
    target = version_record(state, d["asset"], d["to_number"])
    old = version_record(state, d["asset"], d["from_number"])
    if target is None or old is None:
        return
    move_to_stage(state, d["asset"], target, d["stage"], e["at"])
    old["rolled_back"] = {"at": e["at"], "by": e["actor"], "reason": d.get("reason", ""), "restored": d["to_number"]}


def _retired(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is None:
        return
    leave_stage(state, d["asset"], rec, e["at"])
    if d.get("promoted_to") and d.get("replaced_by"):
        repl = version_record(state, d["asset"], int(str(d["replaced_by"]).rsplit("@", 1)[1]))
        if repl is not None:
            move_to_stage(state, d["asset"], repl, d["promoted_to"], e["at"])
    rec["retired"] = True
    rec["retirement"] = {
        "at": e["at"],
        "by": e["actor"],
        "reason": d.get("reason", ""),
        "replaced_by": d.get("replaced_by"),
        "served": rec.get("history", []),
    }
    for key, req in state.get("requests", {}).items():
        if key.startswith(f"{d['asset']}@{d['number']}>") and req["status"] != "promoted":
            req["status"] = "retired"


def _refused(state: State, e: Event) -> None:
    """Recorded for the audit trail only: a refused promotion changes no pointer."""


def _denied(state: State, e: Event) -> None:
    """Recorded for the audit trail only: a denied action changes nothing."""


PROMOTION_HANDLERS: Mapping[str, Callable[[State, Event], None]] = {
    "PolicySet": _policy_set,
    "PromotionRequested": _requested,
    "PromotionApproved": _approved,
    "PromotionRejected": _rejected,
    "VersionPromoted": _promoted,
    "PromotionRefused": _refused,
    "ActionDenied": _denied,
    "RolledBack": _rolled_back,
    "VersionRetired": _retired,
}
