from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from lifecycle_ext.analysis.baseline import BASELINE_QUANTILES, cdf, profile
from lifecycle_ext.analysis.drift import (
    KS_TOLERANCE,
    PSI_EPSILON,
    batch_sketch,
    compare,
    ks_sample,
    ks_sketches,
    psi,
    sketch_psi,
)
from tests.support.monitor_data import frame

AT = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "make",
    [
        lambda r, n, s: r.normal(s, 1, n),
        lambda r, n, s: r.lognormal(s, 1, n),
        lambda r, n, s: r.integers(0, 6, n) + (r.random(n) < s),  # heavy ties
        lambda r, n, s: np.round(r.exponential(1 + s, n), 1),  # rounded: ties and a skew
    ],
)
@pytest.mark.parametrize("shift", [0.0, 0.05, 0.5])
def test_ks_matches_scipy_within_tolerance(make, shift):
    rng = np.random.default_rng(7)
    ref, cur = make(rng, 30_000, 0.0), make(rng, 8_000, shift)
    prof = profile(pd.DataFrame({"x": ref}))["columns"]["x"]
    assert len(prof["quantiles"]) == BASELINE_QUANTILES
    ours = ks_sample(prof["quantiles"], np.sort(cur))
    exact = ks_2samp(ref, cur).statistic
    assert abs(ours - exact) <= KS_TOLERANCE, (ours, exact)


def test_ks_of_two_sketches_is_close_to_scipy():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 20_000), rng.normal(0.3, 1.2, 20_000)
    qa = profile(pd.DataFrame({"x": a}))["columns"]["x"]["quantiles"]
    qb = profile(pd.DataFrame({"x": b}))["columns"]["x"]["quantiles"]
    assert abs(ks_sketches(qa, qb) - ks_2samp(a, b).statistic) <= 2 * KS_TOLERANCE


def test_sketch_cdf_handles_point_masses():
    values = np.array([1.0] * 50 + [2.0] * 30 + [3.0] * 20)
    q = profile(pd.DataFrame({"x": values}))["columns"]["x"]["quantiles"]
    right = cdf(q, np.array([0.5, 1.0, 2.0, 3.0, 4.0]))
    left = cdf(q, np.array([1.0, 2.0, 3.0]), left=True)
    assert right[0] == 0 and right[-1] == 1 and right[-2] == 1
    tol = 1e-3 + 1 / len(values)  # one sketch step plus 1/N (quantiles interpolate ranks)
    assert abs(right[1] - 0.5) < tol and abs(right[2] - 0.8) < tol
    assert left[0] == 0 and abs(left[1] - 0.5) < tol and abs(left[2] - 0.8) < tol


def test_psi_values_and_epsilon():
    assert psi([50, 50], [50, 50]) == 0
    expected = (0.6 - 0.5) * np.log(0.6 / 0.5) + (0.4 - 0.5) * np.log(0.4 / 0.5)
    assert psi([5, 5], [6, 4]) == pytest.approx(expected)
    # an empty bin is floored at epsilon instead of giving infinity
    floored = (1 - PSI_EPSILON) * np.log(1 / PSI_EPSILON) + (PSI_EPSILON - 1) * np.log(PSI_EPSILON)
    assert psi([10, 0], [0, 10]) == pytest.approx(floored)
    assert np.isnan(psi([0, 0], [1, 1]))


def test_undrifted_batch_has_psi_near_zero_and_shifted_batch_is_large():
    base = profile(frame(40_000, seed=1), time_column="event_time")
    same = compare(base, frame(10_000, seed=2), at=AT)
    moved = compare(base, frame(10_000, seed=3, shift=1.0), at=AT)
    for col in ("income", "age", "tenure", "plan", "active"):
        assert same["features"][col]["psi"] < 0.01, col
        assert moved["features"][col]["psi"] > 0.1, col
    assert same["schema"] == []
    assert "psi" not in same["features"]["event_time"]  # the time column is not a drift feature


def test_profile_contents():
    df = frame(5_000, seed=4)
    p = profile(df)
    inc, ten, plan = p["columns"]["income"], p["columns"]["tenure"], p["columns"]["plan"]
    assert p["rows"] == 5_000 and inc["kind"] == "numeric" and inc["dtype"] == "float64"
    assert sum(inc["counts"]) == 5_000 and len(inc["counts"]) == len(inc["edges"]) + 1 == 10
    assert ten["nulls"] == int(df["tenure"].isna().sum()) > 0 and ten["count"] + ten["nulls"] == 5_000
    assert inc["quantiles"][0] == inc["min"] and inc["quantiles"][-1] == inc["max"]
    assert plan["kind"] == "categorical" and set(plan["values"]) == {"basic", "plus", "pro"}
    assert p["columns"]["active"]["values"] in (["True", "False"], ["False", "True"])
    assert p["columns"]["event_time"]["kind"] == "datetime"
    many = profile(pd.DataFrame({"c": [f"v{i % 150}" for i in range(1500)]}))["columns"]["c"]
    assert len(many["values"]) == 100 and many["other"] == 500 and many["distinct"] == 150


