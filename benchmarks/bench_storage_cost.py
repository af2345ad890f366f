"""Stored bytes and save/load time vs the formats people would pick instead, measured side by side in one run.

1. The ``bench_save_frame`` DataFrame (N rows x 8 columns) vs parquet (snappy, the pandas default) and parquet
   (zstd): stored bytes, save time vs ``to_parquet``, load time vs ``read_parquet``.
2. Fine-tuned float32 weights (every weight nudged by a relative 1e-4, and 1e-3): bytes a new version adds
   (stored as deltas against the parent's chunks) vs the array, save time vs ``np.save`` + fsync; and a 1%-row
   change (new bytes vs the array).

3. A 32 MB float32 array of 2,048 columns saved as a dataset (monitoring baseline included), then saved again
   with 1% of its rows changed: how much the registry grows, and the baseline's share.

``--compare CHECKOUT`` runs the same cases with another checkout's ``lifecycle_ext`` first (e.g. the code
before these changes) and prints its report above this one's.

Each timing is the best of ``--repeat`` runs; the spread (max/min - 1) is printed as the noise of this machine.
Run: ``PYTHONPATH=. python benchmarks/bench_storage_cost.py [--rows 10000000] [--mb 1024]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _util import drop_tree, fsync_path, ratio_summary, report, scratch, span, warm_pages
from bench_save_frame import make_frame

import lifecycle_ext


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _blob_bytes(reg) -> int:
    return _du(Path(reg.location) / "blobs")


def _timed(n: int, fn) -> tuple[float, float, object]:
    times, out = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), max(times) / min(times) - 1, out


def frame_case(rows: int, repeat: int) -> list[tuple[str, str]]:
    """Each round: to_parquet, reg.save, read_parquet, reg.load, one after the other; ratios per round."""
    df = make_frame(rows)
    base = scratch("cost-frame")
    raw = int(df.memory_usage(deep=False).sum())
    raw_deep = int(df.memory_usage(deep=True).sum())  # what either side allocates and writes, at most
    sizes = {}
    for comp in ("snappy", "zstd"):
        p = base / f"f-{comp}.parquet"
        df.to_parquet(p, engine="pyarrow", compression=comp)
        sizes[comp] = p.stat().st_size
    p = base / "f-snappy.parquet"
    pq_t, save_t, rpq_t, load_t = [], [], [], []
    reg = v = None
    for r in range(repeat):
        warm_pages(raw_deep)
        t0 = time.perf_counter()
        df.to_parquet(p, engine="pyarrow", compression="snappy")
        pq_t.append(time.perf_counter() - t0)
        loc = base / f"reg{r}"
        reg = lifecycle_ext.open_registry(loc, user="bench", fsync=False)
        warm_pages(raw_deep)
        t0 = time.perf_counter()
        v = reg.save(df, "dataset:big")
        save_t.append(time.perf_counter() - t0)
        warm_pages(raw_deep)
        t0 = time.perf_counter()
        pd.read_parquet(p)
        rpq_t.append(time.perf_counter() - t0)
        warm_pages(raw_deep)
        t0 = time.perf_counter()
        back = reg.load(v.ref)
        load_t.append(time.perf_counter() - t0)
        if r == 0:
            pd.testing.assert_frame_equal(back, df)
        del back  # every round's registry stays until the end (see _util's docstring)
    stored = _blob_bytes(reg)
    snappy, zstd = sizes["snappy"], sizes["zstd"]
    out = [
        ("frame in memory", f"{raw / 1e6:.0f} MB ({rows:,} rows x {df.shape[1]}), {repeat} rounds"),
        ("parquet snappy / zstd", f"{snappy / 1e6:.0f} MB / {zstd / 1e6:.0f} MB"),
        (
            "registry stored",
            f"{stored / 1e6:.0f} MB = {stored / snappy:.2f}x parquet snappy, {stored / zstd:.2f}x parquet zstd"
            "   (target <= 1.0x snappy)",
        ),
        (
            "save vs to_parquet(snappy)",
            f"{span(save_t)} s vs {span(pq_t)} s; {ratio_summary(save_t, pq_t)}   (target <= 0.75x)",
        ),
        (
            "load vs read_parquet(snappy)",
            f"{span(load_t)} s vs {span(rpq_t)} s; {ratio_summary(load_t, rpq_t)}   (target <= 1.0x)",
        ),
    ]
    drop_tree(base)
    return out


def finetune_case(mb: int, repeat: int) -> list[tuple[str, str]]:
    rows = mb * (1 << 20) // 4 // 4096
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((rows, 4096), dtype=np.float32)
    base = scratch("cost-finetune")
    out = [("weights", f"{w0.nbytes / 2**20:.0f} MiB float32 ({rows} x 4096)")]

    for rel in (1e-4, 1e-3):
        w1 = w0 * (1 + rel * rng.standard_normal(w0.shape, dtype=np.float32))
        runs: list = []
        np_times: list[float] = []
        for r in range(repeat):  # each round: np.save + fsync of the fine-tuned array, then reg.save of it
            loc = base / f"reg-{rel}-{r}"
            reg = lifecycle_ext.open_registry(loc, user="bench", fsync=True)
            v1 = reg.save(w0, "model:ft")
            p = base / "w1.npy"
            warm_pages(w1.nbytes * 1.25)
            t0 = time.perf_counter()
            np.save(p, w1)
            fsync_path(p)
            np_times.append(time.perf_counter() - t0)
            warm_pages(w1.nbytes * 1.25)
            t0 = time.perf_counter()
            v2 = reg.save(w1, "model:ft")
            runs.append((time.perf_counter() - t0, reg, v1, v2))
            os.unlink(p)  # after both sides were timed (see benchmarks/_util.py)
        times = [r[0] for r in runs]
        t2, reg, v1, v2 = min(runs, key=lambda r: r[0])
        assert np.array_equal(reg.load(v2.ref), w1)
        out += [
            (
                f"fine-tune {rel:g}: new bytes",
                f"{v2.new_bytes / w1.nbytes:.1%} of the array   (target <= 60%; first version {v1.new_bytes / w0.nbytes:.1%})",
            ),
            (
                f"fine-tune {rel:g}: save",
                f"{span(times)} s vs np.save+fsync {span(np_times)} s; {ratio_summary(times, np_times)}   (target <= 1.5x)",
            ),
        ]
    w2 = w0.copy()
    w2[rows // 2 : rows // 2 + rows // 100] += 1.0
    v3 = reg.save(w2, "model:ft")
    out.append(("1% rows changed: new bytes", f"{v3.new_bytes / w2.nbytes:.2%} of the array   (target <= 3%)"))
    assert reg.verify().ok
    drop_tree(base)
    return out


def wide_case(repeat: int) -> list[tuple[str, str]]:
    a = np.random.default_rng(0).standard_normal((4096, 2048)).astype(np.float32)
    base = scratch("cost-wide")
    reg = lifecycle_ext.open_registry(base / "reg", user="bench", fsync=False)
    t0 = time.perf_counter()
    reg.save(a, "dataset:wide")
    t1 = time.perf_counter() - t0
    root = Path(reg.location)
    size1 = _du(root) - _du(root / "tmp")
    blob = reg.state["assets"]["dataset:wide"]["versions"][0]["baseline"]["blob"]
    baseline = (root / reg.blobs.key(blob)).stat().st_size
    b = a.copy()
    b[np.random.default_rng(1).choice(len(a), len(a) // 100, replace=False)] += 0.5
    t0 = time.perf_counter()
    reg.save(b, "dataset:wide")
    t2 = time.perf_counter() - t0
    size2 = _du(root) - _du(root / "tmp")
    drop_tree(base)
    return [
        ("array", f"{a.nbytes / 1e6:.1f} MB float32, {a.shape[0]} x {a.shape[1]} columns"),
        (
            "registry after first save",
            f"{size1 / 1e6:.1f} MB ({t1:.2f} s); baseline {baseline / a.nbytes:.1%} of the data",
        ),
        (
            "second save, 1% rows changed",
            f"grows the registry by {(size2 - size1) / 1e6:.2f} MB = {(size2 - size1) / size1:.1%}   (target < 10%; {t2:.2f} s)",
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--mb", type=int, default=1024, help="size of the fine-tuned weights in MiB")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cases", default="frame,finetune,wide")
    ap.add_argument("--compare", help="another checkout whose lifecycle_ext runs the same cases first")
    args = ap.parse_args()
    if args.compare:
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory(prefix="bench-cost-path-") as shim:
            os.symlink(Path(args.compare).resolve() / "lifecycle_ext", Path(shim) / "lifecycle_ext")
            argv = [a for a in sys.argv[1:] if not a.startswith("--compare") and a != args.compare]
            print(f"#### with lifecycle_ext from {args.compare}", flush=True)
            subprocess.run([sys.executable, __file__, *argv], env=dict(os.environ, PYTHONPATH=shim), check=True)
        print("#### with this checkout", flush=True)
    if "frame" in args.cases:
        report("DataFrame vs parquet", frame_case(args.rows, args.repeat))
    if "finetune" in args.cases:
        report("fine-tuned float32 weights", finetune_case(args.mb, args.repeat))
    if "wide" in args.cases:
        report("wide float array as a dataset", wide_case(args.repeat))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
