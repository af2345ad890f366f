"""Paged and compressed lists, side by side with the whole list, on a registry of N events (default 20,000):
``audit()`` vs ``audit(limit=100)`` and ``audit(since=N-100)``; ``assets()`` vs one page; the REST JSON of each
raw vs gzip (level 6, as the server sends it); ``search`` over every version.

    PYTHONPATH=. python benchmarks/bench_lists.py [N_EVENTS]
"""

from __future__ import annotations

import gzip
import json
import statistics
import sys
import time

from _util import drop_tree, report, scratch
from bench_open import build

import lifecycle_ext
from lifecycle_ext.registry.serialize import jsonable


def _median_ms(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def _sizes(data) -> tuple[int, int]:
    raw = json.dumps(jsonable(data)).encode()
    return len(raw), len(gzip.compress(raw, compresslevel=6))


def main(n_events: int = 20_000) -> None:
    base = scratch("lists")
    loc = base / "reg"
    build(loc, n_events, n_assets=max(100, n_events // 50))
    reg = lifecycle_ext.open_registry(loc)
    seq = reg.state["seq"]
    reg.assets()  # decode the checkpoint's assets once, as a long-running server has
    rows = []
    whole = _median_ms(lambda: reg.audit(), 3)
    page = _median_ms(lambda: reg.audit(limit=100))
    recent = _median_ms(lambda: reg.audit(since=str(seq - 100)))
    rows.append(
        (
            "audit(): whole / limit=100 / since=N-100",
            f"{whole:.0f} ms / {page:.1f} ms / {recent:.1f} ms = {page / whole:.4f}x / {recent / whole:.4f}x",
        )
    )
    a_whole = _median_ms(lambda: reg.assets())
    a_page = _median_ms(lambda: reg.assets(limit=100))
    rows.append(("assets(): whole / limit=100", f"{a_whole:.0f} ms / {a_page:.1f} ms = {a_page / a_whole:.3f}x"))
    for label, data in (
        ("GET audit JSON: raw -> gzip", {"events": reg.audit()}),
        ("GET assets JSON: raw -> gzip", {"assets": reg.assets()}),
    ):
        raw, packed = _sizes(data)
        rows.append((label, f"{raw / 1e6:.2f} MB -> {packed / 1e6:.3f} MB = {packed / raw:.3f}x"))
    hits = reg.search("metrics.acc > 0.5 and version <= 3")
    s_ms = _median_ms(lambda: reg.search("metrics.acc > 0.5 and version <= 3"), 3)
    rows.append(("search over every version", f"{s_ms:.0f} ms for {n_events:,} versions ({len(hits)} hits)"))
    report(f"paged and compressed lists, {n_events:,} events", rows)
    drop_tree(base)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
