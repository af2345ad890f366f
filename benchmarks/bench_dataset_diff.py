"""Dataset diff vs a naive full pandas comparison (merge on the key), side by side.

10 million rows x 8 columns (int64 key, 5 float64 features, an int32 feature, a categorical label); 1% of the
rows changed (label flipped and one feature edited), either in one contiguous region ("localized") or at
random positions ("scattered"), plus an "appended" case (1% new rows at the end). For each case:

- diff:   ``reg.diff(A, B)`` from the registry on disk (reads only what it needs, verifying every chunk);
- naive:  ``pd.merge(A, B, on=key)`` of the two DataFrames already in memory, then a cell-by-cell compare of
          every column (loading them is NOT counted, which favours the naive side);
- naive from the registry: the same, starting like the diff does from the two stored versions
          (``reg.load`` both, then merge and compare) -- the side-by-side comparison of getting the answer.

Run: ``PYTHONPATH=. python benchmarks/bench_dataset_diff.py [--rows N]``. Prints times and ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import pandas as pd


def make(n: int, rng: np.random.Generator) -> pd.DataFrame:
    cols = {"customer_id": np.arange(n, dtype=np.int64)}
    for i in range(5):
        cols[f"f{i}"] = rng.random(n)
    cols["visits"] = rng.integers(0, 100, n, dtype=np.int32)
    cols["churn"] = pd.Categorical.from_codes(rng.integers(0, 2, n, dtype=np.int8), ["stay", "churn"])
    return pd.DataFrame(cols)


def naive(a: pd.DataFrame, b: pd.DataFrame, key: str) -> int:
    m = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    changed = 0
    both = m["_merge"] == "both"
    for c in a.columns:
        if c == key:
            continue
        x, y = m[f"{c}_a"][both], m[f"{c}_b"][both]
        changed += int((x != y).sum())
    return changed + int((~both).sum())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--cases", default="localized,scattered,appended,removed")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from lifecycle_ext import open_registry

    n = args.rows
    rng = np.random.default_rng(0)
    reg = open_registry(tempfile.mkdtemp(prefix="bench-diff-"), user="bench")
    a = make(n, rng)
    t = time.perf_counter()
    reg.save(a, "dataset:bench", key="customer_id", label="churn")
    print(f"rows={n:,} columns={a.shape[1]}  save A: {time.perf_counter() - t:.2f}s")
    k = n // 100
    for case in args.cases.split(","):
        b = a.copy()
        if case == "appended":
            extra = make(k, rng)
            extra["customer_id"] += n
            b = pd.concat([b, extra], ignore_index=True)
        elif case == "removed":
            b = b.drop(index=rng.choice(n, k, replace=False)).reset_index(drop=True)
        else:
            rows = np.arange(n // 2, n // 2 + k) if case == "localized" else np.sort(rng.choice(n, k, replace=False))
            codes = b["churn"].cat.codes.to_numpy().copy()
            codes[rows] = 1 - codes[rows]
            b["churn"] = pd.Categorical.from_codes(codes, ["stay", "churn"])
            f0 = b["f0"].to_numpy().copy()
            f0[rows] += 1.0
            b["f0"] = f0
        t = time.perf_counter()
        vb = reg.save(b, "dataset:bench", reason=case)
        t_save = time.perf_counter() - t
        t_diff, t_naive = [], []
        for _ in range(args.repeat):  # alternate the two so both see the same machine load
            t = time.perf_counter()
            d = reg.diff("dataset:bench@1", vb.ref)
            t_diff.append(time.perf_counter() - t)
            t = time.perf_counter()
            naive_changes = naive(a, b, "customer_id")
            t_naive.append(time.perf_counter() - t)
        t = time.perf_counter()
        naive(reg.load("dataset:bench@1"), reg.load(vb.ref), "customer_id")
        t_naive_loaded = time.perf_counter() - t
        s = d.sections
        print(
            f"[{case}] diff {min(t_diff):.3f}s (first {t_diff[0]:.3f}s)  naive merge {min(t_naive):.3f}s  "
            f"ratio best/best {min(t_diff) / min(t_naive):.1%}, first/best {t_diff[0] / min(t_naive):.1%}; "
            f"naive from the registry {t_naive_loaded:.2f}s -> ratio {min(t_diff) / t_naive_loaded:.1%}  "
            f"(save B incl. typing {t_save:.2f}s; types={s['types']} corrective={s['corrective']['count']} "
            f"added={s['additive']['count']} removed={s['removal']['count']} naive_changes={naive_changes} cost={s['cost']})"
        )


if __name__ == "__main__":
    main()
