"""Baselines of long columns are computed from a fixed-seed sample: deterministic, exact where it is cheap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lifecycle_ext.analysis import baseline


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(baseline, "SAMPLE_ROWS", 20_000)
    monkeypatch.setattr(baseline, "CATEGORY_SAMPLE_ROWS", 20_000)


def test_numeric_sample_keeps_count_and_extremes_exact_and_the_distribution_close(small_limits):
    rng = np.random.default_rng(3)
    x = pd.Series(np.concatenate([rng.lognormal(size=300_000), [np.nan] * 7]))
    p = baseline.column_profile(x)
    assert p["sampled"] == 20_000 and p["count"] == 300_000 and p["nulls"] == 7
    assert p["min"] == x.min() and p["max"] == x.max()
    assert sum(p["counts"]) == 300_000
    q = np.asarray(p["quantiles"])
    exact = np.quantile(x.dropna(), np.linspace(0, 1, len(q)))
    # the sketch's distribution is within sampling error of the column's (KS distance between them)
    grid = np.quantile(x.dropna(), np.linspace(0.001, 0.999, 999))
    assert np.max(np.abs(baseline.cdf(q, grid) - baseline.cdf(exact, grid))) < 0.02
    assert baseline.column_profile(x) == p  # fixed seed: the same column gives the same baseline


def test_text_sample_scales_counts_and_keeps_missing_exact(small_limits):
    rng = np.random.default_rng(4)
    values = rng.choice(["a", "b", "c"], size=200_000, p=[0.6, 0.3, 0.1]).astype(object)
    values[:11] = None
    s = pd.Series(values, dtype="str")
    p = baseline.column_profile(s)
    assert p["sampled"] == 20_000 and p["nulls"] == 11 and p["count"] == 200_000 - 11
    assert p["values"] == ["a", "b", "c"]
    shares = np.asarray(p["counts"]) / p["count"]
    assert np.allclose(shares, [0.6, 0.3, 0.1], atol=0.02)
    assert p["other"] == p["count"] - sum(p["counts"])
