"""Helpers shared by the benchmark scripts: timing, durable baselines, scratch folders on the same disk.

Nothing is deleted between timed rounds (each script drops its folder at the end). On ext4 without a journal
(these machines' disk), the inode allocator skips every inode freed in the last 60 seconds
(``recently_deleted()`` in ``fs/ext4/ialloc.c``), so each file created soon after many were deleted pays for a
scan past them: removing the previous round's registry (hundreds of chunk files) made the next round's 256 chunk
files cost 0.25-0.3 s more system time (``perf``: ``recently_deleted`` and ``find_get_block_common`` were 10-14%
of all samples), while ``np.save``'s one file hardly noticed. The benchmarks measured their own clean-up; keeping
every round's files until the end removes that from both sides. (A registry's own saves delete nothing: a
chunk's temporary name is linked into place, its inode kept.) The same holds across runs: start a benchmark a
minute after the previous one dropped its folder.

The one file a round must delete (its 1 GiB ``np.save`` baseline: keeping one per round would not fit on the
disk beside the registries) is deleted after *both* sides were timed, never between them. The disk is mounted
with ``discard``: removing a 1 GiB file sends the device a 1 GiB discard that it is still working through while
the next writes arrive. Deleted between the two sides, it slowed only the registry's save (fine-tune save,
4 rounds of each order alternated in one process: median 1.59x ``np.save`` with the delete between, 1.38x with
it after both).
"""

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


def warm_pages(nbytes: int) -> None:
    """Touch and free ``nbytes`` of memory just before a timed write of about that size, on every side.

    On a virtual machine that hands freed memory back to its host (virtio-balloon free page reporting, as on the
    machines these benchmarks run on), the first write into the page cache after a pause of a second or two pays
    for the host to back every page again: an ``np.save`` + fsync of 1 GiB measured 0.45 s back to back and 2.5-3 s
    after a 2 s pause, in the same minute. Warming both sides the same way measures the code, not the host."""
    import numpy as np

    buf = np.ones(int(nbytes), dtype=np.uint8)
    del buf


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
    """Save ``arr`` durably ``repeats`` times, each right after an ``np.save`` + fsync of it on the same disk
    (both sides warmed the same way, see :func:`warm_pages`); return (np.save times, reg.save times, the last
    registry, its version), one entry per round. ``check(reg, version)`` runs after each save. Every round's
    files stay until the caller drops ``base`` (see the module's docstring)."""
    import numpy as np

    import lifecycle_ext

    t: dict = {}
    np_times, save_times = [], []
    v = reg = None
    # the first save in a process imports zarr and the codecs (about half a second), which np.save never pays:
    # one small save first, so that every timed round measures the same thing
    lifecycle_ext.open_registry(base / "warm-up", user="bench").save(arr[:2].copy(), "model:warm-up")
    for r in range(repeats):
        p = base / f"baseline{r}.npy"
        warm_pages(arr.nbytes * 1.25)
        with timer(t, "np"):
            np.save(p, arr)
            fsync_path(p)
        np_times.append(t["np"])
        loc = base / f"reg{r}"
        reg = lifecycle_ext.open_registry(loc, user="bench", fsync=True)
        warm_pages(arr.nbytes * 1.25)
        with timer(t, "save"):
            v = reg.save(arr, "model:big")
        save_times.append(t["save"])
        p.unlink()  # after both sides (see the module's docstring)
        if check is not None:
            check(reg, v)
    return np_times, save_times, reg, v


def span(xs: list[float], fmt: str = "{:.2f}") -> str:
    """``min-max`` of ``xs`` (one figure when there is one)."""
    return fmt.format(min(xs)) if len(xs) == 1 else f"{fmt.format(min(xs))}-{fmt.format(max(xs))}"


def ratio_summary(ours: list[float], theirs: list[float]) -> str:
    """Per-round ratios as ``median (min-max)``, and best against best: the spread is this machine's noise."""
    rs = sorted(a / b for a, b in zip(ours, theirs))
    return f"median {rs[len(rs) // 2]:.2f}x per round ({rs[0]:.2f}-{rs[-1]:.2f}x); best vs best {min(ours) / min(theirs):.2f}x"
