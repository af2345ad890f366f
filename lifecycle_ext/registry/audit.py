"""The audit trail (every event as a row) and ``explain`` (why this version, what changed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from ..core.errors import UsageInputError
from ..core.events import subjects
from ..core.paging import decode_cursor, parse_since, take_page
from ..core.refs import exact_ref, parse_ref
from .context import Service
from .views.audit import AuditTrail
from .views.gates import Explanation

__all__ = ["AuditService", "AUDIT_COLUMNS"]

AUDIT_COLUMNS = ["seq", "time", "actor", "action", "ref", "from_stage", "to_stage", "reason", "policy_hash", "evidence"]


def refs_of(e: dict[str, Any]) -> list[str]:
    """Exact refs an event is about: the versions it names, else the assets (``core.events.subjects``)."""
    about = subjects(e)
    versions = [r for r in about if "@" in r]
    return versions or about


def _evidence(e: dict[str, Any]) -> Any:
    d, t = e["data"], e["type"]
    if t in ("VersionPromoted", "PromotionRefused"):
        ev: dict[str, Any] = {
            c["name"]: {"status": c["status"], "message": c["message"], "evidence": c["evidence"]}
            for c in d.get("checks", [])
        }
        if d.get("problem"):
            ev["transition"] = {"status": "fail", "message": d["problem"]}
        if d.get("override"):
            ev["override"] = d["override"]
        if d.get("replaced"):
            ev["displaced"] = {
                "ref": f"{d['asset']}@{d['replaced']}",
                "from": d["to"],
                "by": f"{d['asset']}@{d['number']}",
            }
        if d.get("closed_requests"):
            ev["closed_requests"] = list(d["closed_requests"])
        return ev
    if t == "ActionDenied":
        return {
            "action": d["action"],
            "message": d["message"],
            "user_roles": d.get("user_roles"),
            "required_roles": d.get("required_roles"),
        }
    if t in ("PromotionApproved", "PromotionRejected", "PromotionRequested"):
        return {"roles": d.get("roles", [])}
    if t == "RolledBack":
        out = {"from": f"{d['asset']}@{d['from_number']}", "to": f"{d['asset']}@{d['to_number']}"}
        return {**out, "automatic": d["automatic"]} if d.get("automatic") else out
    if t == "VersionRetired":
        return {"served": d.get("served", []), "replaced_by": d.get("replaced_by")}
    if t == "VersionCreated":
        return {"content_hash": d.get("content_hash"), "inputs": d.get("inputs", [])}
    if t == "PolicySet":
        return {"blob": d.get("blob"), "previous": d.get("previous")}
    return {k: v for k, v in d.items() if k not in ("asset", "number", "reason")}


def _summary(e: dict[str, Any]) -> str:
    d, t = e["data"], e["type"]
    why = f": {d['reason']}" if d.get("reason") else ""
    if t == "VersionCreated":
        return f"created ({d.get('object_type')}, {d.get('content_hash', '')[:21]})"
    if t == "AliasSet":
        return f"alias {d['alias']} set" if d.get("number") is not None else f"alias {d['alias']} removed"
    if t == "PromotionRequested":
        return f"requested promotion to {d['to']}{why}"
    if t == "PromotionApproved":
        return f"approved promotion to {d['to']} as {', '.join(d.get('roles', [])) or 'no role'}{why}"
    if t == "PromotionRejected":
        return f"rejected promotion to {d['to']}{why}"
    if t == "PromotionRefused":
        bad = [c["name"] for c in d.get("checks", []) if c["status"] != "pass"] + (
            ["transition"] if d.get("problem") else []
        )
        return f"promotion to {d['to']} refused ({', '.join(bad)})"
    if t == "VersionPromoted":
        checks = ", ".join(f"{c['name']} {c['status']}" for c in d.get("checks", [])) or "no gates"
        forced = " FORCED" if d.get("forced") else ""
        shown = f", displacing {d['asset']}@{d['replaced']}" if d.get("replaced") else ""
        closed = f", closing {', '.join(d['closed_requests'])}" if d.get("closed_requests") else ""
        return f"promoted {d.get('from') or 'unstaged'} -> {d['to']}{shown}{closed}{forced} [{checks}]{why}"
    if t == "RolledBack":
        auto = f" automatically ({d['automatic'].get('rule')})" if d.get("automatic") else ""
        return f"{d['stage']} rolled back{auto} from @{d['from_number']} to @{d['to_number']}{why}"
    if t == "VersionRetired":
        return f"retired{' (replaced by ' + d['replaced_by'] + ')' if d.get('replaced_by') else ''}{why}"
    if t == "ActionDenied":
        return f"denied {d['action']}: {d['message']}"
    if t == "VersionRerun":
        return f"re-run unchanged (run {(d.get('run') or {}).get('run_id')}); no new version"
    if t in _MONITORING_SUMMARIES:
        return str(_MONITORING_SUMMARIES[t](d, why))
    return str(t)


_MONITORING_SUMMARIES: dict[str, Any] = {
    "BatchMonitored": lambda d, why: f"monitored a batch of {d.get('rows')} rows: {d.get('level')}",
    "AlertRaised": lambda d, why: (
        "monitoring alert ("
        + ", ".join(
            f"{f['metric']}{'[' + str(f['feature']) + ']' if f.get('feature') else ''}"
            for f in d.get("findings", [])[:4]
        )
        + f"); response {d.get('response')}"
    ),
    "RevalidationCleared": lambda d, why: f"revalidation cleared{why}",
    "ReviewRecorded": lambda d, why: f"post-release review: {d.get('summary')}",
}


class AuditService(Service):
    def _events_about(self, ref: str | None, start: int = 0) -> Iterator[tuple[dict[str, Any], str | None]]:
        want_exact: str | None = None
        want_asset: str | None = None
        if ref is not None:
            r = parse_ref(ref) if ":" in ref else self.ctx.asset_ref(ref)
            if r.version is None:
                self.ctx.asset(r)
                want_asset = r.asset
            else:
                want_exact = exact_ref(self.ctx.resolve(r))
        if want_asset is not None or want_exact is not None:
            key = want_asset if want_asset is not None else want_exact
            events = self.ctx.log.events_about({key or ""}, start)  # the packs' index by asset and version
        else:
            events = self.ctx.log.events(start)
        for e in events:
            refs = refs_of(e)
            if want_exact is not None and want_exact not in refs:
                continue
            if want_asset is not None and not any(x == want_asset or x.startswith(want_asset + "@") for x in refs):
                continue
            yield e, (want_exact if want_exact in refs else (refs[0] if refs else None))

    def audit(
        self, ref: str | None = None, *, limit: int | None = None, since: str | None = None, cursor: str | None = None
    ) -> pd.DataFrame:
        """Every recorded event (optionally only those about ``ref``) as a DataFrame, oldest first: those after
        event #``since`` (or at/after an ISO time), one page of ``limit`` after ``cursor`` (the next page's
        cursor is ``df.attrs["next"]``). The log is read from where the page starts."""
        import pandas as pd

        when = parse_since(since)
        start = 0
        if when is not None and when.seq is not None:
            start = when.seq + 1
        if cursor:
            after = decode_cursor(cursor)
            if not isinstance(after, int) or isinstance(after, bool):
                raise UsageInputError(f"cursor {cursor!r} is not a cursor of the audit trail")
            start = max(start, after + 1)
        chosen = (
            (e, about)
            for e, about in self._events_about(ref, start)
            if when is None or when.at is None or when.admits(None, e["at"])
        )
        page, nxt = take_page(chosen, lambda item: item[0]["seq"], limit=limit, cursor=None)
        rows = []
        for e, about in page:
            d = e["data"]
            to = d.get("to", d.get("stage") if e["type"] in ("RolledBack", "ActionDenied") else None)
            frm = d.get("from", d.get("from_stage"))
            rows.append(
                {
                    "seq": e["seq"],
                    "time": e["at"],
                    "actor": e["actor"],
                    "action": e["type"],
                    "ref": about,
                    "from_stage": frm,
                    "to_stage": to,
                    "reason": d.get("reason", "") or "",
                    "policy_hash": d.get("policy_hash", d.get("hash") if e["type"] == "PolicySet" else None),
                    "evidence": _evidence(e),
                }
            )
        df = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
        df.attrs["next"] = nxt
        return df

    def explain(self, ref: str) -> Explanation:
        """Why this version was chosen (its promotions, approvals, gate results) and what changed since the
        version before it (the one it replaced at its last promotion, else its parent)."""
        st = self.ctx.state
        rec = self.ctx.resolve(ref, st)
        me = exact_ref(rec)
        story, replaced = [], None
        for e, _ in self._events_about(me):
            story.append(
                {"seq": e["seq"], "at": e["at"], "actor": e["actor"], "action": e["type"], "summary": _summary(e)}
            )
            if e["type"] == "VersionPromoted" and e["data"].get("replaced"):
                replaced = (e["data"]["replaced"], f"the version it replaced at {e['data']['to']}")
        a = st["assets"][f"{rec['kind']}:{rec['name']}"]
        if replaced is None and rec.get("parent"):
            replaced = (rec["parent"], "its parent, the previous version of the asset")
        reviews = [dict(r) for r in rec.get("reviews", [])]
        model = _model_facts(rec)
        if replaced is None:
            return Explanation(me, rec.get("stage"), story, None, "", {}, reviews, model)
        prev = a["versions"][replaced[0] - 1]
        return Explanation(me, rec.get("stage"), story, exact_ref(prev), replaced[1], _diff(prev, rec), reviews, model)

    def audit_view(self, ref: str | None = None) -> AuditTrail:
        """``reg.audit(ref)`` as a view with stage badges and folded evidence (``.frame`` is the DataFrame)."""
        return AuditTrail(ref=ref, frame=self.audit(ref))


def _model_facts(rec: Any) -> dict[str, Any] | None:
    """What a stored model is: framework, version, format, content digest, signature (None for other types)."""
    sm = rec.get("summary") or {}
    if "framework" not in sm:
        return None
    return {
        "framework": sm["framework"],
        "framework_version": sm.get("framework_version"),
        "format": sm.get("format"),
        "content_hash": rec["content_hash"],
        "signature": rec.get("signature"),
    }


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"content_changed": old["content_hash"] != new["content_hash"]}
    for section in ("params", "metrics", "metadata"):
        a, b = old.get(section) or {}, new.get(section) or {}
        out[section] = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
    ia, ib = old.get("inputs") or [], new.get("inputs") or []
    out["inputs"] = {"added": [i for i in ib if i not in ia], "removed": [i for i in ia if i not in ib]}
    return out
