"""Helpers shared by the benchmark scripts: timing, durable baselines, scratch folders on the same disk."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def scratch(name: str) -> Path:
    base = Path(os.environ.get("LIFECYCLE_BENCH_DIR", tempfile.gettempdir())) / f"lifecycle-bench-{name}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    return base


@contextmanager
def timer(out: dict, key: str):
    t0 = time.perf_counter()
    yield
    out[key] = time.perf_counter() - t0


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def drop_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def report(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"== {title}")
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"  {k.ljust(width)}  {v}")


def durable_saves(arr, base: Path, repeats: int, check=None):
    """Save ``arr`` durably ``repeats`` times, each beside an ``np.save`` + fsync of it on the same disk; return
    (best np.save time, best reg.save time, the last registry, its version). ``check(reg, version)`` runs after
    each save; every registry but the last is removed."""
    import numpy as np

    import lifecycle_ext

    t: dict = {}
    np_times, save_times = [], []
    for r in range(repeats):
        p = base / f"baseline{r}.npy"
        with timer(t, "np"):
            np.save(p, arr)
            fsync_path(p)
        np_times.append(t["np"])
        p.unlink()
        loc = base / f"reg{r}"
        reg = lifecycle_ext.open_registry(loc, user="bench", fsync=True)
        with timer(t, "save"):
            v = reg.save(arr, "model:big")
        save_times.append(t["save"])
        if check is not None:
            check(reg, v)
        if r < repeats - 1:
            drop_tree(loc)
    return min(np_times), min(save_times), reg, v
