"""What a gate check sees and returns: :class:`GateContext`, :class:`CheckResult`, :class:`CheckType`, and the
helpers check modules share. Check modules import this, never :mod:`.gates` (which imports them to build its
table of check types).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .policy import Check, Policy
from .refs import exact_ref

__all__ = [
    "CheckResult",
    "GateContext",
    "CheckType",
    "OptionError",
    "upstream_records",
    "request_key",
    "only_keys",
    "ref_of",
    "declared",
    "PASS",
    "FAIL",
    "PENDING",
]

PASS, FAIL, PENDING = "pass", "fail", "pending"


class OptionError(ValueError):
    """A check option is invalid; ``key`` names the option so the policy parser can find its line."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class CheckResult:
    name: str
    type: str
    status: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "message": self.message,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class GateContext:
    """Everything a check may look at: the folded state, the version record, the target stage and the time."""

    state: dict[str, Any]
    record: dict[str, Any]
    to: str
    now: datetime
    policy: Policy
    integrity: list[str] | None = None  # problems found by verify(ref); None: not checked
    facts: dict[str, Any] = field(default_factory=dict)  # gathered by the registry (e.g. "drift" from blobs)

    @property
    def asset(self) -> dict[str, Any]:
        a: dict[str, Any] = self.state["assets"][f"{self.record['kind']}:{self.record['name']}"]
        return a

    @property
    def request(self) -> dict[str, Any] | None:
        req: dict[str, Any] | None = self.state.get("requests", {}).get(request_key(self.record, self.to))
        return req


@dataclass(frozen=True)
class CheckType:
    name: str
    validate: Callable[[dict[str, Any], set[str]], None]
    evaluate: Callable[[Check, GateContext], CheckResult]


def request_key(rec: dict[str, Any], to: str) -> str:
    return f"{rec['kind']}:{rec['name']}@{rec['number']}>{to}"


# -- helpers --------------------------------------------------------------------------------------------
def ref_of(rec: dict[str, Any]) -> str:
    return exact_ref(rec)


def _record(state: dict[str, Any], exact: str) -> dict[str, Any] | None:
    asset, _, num = exact.rpartition("@")
    a = state["assets"].get(asset)
    if a is None or not num.isdigit() or not 1 <= int(num) <= len(a["versions"]):
        return None
    found: dict[str, Any] = a["versions"][int(num) - 1]
    return found


def upstream_records(state: dict[str, Any], rec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every version ``rec`` was made from, transitively (inputs of inputs), nearest first."""
    out: list[dict[str, Any]] = []
    seen = {ref_of(rec)}
    frontier = list(rec.get("inputs") or [])
    while frontier:
        nxt: list[str] = []
        for exact in frontier:
            if exact in seen:
                continue
            seen.add(exact)
            r = _record(state, exact)
            if r is not None:
                out.append(r)
                nxt.extend(r.get("inputs") or [])
        frontier = nxt
    return out


def declared(rec: dict[str, Any]) -> dict[str, Any]:
    """What the version's author declared about it, as the gates read it: ``%%track --kind-meta`` fields (the
    creation record's ``kind_record``), the dataset's ``source=`` save option, then ``metadata`` (which wins).
    Never the cell's code: ``record.source`` is what ran, not where the data came from."""
    out: dict[str, Any] = {}
    kr = (rec.get("record") or {}).get("kind_record")
    if isinstance(kr, dict):
        out.update(kr)
    ds = rec.get("dataset") or {}
    if ds.get("source") is not None:
        out["source"] = ds["source"]
    out.update(rec.get("metadata") or {})
    return out


def only_keys(opts: dict[str, Any], allowed: set[str]) -> None:
    for k in opts:
        if k not in allowed:
            raise OptionError(f"unknown option {k!r}; allowed: {', '.join(sorted(allowed)) or 'none'}", k)
