"""Open a registry holding 100,000 events (< 0.5 s) and list one asset's versions (< 20 ms).

The events are real: 100 assets x 1,000 versions of small JSON artifacts written through the event log
(blob writes are shared, so building the registry takes a minute rather than an hour).
"""

from __future__ import annotations

import statistics
import sys
import time

from _util import drop_tree, report, scratch

import lifecycle_ext


def build(loc, n_events: int, n_assets: int = 100) -> None:
    from tests.support.logbuild import append_versions

    reg = lifecycle_ext.open_registry(loc, user="bench", fsync=False)
    reg.save({"w": 0}, "model:a0", params={"lr": 0.1}, metrics={"acc": 0.5})
    append_versions(
        reg,
        [f"a{i}" for i in range(n_assets)],
        n_events - 1,
        extra=lambda i: {"metrics": {"acc": (i % 1000) / 1000}, "note": f"event {i}"},
    )
    assert reg.state["seq"] == n_events - 1


def main(n_events: int = 100_000) -> None:
    base = scratch("open")
    loc = base / "reg"
    t0 = time.perf_counter()
    build(loc, n_events)
    build_s = time.perf_counter() - t0
    opens = []
    for _ in range(5):
        t0 = time.perf_counter()
        reg = lifecycle_ext.open_registry(loc)
        opens.append(time.perf_counter() - t0)
    assert reg.state["seq"] == n_events - 1
    lists = []
    for i in range(20):
        t0 = time.perf_counter()
        df = reg.versions(f"model:a{i}")
        lists.append(time.perf_counter() - t0)
    assert len(df) == n_events // 100
    report(
        f"registry with {n_events:,} events (built in {build_s:.0f} s)",
        [
            (
                "open_registry",
                f"median {statistics.median(opens) * 1000:.0f} ms, best {min(opens) * 1000:.0f} ms   (target < 500 ms)",
            ),
            ("versions(name)", f"median {statistics.median(lists) * 1000:.1f} ms   (target < 20 ms)"),
        ],
    )
    drop_tree(base)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
