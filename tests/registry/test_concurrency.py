"""Several processes writing one registry lose nothing; a writer killed at any point leaves it clean."""

from __future__ import annotations

import multiprocessing as mp
import random
import signal
import sys
import time

import numpy as np
import pytest

import lifecycle_ext
from tests.support.checkout import checkout_env

pytestmark = pytest.mark.slow


def _writer(location: str, worker: int, n: int) -> None:
    reg = lifecycle_ext.open_registry(location, user=f"w{worker}", checkpoint_every=20)
    for i in range(n):
        reg.save({"worker": worker, "i": i}, "model:shared", note=f"{worker}-{i}")
        reg.save(np.full(100, worker * 1000 + i), f"dataset:w{worker}")


def test_concurrent_writers_lose_nothing(tmp_path):
    loc = str(tmp_path / "reg")
    lifecycle_ext.open_registry(loc)  # create it
    ctx = mp.get_context("spawn")
    n = 25
    procs = [ctx.Process(target=_writer, args=(loc, w, n)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    reg = lifecycle_ext.open_registry(loc)
    shared = reg.versions("model:shared")
    assert len(shared) == 4 * n
    assert sorted(shared["note"]) == sorted(f"{w}-{i}" for w in range(4) for i in range(n))
    assert list(shared["version"]) == list(range(1, 4 * n + 1))
    for w in range(4):
        assert len(reg.versions(f"dataset:w{w}")) == n
        np.testing.assert_array_equal(reg.load(f"dataset:w{w}@{n}"), np.full(100, w * 1000 + n - 1))
    rep = reg.verify()
    assert rep.ok, rep
    assert rep.events == 8 * n


_CHILD = r"""
import sys, numpy as np, lifecycle_ext
reg = lifecycle_ext.open_registry(sys.argv[1], user="crashy", checkpoint_every=7, fsync=True)
rng = np.random.default_rng(int(sys.argv[2]))
i = 0
while True:
    i += 1
    reg.save(rng.standard_normal(int(rng.integers(1, 300_000))).astype(np.float32), "model:crash", note=str(i))
    reg.save({"i": i}, "pipeline:crash")
    if i == 1:
        print("started", flush=True)
"""


def test_sigkill_at_random_points_leaves_a_clean_registry(tmp_path):
    loc = str(tmp_path / "reg")
    rnd = random.Random(1234)
    import subprocess

    env = checkout_env()
    versions_seen = 0
    for trial in range(12):
        child = subprocess.Popen([sys.executable, "-c", _CHILD, loc, str(trial)], stdout=subprocess.PIPE, env=env)
        assert child.stdout.readline().strip() == b"started"
        time.sleep(rnd.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        reg = lifecycle_ext.open_registry(loc)
        rep = reg.verify()
        assert rep.ok, f"trial {trial}: {rep}"
        vs = reg.versions("model:crash")
        assert len(vs) >= versions_seen
        versions_seen = len(vs)
        last = reg.get("model:crash@latest")
        assert reg.load(last.ref).dtype == np.float32  # the newest published version is whole
    reg = lifecycle_ext.open_registry(loc)
    reg.gc(grace_seconds=0)  # at most some unreferenced blobs from interrupted saves; gc removes them
    assert reg.verify().ok
    assert versions_seen >= 12