def test_unseen_categories_fall_in_the_other_bin():
    base = profile(pd.DataFrame({"c": ["a"] * 500 + ["b"] * 500}))
    rep = compare(base, pd.DataFrame({"c": ["a"] * 400 + ["zzz"] * 100}), at=AT)
    assert rep["features"]["c"]["psi"] > 0.25 and rep["features"]["c"]["unseen"] == ["zzz"]


def test_schema_problems():
    base = profile(frame(2_000, seed=5))
    batch = frame(1_000, seed=6).drop(columns=["plan"]).assign(extra=1, age=lambda d: d.age.astype("float64"))
    rep = compare(base, batch, at=AT)
    problems = {(p["problem"], p["column"]) for p in rep["schema"]}
    assert problems == {("missing", "plan"), ("extra", "extra"), ("dtype", "age")}
    kind_change = compare(base, frame(1_000, seed=6).assign(income="x"), at=AT)
    assert "psi" not in kind_change["features"]["income"]


def test_null_rate_change():
    base = profile(frame(5_000, seed=8))
    batch = frame(2_000, seed=9)
    batch.loc[batch.index[:1_000], "income"] = np.nan
    f = compare(base, batch, at=AT)["features"]["income"]
    assert f["null_rate"] == 0.5 and f["baseline_null_rate"] == 0 and f["null_rate_change"] == 0.5


def test_latency_errors_freshness_predictions():
    base = profile(frame(2_000, seed=10), time_column="event_time")
    base_pred = compare({"columns": {}, "time_column": None}, pd.DataFrame(), at=AT)  # empty is fine
    assert base_pred["features"] == {}
    lat = np.arange(1, 1001, dtype=float)
    from lifecycle_ext.analysis.drift import prediction_profile

    rng = np.random.default_rng(1)
    pref = prediction_profile(rng.beta(5, 2, 5_000))
    rep = compare(
        base,
        frame(1_000, seed=11),
        at=AT,
        latency_ms=lat,
        errors=25,
        predictions=np.c_[1 - (u := rng.uniform(0.4, 0.6, 1_000)), u],
        prediction_baseline=pref,
    )
    assert rep["latency"]["p95"] == pytest.approx(np.percentile(lat, 95))
    assert rep["latency"]["p50"] == pytest.approx(500.5)
    assert rep["errors"] == {"count": 25, "requests": 1000, "rate": 0.025}
    assert rep["freshness"]["age_hours"] == pytest.approx(
        (pd.Timestamp(AT) - frame(1_000, seed=11)["event_time"].max()).total_seconds() / 3600, rel=1e-5
    )
    assert rep["predictions"]["psi"] > 0.1 and rep["predictions"]["confidence_shift"] > 0.0
    flags = compare(base, frame(4, seed=1), at=AT, errors=[True, False, False, False])["errors"]
    assert flags == {"count": 1, "requests": 4, "rate": 0.25}
    with pytest.raises(ValueError, match="between 0 and"):
        compare(base, frame(4, seed=1), at=AT, errors=9)
    with pytest.raises(ValueError, match="0/1"):
        compare(base, frame(4, seed=1), at=AT, errors=[2, 0, 0, 0])


def test_sketch_psi_approximates_exact_psi():
    base = profile(frame(20_000, seed=12))
    for shift in (0.0, 0.5):
        batch = frame(20_000, seed=13, shift=shift)
        exact = compare(base, batch, at=AT)["features"]
        sk = batch_sketch(batch)
        for col in ("income", "tenure", "plan"):
            approx = sketch_psi(base["columns"][col], sk["columns"][col])
            assert approx == pytest.approx(exact[col]["psi"], abs=0.01 + 0.1 * exact[col]["psi"]), col


def test_sketch_from_compare_equals_batch_sketch():
    base = profile(frame(3_000, seed=1))
    batch = frame(2_000, seed=2).drop(columns=["plan"]).assign(extra=3, age=lambda d: d.age.astype(float))
    sk: dict = {}
    compare(base, batch, at=AT, sketch=sk)
    ref = batch_sketch(batch)
    ref["time_column"] = None
    assert sk == ref
