"""The review inbox: what awaits the acting user -- promotion requests they may approve, soak periods that
ended, monitoring alerts that block promotion."""

from __future__ import annotations

from typing import Any

from ..core.refs import exact_ref
from .context import Service
from .views.inbox import Inbox

__all__ = ["InboxService"]


class InboxService(Service):
    def inbox(self) -> Inbox:
        """Items awaiting the acting user, newest request first: ``request`` (an open request the user may
        approve and has not yet approved), ``soak`` (a soak period that ended: the version may move on) and
        ``alert`` (a version whose monitoring alert requires revalidation before it is promoted again)."""
        st = self.ctx.state
        user = self.ctx.user
        items: list[dict[str, Any]] = []
        pending = self.svc.promotion.pending()
        for row in pending.to_dict(orient="records"):
            if row["kind"] == "request":
                if row["status"] == "rejected" or user in (row["approved_by"] or []):
                    continue
                perm = self.svc.permissions.permissions(row["ref"], row["to"])["actions"]["approve"]
                if not perm["allowed"]:
                    continue
                req = st.get("requests", {}).get(f"{row['ref']}>{row['to']}") or {}
                items.append(
                    {
                        "type": "request",
                        "ref": row["ref"],
                        "to": row["to"],
                        "status": row["status"],
                        "by": row["requested_by"],
                        "at": row["requested_at"],
                        "reason": req.get("reason", "") or "",
                        "approved_by": list(row["approved_by"] or []),
                        "waiting_on": list(row["waiting_on"] or []),
                    }
                )
            elif row["status"] == "soak complete":
                items.append(
                    {
                        "type": "soak",
                        "ref": row["ref"],
                        "to": row["to"],
                        "status": row["status"],
                        "by": None,
                        "at": row["ready_at"],
                        "reason": "",
                        "approved_by": [],
                        "waiting_on": list(row["waiting_on"] or []),
                    }
                )
        for a in st["assets"].values():
            for v in a["versions"]:
                reval = v.get("revalidation") or {}
                if reval.get("required") and not v.get("retired"):
                    items.append(
                        {
                            "type": "alert",
                            "ref": exact_ref(v),
                            "to": None,
                            "status": "revalidation required",
                            "by": None,
                            "at": reval.get("since") or reval.get("at"),
                            "reason": str(reval.get("reason") or reval.get("message") or ""),
                            "approved_by": [],
                            "waiting_on": [],
                        }
                    )
        order = {"request": 0, "alert": 1, "soak": 2}
        items.sort(key=lambda i: (order[i["type"]], "" if i["at"] is None else _neg(str(i["at"]))))
        return Inbox(user=user, items=items)


def _neg(text: str) -> str:
    """A key that sorts ISO times newest first."""
    return "".join(chr(0x10FFFF - ord(c)) for c in text)
