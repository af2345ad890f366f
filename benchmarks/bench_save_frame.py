"""Save a 10-million-row x 8-column DataFrame vs pandas to_parquet (pyarrow), side by side.

Target (issue 2): reg.save time <= 1.0x to_parquet for the same frame; issue 17 asks <= 0.75x (see bench_storage_cost.py). Both are measured without fsync
(parquet's writer does not fsync) and with fsync, in this run, on the same disk.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from _util import drop_tree, fsync_path, report, scratch, timer

import lifecycle_ext


def make_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "f1": rng.standard_normal(n),
            "f2": rng.standard_normal(n).astype(np.float32),
            "i1": rng.integers(0, 1000, n),
            "i2": rng.integers(0, 10, n).astype(np.int32),
            "cat": pd.Categorical.from_codes(rng.integers(0, 5, n), ["a", "b", "c", "d", "e"]),
            "s": pd.Series(rng.integers(0, 1_000_000, n)).map("user-{}".format).astype("str"),
            "flag": rng.random(n) < 0.5,
        }
    )


def main(n: int = 10_000_000, repeats: int = 2) -> None:
    df = make_frame(n)
    base = scratch("frame")
    res: dict[str, list[float]] = {"pq": [], "pq_sync": [], "save": [], "save_sync": []}
    t: dict[str, float] = {}
    for r in range(repeats):
        p = base / f"f{r}.parquet"
        with timer(t, "pq"):
            df.to_parquet(p, engine="pyarrow")
        res["pq"].append(t["pq"])
        with timer(t, "pq_sync"):
            df.to_parquet(p, engine="pyarrow")
            fsync_path(p)
        res["pq_sync"].append(t["pq_sync"])
        for key, fsync in (("save", False), ("save_sync", True)):
            loc = base / f"reg-{key}-{r}"
            reg = lifecycle_ext.open_registry(loc, user="bench", fsync=fsync)
            with timer(t, key):
                v = reg.save(df, "dataset:big")
            res[key].append(t[key])
            if r < repeats - 1 or key == "save":
                drop_tree(loc)
    best = {k: min(v) for k, v in res.items()}
    with timer(t, "load"):
        back = reg.load(v.ref)
    pd.testing.assert_frame_equal(back, df)
    with timer(t, "read_pq"):
        pd.read_parquet(base / "f0.parquet")
    report(
        f"DataFrame {n:,} rows x {df.shape[1]} columns ({df.memory_usage(deep=False).sum() / 1e6:.0f} MB)",
        [
            ("to_parquet", f"{best['pq']:.2f} s  (+fsync {best['pq_sync']:.2f} s)"),
            (
                "reg.save, no fsync",
                f"{best['save']:.2f} s   ratio {best['save'] / best['pq']:.2f}x   (target <= 0.75x)",
            ),
            (
                "reg.save, durable",
                f"{best['save_sync']:.2f} s   ratio vs parquet+fsync {best['save_sync'] / best['pq_sync']:.2f}x",
            ),
            ("reg.load / read_parquet", f"{t['load']:.2f} s / {t['read_pq']:.2f} s"),
        ],
    )
    drop_tree(base)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
