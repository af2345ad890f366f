"""Save a 1 GiB float32 array durably vs np.save + fsync; re-save after changing 1% of rows; verify throughput.

Targets (issue 2): save <= 1.5x np.save+fsync; re-save <= 0.25x and new bytes <= 3% of the array;
verify >= 2 GB/s of stored data. Prints ratios measured in this run (same disk for both sides).
"""

from __future__ import annotations

import sys

import numpy as np
from _util import drop_tree, durable_saves, report, scratch, timer

GIB = 1 << 30


def main(size: int = GIB, repeats: int = 2) -> None:
    rows = size // 4 // 4096
    arr = np.random.default_rng(0).standard_normal((rows, 4096), dtype=np.float32)
    base = scratch("array")
    t: dict[str, float] = {}
    np_t, save_t, reg, v = durable_saves(arr, base, repeats)
    arr2 = arr.copy()
    changed = rows // 100
    arr2[rows // 2 : rows // 2 + changed] += 1.0
    with timer(t, "resave"):
        v2 = reg.save(arr2, "model:big")
    with timer(t, "verify"):
        rep = reg.verify()
    assert rep.ok
    with timer(t, "load"):
        back = reg.load(v2.ref)
    assert np.array_equal(back, arr2)
    report(
        f"1 GiB float32 array ({arr.nbytes / GIB:.2f} GiB, {rows} x 4096)",
        [
            ("np.save + fsync", f"{np_t:.2f} s"),
            ("reg.save (durable)", f"{save_t:.2f} s   ratio {save_t / np_t:.2f}x   (target <= 1.5x)"),
            ("re-save, 1% rows changed", f"{t['resave']:.2f} s   ratio {t['resave'] / np_t:.3f}x   (target <= 0.25x)"),
            ("  new bytes written", f"{v2.new_bytes / arr.nbytes * 100:.2f}% of the array   (target <= 3%)"),
            (
                "verify",
                f"{rep.bytes / 1e9:.2f} GB in {t['verify']:.2f} s = {rep.bytes / 1e9 / t['verify']:.2f} GB/s"
                "   (target >= 2 GB/s)",
            ),
            ("load", f"{t['load']:.2f} s"),
            ("first save new bytes", f"{v.new_bytes / arr.nbytes * 100:.1f}% of the array"),
        ],
    )
    drop_tree(base)


if __name__ == "__main__":
    main(int(float(sys.argv[1]) * GIB) if len(sys.argv) > 1 else GIB)
