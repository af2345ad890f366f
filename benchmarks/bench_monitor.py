"""Benchmark: monitoring a 100,000 rows x 20 columns batch against its baseline (target < 1 s).

Prints the time of the drift computation alone and of the whole ``reg.monitor`` call (drift, batch sketch,
blob write, event append), and their ratio to the 1 s target. Run: ``python benchmarks/bench_monitor.py``.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd

import lifecycle_ext
from lifecycle_ext.analysis.baseline import profile
from lifecycle_ext.analysis.drift import compare

ROWS, TARGET = 100_000, 1.0


def table(seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i in range(14):  # numeric: normal, lognormal, integer
        kind = i % 3
        cols[f"n{i}"] = (
            rng.normal(shift, 1, ROWS)
            if kind == 0
            else rng.lognormal(shift, 1, ROWS)
            if kind == 1
            else rng.integers(0, 100, ROWS)
        )
    for i in range(5):  # categorical strings
        cols[f"c{i}"] = rng.choice([f"v{j}" for j in range(20 + 10 * i)], ROWS)
    cols["flag"] = rng.random(ROWS) < 0.3 + shift / 10
    return pd.DataFrame(cols)


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    train, batch = table(1), table(2, shift=0.1)
    t0 = time.perf_counter()
    base = profile(train)
    t_profile = time.perf_counter() - t0
    at = datetime.now(UTC)
    t_compare = best(lambda: compare(base, batch, at=at))
    with tempfile.TemporaryDirectory() as d:
        reg = lifecycle_ext.open_registry(d, user="bench")
        t0 = time.perf_counter()
        reg.save(train, "dataset:train")
        t_save = time.perf_counter() - t0
        reg.save({"w": 1}, "model:m", inputs=["dataset:train@1"])
        t_monitor = best(lambda: reg.monitor("model:m@1", batch))
    print(f"baseline profile of {ROWS:,} x 20: {t_profile:.3f} s (save incl. baseline: {t_save:.3f} s)")
    print(f"drift computation (compare): {t_compare:.3f} s = {t_compare / TARGET:.2f} x the 1 s target")
    print(f"reg.monitor end to end:      {t_monitor:.3f} s = {t_monitor / TARGET:.2f} x the 1 s target")


if __name__ == "__main__":
    main()
