"""The ``[retention]`` section of the policy: how long dataset versions are kept, and legal holds.

```toml
[retention]
hold_tags = ["legal-hold"]        # a version of the asset carrying one of these tags keeps every version of it

[[retention.rules]]
name = "pii"                      # shown in listings and recorded in the ContentErased event
kind = "dataset"                  # default "dataset"
where = { pii = true }            # metadata the version must declare (all of them; default: every version)
days = 365                        # kept this long after its last use by a version in production
```

A version's *last use* is now while it, or a version made from it (a model trained on it), is at its deploy stage;
otherwise its creation time. :func:`due_versions` is pure: the registry passes the state, the clock's time and
the last-use function.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from .errors import PolicyError

__all__ = ["parse_retention", "due_versions"]

_RULE_KEYS = {"name", "kind", "where", "days"}


def parse_retention(section: Any) -> dict[str, Any]:
    """Validate and normalise ``[retention]`` (None: nothing is due). Raises :class:`PolicyError`."""
    if section is None:
        return {"rules": [], "hold_tags": []}
    if not isinstance(section, dict) or set(section) - {"rules", "hold_tags"}:
        raise PolicyError("[retention] takes rules = [[retention.rules]] and hold_tags = [...]")
    tags = section.get("hold_tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise PolicyError("retention.hold_tags must be a list of tag names")
    rules = []
    for i, rule in enumerate(section.get("rules", [])):
        if not isinstance(rule, dict) or set(rule) - _RULE_KEYS:
            raise PolicyError(f"retention.rules[{i}] takes {', '.join(sorted(_RULE_KEYS))}")
        days = rule.get("days")
        if isinstance(days, bool) or not isinstance(days, (int, float)) or days < 0:
            raise PolicyError(f"retention.rules[{i}].days must be a number of days >= 0")
        where = rule.get("where", {})
        if not isinstance(where, dict):
            raise PolicyError(f"retention.rules[{i}].where must be a table of metadata values")
        rules.append(
            {
                "name": str(rule.get("name") or f"rule {i + 1}"),
                "kind": str(rule.get("kind", "dataset")),
                "where": dict(where),
                "days": float(days),
            }
        )
    return {"rules": rules, "hold_tags": list(tags)}


def due_versions(
    state: dict[str, Any], retention: dict[str, Any], now: datetime, last_use: Callable[[Any], datetime]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(versions past their retention, versions a legal hold keeps), each ``{"ref", "rule", "since", ...}``."""
    due: list[dict[str, Any]] = []
    held: list[dict[str, Any]] = []
    holds = set(retention.get("hold_tags") or [])
    for rule in retention.get("rules") or []:
        for a in state["assets"].values():
            if a["kind"] != rule["kind"]:
                continue
            hold = sorted(holds & {t for v in a["versions"] for t in v.get("tags") or []})
            for v in a["versions"]:
                if v.get("erased"):
                    continue
                meta = v.get("metadata") or {}
                if any(meta.get(k) != want for k, want in rule["where"].items()):
                    continue
                since = last_use(v) + timedelta(days=rule["days"])
                if now < since:
                    continue
                ref = f"{a['kind']}:{a['name']}@{v['number']}"
                row = {"ref": ref, "rule": rule["name"], "since": since.isoformat()}
                if any(r["ref"] == ref for r in due + held):
                    continue
                (held if hold else due).append({**row, "hold": hold[0]} if hold else row)
    return due, held
