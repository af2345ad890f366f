"""Benchmarks for issue 16: the notebook-dataflow hook after every cell, and ``%%track`` overhead with it.

Run: PYTHONPATH=. python benchmarks/bench_dataflow.py
In a real InteractiveShell whose namespace holds a registry frame and objects derived from it (as in a notebook
after "load, split"), prints medians over 300 runs each, measured side by side (interleaved):

* the pre/post-run hooks on an untracked cell: the same cell with the hooks registered minus without them, and
  the hooks timed on their own (target <= 1 ms);
* ``%%track`` on a trivial cell minus the same cell untracked (target <= 2 ms).
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
import tempfile
import time
from types import SimpleNamespace

N = 300
CELL = "X_small = X_train.head(5)\ny_small = y_train.head(5)\nn = len(X_small)\n"


def _time_cells(ip, source: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        ip.run_cell(source, store_history=True)
        out.append(time.perf_counter() - t0)
    return out


def main() -> dict[str, float]:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    cfg = Config()
    cfg.HistoryManager.hist_file = ":memory:"
    ip = InteractiveShell.instance(config=cfg)
    ip.run_line_magic("load_ext", "lifecycle_ext")
    hooks = ip.magics_manager.registry["LifecycleMagics"].cell_hooks
    reg_dir = tempfile.mkdtemp(prefix="lifecycle-bench-dataflow-")
    with contextlib.redirect_stdout(io.StringIO()):
        ip.run_cell(
            "import numpy as np, lifecycle_ext\n"
            "from sklearn.datasets import load_iris\n"
            "from sklearn.model_selection import train_test_split\n"
            f"reg = lifecycle_ext.open_registry({reg_dir!r})\n"
            "reg.save(load_iris(as_frame=True).frame, 'dataset:iris')\n"
            "df = reg.load('dataset:iris@1')\ncfg = {'a': 1}\n"
        )
        ip.run_cell("X_train, X_test, y_train, y_test = train_test_split(df.drop(columns='target'), df['target'])")
        assert hooks.identity.derived_refs(ip.user_ns["X_train"]) == ["dataset:iris@1"]

        # the hooks alone, on the same cell (what every untracked cell pays)
        info = SimpleNamespace(raw_cell=CELL)
        alone = []
        for _ in range(N):
            t0 = time.perf_counter()
            hooks.pre_run_cell(info)
            hooks.post_run_cell(None)
            alone.append(time.perf_counter() - t0)

        # the whole cell with and without the hooks, interleaved
        on, off = [], []
        _time_cells(ip, CELL, 30)
        for _ in range(N // 50):
            on += _time_cells(ip, CELL, 50)
            hooks.unregister()
            off += _time_cells(ip, CELL, 50)
            hooks.register()

        plain, tracked = "x = cfg['a'] + 1\n", "%%track\nx = cfg['a'] + 1\n"
        _time_cells(ip, tracked, 30)
        a, b = [], []
        for _ in range(N // 50):
            a += _time_cells(ip, plain, 50)
            b += _time_cells(ip, tracked, 50)
    med = lambda xs: statistics.median(xs) * 1e3  # noqa: E731
    return {
        "hooks_alone_ms": med(alone),
        "untracked_with_hooks_ms": med(on),
        "untracked_without_hooks_ms": med(off),
        "hook_added_ms": med(on) - med(off),
        "plain_cell_ms": med(a),
        "tracked_cell_ms": med(b),
        "track_added_ms": med(b) - med(a),
    }


if __name__ == "__main__":
    res = main()
    print(json.dumps({k: round(v, 4) for k, v in res.items()}))
    print(
        f"dataflow hooks on an untracked cell: {res['hooks_alone_ms']:.3f} ms alone, "
        f"{res['hook_added_ms']:.3f} ms added ({res['untracked_with_hooks_ms']:.3f} vs "
        f"{res['untracked_without_hooks_ms']:.3f} ms, ratio "
        f"{res['untracked_with_hooks_ms'] / res['untracked_without_hooks_ms']:.2f}) (target <= 1 ms): "
        f"{'OK' if max(res['hooks_alone_ms'], res['hook_added_ms']) <= 1 else 'OVER'}"
    )
    print(
        f"%%track added {res['track_added_ms']:.3f} ms per trivial cell ({res['tracked_cell_ms']:.3f} vs "
        f"{res['plain_cell_ms']:.3f} ms) (target <= 2 ms): {'OK' if res['track_added_ms'] <= 2 else 'OVER'}"
    )
