"""Save a 10-million-row x 8-column DataFrame vs pandas to_parquet (pyarrow), side by side.

Target (issue 2): reg.save time <= 1.0x to_parquet for the same frame; issue 17 asks <= 0.75x (see bench_storage_cost.py). Both are measured without fsync
(parquet's writer does not fsync) and with fsync, in this run, on the same disk.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from _util import drop_tree, fsync_path, ratio_summary, report, scratch, timer, warm_pages

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


def main(n: int = 10_000_000, repeats: int = 3) -> None:
    df = make_frame(n)
    base = scratch("frame")
    # warm both sides once (imports, thread pools, first-touch buffers), on a small frame
    small = make_frame(100_000)
    small.to_parquet(base / "warm.parquet", engine="pyarrow")
    lifecycle_ext.open_registry(base / "warm-reg", user="bench").save(small, "dataset:warm")
    nbytes = df.memory_usage(deep=True).sum()  # what either side allocates and writes, at most
    res: dict[str, list[float]] = {"pq": [], "pq_sync": [], "save": [], "save_sync": []}
    t: dict[str, float] = {}

    def parquet(r: int, fsync: bool) -> None:
        p = base / f"f{r}.parquet"
        key = "pq_sync" if fsync else "pq"
        warm_pages(nbytes)
        with timer(t, key):
            df.to_parquet(p, engine="pyarrow")
            if fsync:
                fsync_path(p)
        res[key].append(t[key])

    def save(r: int, fsync: bool) -> None:
        key = "save_sync" if fsync else "save"
        loc = base / f"reg-{key}-{r}"
        reg = lifecycle_ext.open_registry(loc, user="bench", fsync=fsync)
        warm_pages(nbytes)
        with timer(t, key):
            reg.save(df, "dataset:big")
        res[key].append(t[key])  # the registry stays until the end (see _util's docstring)

    steps = [(parquet, False), (save, False), (parquet, True), (save, True)]
    for r in range(repeats):  # the order alternates: whichever runs first after a big write pays its writeback
        for fn, fsync in steps if r % 2 == 0 else steps[::-1]:
            fn(r, fsync)
    loc = base / "reg-load"
    reg = lifecycle_ext.open_registry(loc, user="bench", fsync=False)
    v = reg.save(df, "dataset:big")
    warm_pages(nbytes)
    with timer(t, "load"):
        back = reg.load(v.ref)
    pd.testing.assert_frame_equal(back, df)
    del back
    warm_pages(nbytes)
    with timer(t, "read_pq"):
        pd.read_parquet(base / "f0.parquet")

    report(
        f"DataFrame {n:,} rows x {df.shape[1]} columns ({df.memory_usage(deep=False).sum() / 1e6:.0f} MB), "
        f"{repeats} rounds, order alternating",
        [
            (
                "to_parquet",
                f"{min(res['pq']):.2f}-{max(res['pq']):.2f} s  (+fsync {min(res['pq_sync']):.2f}-{max(res['pq_sync']):.2f} s)",
            ),
            (
                "reg.save, no fsync",
                f"{min(res['save']):.2f}-{max(res['save']):.2f} s   {ratio_summary(res['save'], res['pq'])}   (target <= 0.75x)",
            ),
            (
                "reg.save, durable",
                f"{min(res['save_sync']):.2f}-{max(res['save_sync']):.2f} s   vs parquet+fsync {ratio_summary(res['save_sync'], res['pq_sync'])}",
            ),
            (
                "reg.load / read_parquet",
                f"{t['load']:.2f} s / {t['read_pq']:.2f} s = {t['load'] / t['read_pq']:.2f}x   (target <= 1.0x)",
            ),
        ],
    )
    drop_tree(base)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
