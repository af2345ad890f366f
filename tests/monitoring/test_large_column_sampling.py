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


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
def test_plain_numpy_columns_are_sampled_without_copying_and_stay_exact_where_cheap(small_limits, dtype):
    """Long plain numpy columns take the vectorised path: non-finite values count as nulls, extremes and the
    count are exact, the bin counts sum to the count, and the result equals that of the same values as a
    nullable column (the general path) in everything but the sample it drew."""
    rng = np.random.default_rng(5)
    values = (rng.standard_normal(100_000) * 1000).astype(dtype)
    if values.dtype.kind == "f":
        values[[3, 70, 9_000]] = [np.nan, np.inf, -np.inf]
    p = baseline.column_profile(pd.Series(values))
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    assert p["sampled"] == 20_000 and p["count"] == len(finite) and p["nulls"] == len(values) - len(finite)
    assert p["min"] == float(finite.min()) and p["max"] == float(finite.max())
    assert sum(p["counts"]) == len(finite) and p["quantiles"][0] == p["min"] and p["quantiles"][-1] == p["max"]
    general = baseline.column_profile(pd.Series(finite.astype(np.float64)).astype("Float64"))
    assert general["count"] == p["count"] and general["min"] == p["min"] and general["max"] == p["max"]
    assert abs(general["mean"] - p["mean"]) < 0.05 * general["std"]


def test_a_column_of_almost_only_non_finite_values_still_profiles_its_finite_ones(small_limits):
    values = np.full(100_000, np.nan)
    values[[5, 50_000]] = [1.5, -2.5]
    p = baseline.column_profile(pd.Series(values))
    assert p["count"] == 2 and p["nulls"] == 99_998 and (p["min"], p["max"]) == (-2.5, 1.5)
    assert sum(p["counts"]) == 2
    empty = baseline.column_profile(pd.Series(np.full(100_000, np.inf)))
    assert empty["count"] == 0 and empty["nulls"] == 100_000 and empty["quantiles"] == []


def test_categorical_counts_come_from_the_codes_and_match_value_counts():
    s = pd.Series(pd.Categorical(["b", "a", None, "b", "c", "b", None], categories=["a", "b", "c", "unused"]))
    values, counts, nulls = baseline.category_counts(s)
    assert (values, counts, nulls) == (["b", "a", "c"], [3, 1, 1], 2)
    vc = s.astype(object).value_counts(dropna=True)
    assert dict(zip(values, counts)) == {str(k): int(v) for k, v in vc.items()}


@pytest.mark.parametrize("n", [1_000, 20_000])
def test_string_columns_keep_the_exact_top_values_without_looping_over_the_tail(n):
    """An unsampled string column: the same profile as counting every value by its text (ties at the top-k cut
    broken by the text), whatever the number of distinct values."""
    rng = np.random.default_rng(6)
    raw = [f"v{int(i)}" for i in rng.integers(0, n // 2, n)]
    raw[:5] = [None] * 5
    s = pd.Series(raw, dtype="str")
    p = baseline.column_profile(s)
    counts: dict[str, int] = {}
    for v in raw[5:]:
        counts[v] = counts.get(v, 0) + 1
    expected = baseline.categorical_from_counts(list(counts), list(counts.values()), 5)
    assert {k: p[k] for k in expected} == expected and "sampled" not in p
