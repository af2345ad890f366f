"""Baselines that fit the data: wide arrays get a bounded profile, unchanged content and columns are reused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lifecycle_ext.analysis import baseline as baseline_mod


def _stored(reg) -> int:
    root = Path(reg.location)
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file() and "tmp" not in f.relative_to(root).parts)


def _baseline(reg, asset: str, number: int) -> dict:
    return reg.state["assets"][asset]["versions"][number - 1]["baseline"]


def test_a_wide_float_array_gets_a_small_baseline_and_a_small_second_version(reg):
    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)  # 16 MB, 2,048 columns
    reg.save(a, "dataset:wide")
    base = _baseline(reg, "dataset:wide", 1)
    stored = (Path(reg.location) / reg.blobs.key(base["blob"])).stat().st_size
    assert base["columns"] == 2048 and stored < 0.05 * a.nbytes  # was 122% of the data
    doc = json.loads(reg.blobs.get(base["blob"]))
    assert {len(c["quantiles"]) for c in doc["columns"].values()} == {baseline_mod.quantiles_per_column(2048)}
    before = _stored(reg)
    b = a.copy()
    b[np.random.default_rng(1).choice(len(a), len(a) // 100, replace=False)] += 0.5  # 1% of the rows
    reg.save(b, "dataset:wide")
    assert _stored(reg) - before < 0.10 * before
    assert np.array_equal(reg.load("dataset:wide@2"), b)


def test_quantiles_stay_within_the_budget():
    assert baseline_mod.quantiles_per_column(8) == baseline_mod.BASELINE_QUANTILES
    assert baseline_mod.quantiles_per_column(2048) * 2048 <= max(baseline_mod.QUANTILE_BUDGET, 33 * 2048)
    wide = pd.DataFrame(np.arange(200 * 3000, dtype=np.float64).reshape(200, 3000))
    wide.columns = [str(c) for c in wide.columns]
    prof = baseline_mod.profile(wide)
    assert {len(c["quantiles"]) for c in prof["columns"].values()} == {baseline_mod.quantiles_per_column(3000)}


def test_unchanged_content_and_columns_reuse_the_parents_profiles(reg, monkeypatch):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.standard_normal(50_000), "b": rng.integers(0, 9, 50_000), "c": ["x", "y"] * 25_000})
    reg.save(df, "dataset:d")
    calls: list[str] = []
    real = baseline_mod.column_profile

    def spy(series, **kw):
        calls.append(str(series.name))
        return real(series, **kw)

    monkeypatch.setattr(baseline_mod, "column_profile", spy)
    reg.save(df, "dataset:d", metadata={"note": "same rows"})  # same content: baseline reused as it is
    assert calls == [] and _baseline(reg, "dataset:d", 2) == _baseline(reg, "dataset:d", 1)
    df2 = df.copy()
    df2.loc[10, "a"] = 99.0
    reg.save(df2, "dataset:d")  # one column changed: only it is profiled again
    assert calls == ["a"]
    fresh = baseline_mod.profile(df2)
    stored = json.loads(reg.blobs.get(_baseline(reg, "dataset:d", 3)["blob"]))
    assert stored["columns"] == fresh["columns"]
