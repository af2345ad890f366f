"""Erase 3 keys from a dataset saved in 4 versions vs saving those 4 versions, side by side in one run.

An erasure reads every version that holds the keys, writes a redacted successor of each (a full save with a fresh
baseline), re-checks delta bases and deletes the erased blobs; the natural yardstick is the cost of the saves it
replays. Prints the ratio erase / (4 saves). ``python benchmarks/bench_erase.py [ROWS]`` (default 1,000,000).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from _util import scratch, timer

import lifecycle_ext


def frames(n: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(0)
    v1 = pd.DataFrame(
        {
            "id": pd.Series(np.arange(n)).map("p{}".format).astype("str"),
            "x": rng.standard_normal(n),
            "y": rng.integers(0, 1000, n),
            "label": np.where(rng.random(n) > 0.5, "a", "b"),
        }
    )
    extra = v1.iloc[: n // 10].assign(id=lambda d: "q" + d["id"])
    v2 = pd.concat([v1, extra], ignore_index=True)
    v3 = v2.assign(label=np.where(np.arange(len(v2)) % 97 == 0, "b", v2["label"]))
    v4 = v3.assign(z=np.arange(len(v3)) % 7)
    return [v1, v2, v3, v4]


def main(n: int) -> None:
    fs = frames(n)
    out: dict[str, float] = {}
    reg = lifecycle_ext.open_registry(scratch("erase") / "reg", user="bench")
    with timer(out, "save"):
        for i, df in enumerate(fs):
            reg.save(df, "dataset:d", **({"key": "id", "label": "label"} if i == 0 else {}))
    with timer(out, "erase"):
        report = reg.erase("dataset:d", ["p5", f"p{n // 2}", f"p{n - 1}"], reason="bench")
    with timer(out, "verify"):
        assert reg.verify().ok
    print(f"rows={n:,} versions=4 erased rows={sum(v['rows'] for v in report.versions)} blobs={len(report.blobs)}")
    print(f"4 saves {out['save']:.2f} s, erase {out['erase']:.2f} s, verify after {out['verify']:.2f} s")
    print(f"erase / saves = {out['erase'] / out['save']:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
