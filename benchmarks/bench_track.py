"""Benchmarks for issue 3: %%track capture overhead and %load_ext time.

Run: PYTHONPATH=. python benchmarks/bench_track.py
Prints the median added time of ``%%track`` on a trivial cell with no outputs (target <= 2 ms) against the same
cell untracked, both in a real InteractiveShell, and the ``%load_ext lifecycle_ext`` time measured in a fresh
subprocess (target <= 150 ms).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time

N = 300
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _time_cells(ip, source: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        ip.run_cell(source, store_history=True)
        out.append(time.perf_counter() - t0)
    return out


def track_overhead() -> dict[str, float]:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    cfg = Config()
    cfg.HistoryManager.hist_file = ":memory:"  # a real shell with history, without touching ~/.ipython
    ip = InteractiveShell.instance(config=cfg)
    ip.run_line_magic("load_ext", "lifecycle_ext")
    ip.run_cell("import numpy as np\ncfg = {'a': 1}")  # numpy imported: its RNG is fingerprinted as in real use
    plain, tracked = "x = cfg['a'] + 1\n", "%%track\nx = cfg['a'] + 1\n"
    with contextlib.redirect_stdout(io.StringIO()):
        _time_cells(ip, plain, 30)
        _time_cells(ip, tracked, 30)
        a, b = [], []
        for _ in range(N // 50):  # interleave to share drift
            a += _time_cells(ip, plain, 50)
            b += _time_cells(ip, tracked, 50)
    ma, mb = statistics.median(a) * 1e3, statistics.median(b) * 1e3
    return {"untracked_ms": ma, "tracked_ms": mb, "added_ms": mb - ma}


def load_ext_ms() -> float:
    probe = (
        "import time\nfrom IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\nt = time.perf_counter()\n"
        "ip.run_line_magic('load_ext', 'lifecycle_ext')\nprint((time.perf_counter() - t) * 1000)"
    )
    env = {**os.environ, "PYTHONPATH": ROOT}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    res = track_overhead()
    res["load_ext_ms"] = load_ext_ms()
    print(json.dumps({k: round(v, 3) for k, v in res.items()}))
    print(
        f"%%track added {res['added_ms']:.3f} ms per trivial cell (target <= 2 ms): "
        f"{'OK' if res['added_ms'] <= 2 else 'OVER'}"
    )
    print(
        f"%load_ext lifecycle_ext {res['load_ext_ms']:.1f} ms (target <= 150 ms): "
        f"{'OK' if res['load_ext_ms'] <= 150 else 'OVER'}"
    )
