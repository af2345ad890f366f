"""Stored models (issue 15), measured side by side in one run:

1. ``reg.save`` of a ~100 MB scikit-learn forest vs ``skops.io.dump`` to a file, both durable (target <= 1.2x);
2. first prediction: ``reg.predictor(ref).predict`` vs ``mlflow.pyfunc.load_model(dir).predict`` of the same
   model (exported with ``reg.export(ref, "mlflow", dir)``), in this process and in fresh processes (target: faster);
3. fine-tune storage: a 10-layer PyTorch MLP saved, one layer changed, saved again: the bytes the second save
   adds vs that layer's bytes (target: about one layer, not the whole model).

Run: ``PYTHONPATH=. python benchmarks/bench_models.py`` (``--quick`` for a small forest).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
from _util import fsync_path, report, scratch

import lifecycle_ext

MB = 1 << 20


def forest(target_mb: int) -> tuple[object, float]:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(n_samples=40_000, n_features=20, flip_y=0.3, random_state=0)
    # each unpruned tree on noisy labels holds ~11k nodes (~1 MB); grow trees until the model is ~target_mb
    model = RandomForestClassifier(n_estimators=4, random_state=0, n_jobs=2).fit(X, y)
    per_tree = sum(t.tree_.node_count for t in model.estimators_) / 4 * 80
    model.set_params(n_estimators=max(4, int(target_mb * MB / per_tree)))
    model.fit(X, y)
    nbytes = sum(t.tree_.node_count for t in model.estimators_) * 80 / MB
    return model, nbytes


def bench_forest(target_mb: int, repeats: int = 3) -> list[tuple[str, str]]:
    import skops.io as sio

    model, _ = forest(target_mb)
    base = scratch("models-forest")
    dump_t, save_t = [], []
    size = 0
    for r in range(repeats):
        p = base / f"forest{r}.skops"
        t0 = time.perf_counter()
        sio.dump(model, p)
        fsync_path(p)
        dump_t.append(time.perf_counter() - t0)
        size = p.stat().st_size
        reg = lifecycle_ext.open_registry(base / f"reg{r}", user="bench", fsync=True)
        t0 = time.perf_counter()
        v = reg.save(model, "model:forest")
        save_t.append(time.perf_counter() - t0)
    d, s = min(dump_t), min(save_t)
    t0 = time.perf_counter()
    back = reg.load(v.ref)
    load_t = time.perf_counter() - t0
    assert back.n_estimators == model.n_estimators
    return [
        ("forest", f"{model.n_estimators} trees, skops file {size / MB:.0f} MB"),
        ("skops.io.dump + fsync", f"{d:.2f} s"),
        ("reg.save (durable)", f"{s:.2f} s   ratio {s / d:.2f}x   (target <= 1.2x)"),
        ("reg.load", f"{load_t:.2f} s"),
    ]


_COLD = """
import sys, time
t0 = time.perf_counter()
import pandas as pd
X = pd.read_parquet(sys.argv[2]).head(1)
if sys.argv[1] == "mlflow":
    import mlflow.pyfunc
    y = mlflow.pyfunc.load_model(sys.argv[3]).predict(X)
else:
    import lifecycle_ext
    y = lifecycle_ext.open_registry(sys.argv[3]).predictor(sys.argv[4]).predict(X)
print(time.perf_counter() - t0)
"""


def bench_first_prediction(repeats: int = 15) -> list[tuple[str, str]]:
    import mlflow.pyfunc
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=100, random_state=0)).fit(X, y)
    base = scratch("models-predict")
    reg = lifecycle_ext.open_registry(base / "reg", user="bench")
    v = reg.save(model, "model:churn", input_example=X)
    out = reg.export(v.ref, "mlflow", base / "mlflow-model").paths[0]
    row = X.head(1)
    ours, theirs = [], []
    for i in range(repeats):  # alternate which goes first, so neither always follows the other's work
        for side in ("ours", "mlflow") if i % 2 == 0 else ("mlflow", "ours"):
            t0 = time.perf_counter()
            if side == "ours":
                a = reg.predictor(v.ref).predict(row)
                ours.append(time.perf_counter() - t0)
            else:
                b = mlflow.pyfunc.load_model(out).predict(row)
                theirs.append(time.perf_counter() - t0)
        assert np.array_equal(np.asarray(a), np.asarray(b))
    o, m = float(np.median(ours)), float(np.median(theirs))
    X.to_parquet(base / "X.parquet")
    code = base / "cold.py"
    code.write_text(textwrap.dedent(_COLD))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")])}

    def cold(*args: str) -> float:
        r = subprocess.run([sys.executable, str(code), *args], capture_output=True, text=True, env=env, check=True)
        return float(r.stdout.strip().splitlines()[-1])

    co = min(cold("ours", str(base / "X.parquet"), reg.location, v.ref) for _ in range(3))
    cm = min(cold("mlflow", str(base / "X.parquet"), str(out)) for _ in range(3))
    return [
        ("model", "StandardScaler + RandomForest(100 trees), one-row prediction"),
        ("mlflow.pyfunc.load_model + predict", f"{m * 1000:.1f} ms (median of {repeats}, libraries imported)"),
        ("reg.predictor + predict", f"{o * 1000:.1f} ms   ratio {o / m:.2f}x   (target: faster)"),
        ("fresh process: mlflow", f"{cm:.2f} s (imports included)"),
        ("fresh process: lifecycle_ext", f"{co:.2f} s   ratio {co / cm:.2f}x"),
    ]


def bench_finetune() -> list[tuple[str, str]]:
    import torch

    sys.path.insert(0, os.getcwd())
    from tests.support.torch_models import MLP

    torch.manual_seed(0)
    model = MLP(1024, 1024, 1024, layers=10)
    total = sum(p.numel() * p.element_size() for p in model.parameters())
    reg = lifecycle_ext.open_registry(scratch("models-finetune") / "reg", user="bench")
    v1 = reg.save(model, "model:base")
    layer = model.net[8]  # the fifth Linear layer
    with torch.no_grad():
        layer.weight.add_(torch.randn_like(layer.weight) * 1e-3)
    changed = sum(p.numel() * p.element_size() for p in (layer.weight,))
    v2 = reg.save(model, "model:base")
    back = reg.load(v2.ref)
    assert torch.equal(back.net[8].weight, layer.weight)
    return [
        ("model", f"MLP of 10 Linear layers (1024 x 1024), {total / MB:.1f} MB of float32 weights"),
        ("first save: new bytes", f"{v1.new_bytes / MB:.1f} MB"),
        ("fine-tune (one layer's weights changed)", f"changed tensor {changed / MB:.1f} MB"),
        (
            "second save: new bytes",
            f"{v2.new_bytes / MB:.2f} MB = {v2.new_bytes / changed:.2f}x the changed layer, "
            f"{v2.new_bytes / total * 100:.1f}% of the model   (target: about one layer)",
        ),
    ]


def main() -> None:
    quick = "--quick" in sys.argv
    if "--predict-only" in sys.argv:
        report("first prediction vs mlflow.pyfunc", bench_first_prediction())
        return
    report("save a scikit-learn forest vs skops.io.dump", bench_forest(10 if quick else 100))
    report("first prediction vs mlflow.pyfunc", bench_first_prediction())
    report("fine-tune storage (PyTorch)", bench_finetune())


if __name__ == "__main__":
    main()
