"""The event log at 100,000 events on a local folder: ``verify`` events/s (target >= 20,000), per-version
``audit`` (target < 50 ms), checkpoint bytes against the events' bytes (target <= 2x), and what packs add.

The registry is built through the event log like ``bench_open`` (100 assets x 1,000 versions). ``verify`` and
``audit`` are also measured with the packs moved away (the single event objects only, as before packs), side by
side in the same run, so the ratio shows what the packs buy on this machine.

Run: ``PYTHONPATH=. python benchmarks/bench_log.py [N_EVENTS] [--keep=DIR]`` (``--keep``: build once in DIR, reuse).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from _util import drop_tree, report, scratch
from bench_open import build

import lifecycle_ext
from lifecycle_ext.storage.eventlog import event_key


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _measure(loc: Path, n_events: int, rounds: int = 20) -> dict[str, float]:
    import pandas  # noqa: F401  - audit answers a DataFrame: import it outside the timing

    reg = lifecycle_ext.open_registry(loc)
    t0 = time.perf_counter()
    first = reg.audit("model:a7@5")
    first_ms = (time.perf_counter() - t0) * 1000
    audits = []
    for i in range(rounds):
        t0 = time.perf_counter()
        df = reg.audit(f"model:a{i}@{i + 3}")
        audits.append((time.perf_counter() - t0) * 1000)
    assert len(df) == 1 and len(first) == 1, df
    t0 = time.perf_counter()
    rep = reg.verify()
    verify_s = time.perf_counter() - t0
    assert rep.ok and rep.events == n_events, rep.problems[:3]
    return {"verify_s": verify_s, "audit_first_ms": first_ms, "audit_ms": statistics.median(audits)}


def _parse_floor(loc: Path) -> float:
    """Seconds to only ``json.loads`` every packed event (the floor of any verify that folds parsed events),
    measured beside verify so the machine's load shows in both."""
    import gc
    import json

    lines = [ln for p in sorted((loc / "log" / "packs").iterdir()) for ln in p.read_bytes().split(b"\n")[1:] if ln]
    gc.disable()
    try:
        t0 = time.perf_counter()
        parsed = [json.loads(ln) for ln in lines]
        return time.perf_counter() - t0 if parsed else 0.0
    finally:
        gc.enable()


def main(n_events: int = 100_000, keep: str | None = None) -> None:
    """``keep``: build the registry in that folder once and reuse it on later runs (building takes minutes)."""
    base = Path(keep) if keep else scratch("log")
    loc = base / "reg"
    t0 = time.perf_counter()
    if not (keep and (loc / event_key(n_events - 1)).exists()):
        drop_tree(loc)
        build(loc, n_events)
    build_s = time.perf_counter() - t0
    events_b = _bytes(loc / "log" / "events")
    cps_b = _bytes(loc / "log" / "checkpoints")
    packs_b = _bytes(loc / "log" / "packs")
    n_cps = len(list((loc / "log" / "checkpoints").iterdir()))
    n_packs = len(list((loc / "log" / "packs").iterdir()))
    packed = _measure(loc, n_events)
    floor = _parse_floor(loc)
    (loc / "log" / "packs").rename(base / "packs-away")
    single = _measure(loc, n_events, rounds=3)  # a full scan each: seconds
    (base / "packs-away").rename(loc / "log" / "packs")
    report(
        f"event log with {n_events:,} events on a local folder (built in {build_s:.0f} s)",
        [
            (
                "verify",
                f"{n_events / packed['verify_s']:,.0f} events/s with packs ({packed['verify_s']:.2f} s), "
                f"{n_events / single['verify_s']:,.0f} events/s single events only: "
                f"{single['verify_s'] / packed['verify_s']:.1f}x   (target >= 20,000/s); only json.loads of "
                f"the events: {n_events / floor:,.0f}/s (verify = {packed['verify_s'] / floor:.1f}x that)",
            ),
            (
                "audit(version)",
                f"median {packed['audit_ms']:.1f} ms with packs (first call {packed['audit_first_ms']:.0f} ms), "
                f"{single['audit_ms']:.0f} ms single events only: {single['audit_ms'] / packed['audit_ms']:.0f}x"
                "   (target < 50 ms)",
            ),
            (
                "checkpoints",
                f"{n_cps} kept, {cps_b / 1e6:.1f} MB = {cps_b / events_b:.2f}x the events' {events_b / 1e6:.1f} MB"
                "   (target <= 2x)",
            ),
            ("packs", f"{n_packs} packs, {packs_b / 1e6:.1f} MB = {packs_b / events_b:.2f}x the events' bytes"),
        ],
    )
    if not keep:
        drop_tree(base)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    args = [a for a in sys.argv[1:] if not a.startswith("--keep=")]
    kept = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--keep=")]
    main(int(args[0]) if args else 100_000, kept[0] if kept else None)
