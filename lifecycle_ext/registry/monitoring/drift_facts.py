"""Facts for the ``drift`` gate check, gathered from stored blobs (the check itself stays pure, in core).

For a challenger version: its training data's baseline against the sketches of the latest monitored batches of
the version currently at the production stage. PSI per feature is the mean over those batches
(``lifecycle_ext.analysis.drift.sketch_psi``).
"""

from __future__ import annotations

from typing import Any

from ..context import Services
from .baselines import find_baseline, load_profile

__all__ = ["drift_facts"]


def drift_facts(svc: Services, state: dict[str, Any], rec: dict[str, Any], stage: str, window: int) -> dict[str, Any]:
    from ...analysis.drift import sketch_psi

    asset = f"{rec['kind']}:{rec['name']}"
    found = find_baseline(svc, rec, state)
    facts: dict[str, Any] = {
        "baseline": found[0] if found else None,
        "stage": stage,
        "production": None,
        "batches": [],
        "psi": {},
    }
    number = state["assets"][asset]["stages"].get(stage)
    if number is None:
        return facts
    facts["production"] = f"{asset}@{number}"
    mon = state.get("monitoring", {}).get(asset, {"batches": []})
    seqs = [b["seq"] for b in mon["batches"] if b["number"] == number][-window:]
    facts["batches"] = seqs
    if found is None or not seqs:
        return facts
    base = load_profile(svc, found[1]["blob"])
    sums: dict[str, list[float]] = {}
    for seq in seqs:
        ev = svc.ctx.event(seq)
        sketch = load_profile(svc, ev["data"]["sketch"])
        for col, ref in base["columns"].items():
            cur = sketch["columns"].get(col)
            if cur is None or col == base.get("time_column"):
                continue
            value = sketch_psi(ref, cur)
            if value is not None:
                sums.setdefault(col, []).append(value)
    facts["psi"] = {c: round(sum(v) / len(v), 6) for c, v in sums.items()}
    return facts
