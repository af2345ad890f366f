"""4 processes x 250 saves each into one registry: all 1,000 versions present and the chain verifies."""

from __future__ import annotations

import multiprocessing as mp
import sys
import time

from _util import drop_tree, report, scratch

import lifecycle_ext


def writer(loc: str, w: int, n: int) -> None:
    reg = lifecycle_ext.open_registry(loc, user=f"w{w}")
    for i in range(n):
        reg.save({"worker": w, "i": i}, "model:shared", note=f"{w}-{i}")


def main(procs: int = 4, n: int = 250) -> None:
    base = scratch("conc")
    loc = str(base / "reg")
    lifecycle_ext.open_registry(loc)
    t0 = time.perf_counter()
    ps = [mp.get_context("spawn").Process(target=writer, args=(loc, w, n)) for w in range(procs)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    took = time.perf_counter() - t0
    reg = lifecycle_ext.open_registry(loc)
    vs = reg.versions("model:shared")
    notes = set(vs["note"])
    rep = reg.verify()
    expected = {f"{w}-{i}" for w in range(procs) for i in range(n)}
    report(
        f"{procs} processes x {n} durable saves",
        [
            ("versions present", f"{len(vs)} of {procs * n}; all distinct saves present: {notes == expected}"),
            ("chain verifies", f"{rep.ok} ({rep.events} events)"),
            ("wall time", f"{took:.1f} s = {procs * n / took:.0f} saves/s"),
        ],
    )
    assert len(vs) == procs * n and notes == expected and rep.ok
    drop_tree(base)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
