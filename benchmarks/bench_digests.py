"""Durable save of a 1 GiB array WITH content digests per blob (issue 14) vs np.save + fsync, side by side.

Target (issue 14): save with digests <= 1.2x np.save + fsync (each chunk's digest is computed by its writer
while the disk writes the chunk, see ``LocalStorage.create``). Each round runs np.save + fsync, then reg.save,
then the floor beside them: the same 4 MiB chunks written as plain files and fsynced from the same number of
threads, with no hashing at all (what one file per chunk costs on this disk). Every side is warmed the same way
first (see ``_util.warm_pages``); registries and chunk files stay until the end, and a round's ``np.save`` file
is deleted only after both sides were timed (see ``_util``'s docstring). Also prints the cost of each digest over the whole array on one thread (BLAKE3, which new manifests record, and
SHA-256, which they recorded before) and verify throughput.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import blake3
import numpy as np
from _util import drop_tree, durable_saves, ratio_summary, report, scratch, timer, warm_pages

from lifecycle_ext.storage.blobs import WORKERS

GIB = 1 << 30
CHUNK = 4 << 20


def plain_files(arr: np.ndarray, folder) -> float:
    """Write ``arr`` as 4 MiB files, each fsynced, from the blob pool's number of threads; no hashing."""
    view = memoryview(arr).cast("B")
    folder.mkdir()

    def one(i: int) -> None:
        fd = os.open(folder / uuid.uuid4().hex, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, view[i : i + CHUNK])
            os.fsync(fd)
        finally:
            os.close(fd)

    warm_pages(arr.nbytes * 1.25)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(one, range(0, len(view), CHUNK)))
    dfd = os.open(folder, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)
    took = time.perf_counter() - t0
    return took  # kept until the end, like every round's files (see _util's docstring)


def main(size: int = GIB, rounds: int = 5) -> None:
    rows = size // 4 // 4096
    arr = np.random.default_rng(0).standard_normal((rows, 4096), dtype=np.float32)
    base = scratch("digests")
    t: dict[str, float] = {}
    floor: list[float] = []

    def after_each_save(reg, v) -> None:
        manifest = reg.manifest(v.ref)
        assert set(manifest["digests"]) == set(manifest["entries"])
        assert all(d.startswith("blake3:") for d in manifest["digests"].values())
        floor.append(plain_files(arr, base / f"plain{len(floor)}"))

    np_times, save_times, reg, _ = durable_saves(arr, base, rounds, after_each_save)
    raw = memoryview(arr).cast("B")
    with timer(t, "sha"):
        hashlib.sha256(raw).hexdigest()
    with timer(t, "b3"):
        blake3.blake3(raw).hexdigest()
    with timer(t, "verify"):
        rep = reg.verify()
    assert rep.ok
    report(
        f"durable save with a BLAKE3 digest per blob, {arr.nbytes / GIB:.2f} GiB float32, {rounds} rounds",
        [
            ("np.save + fsync", f"{min(np_times):.2f}-{max(np_times):.2f} s"),
            (
                "reg.save (durable, digests)",
                f"{min(save_times):.2f}-{max(save_times):.2f} s   {ratio_summary(save_times, np_times)}   (target <= 1.2x)",
            ),
            (
                f"  floor: plain 4 MiB files + fsync, {WORKERS} threads, no hashing",
                f"{min(floor):.2f}-{max(floor):.2f} s   {ratio_summary(floor, np_times)}",
            ),
            ("BLAKE3 of the array, 1 thread", f"{t['b3']:.2f} s ({arr.nbytes / GIB / t['b3']:.2f} GiB/s)"),
            ("SHA-256 of the array, 1 thread", f"{t['sha']:.2f} s ({arr.nbytes / GIB / t['sha']:.2f} GiB/s)"),
            ("verify (xxh3 + BLAKE3 per blob)", f"{rep.bytes / 1e9 / t['verify']:.2f} GB/s"),
        ],
    )
    drop_tree(base)


if __name__ == "__main__":
    main(int(float(sys.argv[1]) * GIB) if len(sys.argv) > 1 else GIB)
