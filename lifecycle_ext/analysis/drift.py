"""Drift of a production batch against a stored baseline: PSI, KS, schema, predictions, latency, errors, freshness.

PSI (population stability index) is ``sum_i (c_i - r_i) * ln(c_i / r_i)`` over bins, where ``r_i``/``c_i``
are the baseline's and the batch's proportions of non-missing values in bin i. Numeric bins come from the
baseline's deciles (its exact histogram is stored); categorical bins are the baseline's kept categories plus one
"other" bin for every other value (including values never seen in the baseline). Empty bins would make PSI
infinite, so proportions are floored at ``PSI_EPSILON`` = 1e-4 before the sum (the usual epsilon smoothing; it
caps a single empty bin's contribution at about 0.1 * ln(1000) ~ 0.7). Missing values are not a bin: their rate
is reported separately (``null_rate`` and ``null_rate_change``).

KS is the two-sample Kolmogorov-Smirnov statistic ``sup_x |F_baseline(x) - F_batch(x)|``. The batch side is the
exact empirical CDF; the baseline side is the CDF described by its stored quantile sketch (``baseline.cdf``:
linear between the 1001 stored quantiles, jumps at repeated values). The supremum of that difference is
evaluated exactly (at every batch value and every sketch value, both one-sided limits), so the only error is the
sketch's: at most one sketch step (1/1000) plus 1/N for a baseline of N rows. Tests check it against
``scipy.stats.ks_2samp`` on the same data within ``KS_TOLERANCE`` = 2e-3.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from .baseline import (
    SKETCH_QUANTILES,
    bin_counts,
    categorical_from_counts,
    category_counts,
    cdf,
    cdf_both,
    column_profile,
    kind_of,
    numeric_from_sorted,
    numeric_values,
)

__all__ = ["psi", "ks_sample", "ks_sketches", "compare", "sketch_psi", "PSI_EPSILON", "KS_TOLERANCE", "findings_input"]

PSI_EPSILON = 1e-4
KS_TOLERANCE = 2e-3


def psi(ref_counts: Any, cur_counts: Any, eps: float = PSI_EPSILON) -> float:
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    if r.sum() <= 0 or c.sum() <= 0:
        return float("nan")
    rp = np.maximum(r / r.sum(), eps)
    cp = np.maximum(c / c.sum(), eps)
    return float(np.sum((cp - rp) * np.log(cp / rp)))


def ks_sample(quantiles: Any, sorted_values: np.ndarray) -> float:
    """KS statistic between a quantile sketch and a sample given sorted (see the module docstring)."""
    s = sorted_values
    n = len(s)
    if n == 0 or len(quantiles) == 0:
        return float("nan")
    # the batch's ECDF at each distinct batch value: left limit = first index / n, value = next first index / n
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    u = s[starts]
    fb_l = starts / n
    fb_r = np.concatenate((starts[1:], [n])) / n
    fr_r, fr_l = cdf_both(quantiles, u)
    d = max(np.abs(fr_r - fb_r).max(), np.abs(fr_l - fb_l).max())
    # and at each distinct sketch value
    uq = np.unique(np.asarray(quantiles, dtype=np.float64))
    qr, ql = cdf_both(quantiles, uq)
    d_q = max(
        np.abs(qr - np.searchsorted(s, uq, side="right") / n).max(),
        np.abs(ql - np.searchsorted(s, uq, side="left") / n).max(),
    )
    return float(max(d, d_q))


def ks_sketches(q1: Any, q2: Any) -> float:
    """KS statistic between two quantile sketches (both approximate)."""
    if len(q1) == 0 or len(q2) == 0:
        return float("nan")
    pts = np.unique(np.concatenate((np.asarray(q1, float), np.asarray(q2, float))))
    return float(
        max(np.abs(cdf(q1, pts) - cdf(q2, pts)).max(), np.abs(cdf(q1, pts, left=True) - cdf(q2, pts, left=True)).max())
    )


def _categorical_bins(ref: dict[str, Any], values: list[str], counts: list[int]) -> tuple[list[int], list[int]]:
    index = {v: i for i, v in enumerate(ref["values"])}
    cur = [0] * (len(index) + 1)
    for v, c in zip(values, counts):
        cur[index.get(v, len(index))] += c
    return list(ref["counts"]) + [ref.get("other", 0)], cur


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def _numeric_drift(ref: dict[str, Any], series: Any, sketch: dict[str, Any] | None = None) -> dict[str, Any]:
    values = numeric_values(series)
    s = np.sort(values, kind="quicksort")
    if sketch is not None:  # the batch's own compact profile, from the same sorted values
        sketch.update(
            kind="numeric",
            dtype=str(series.dtype),
            **numeric_from_sorted(s, int(len(series) - len(s)), SKETCH_QUANTILES, histogram=False),
        )
    out: dict[str, Any] = {"count": int(len(s)), "nulls": int(len(series) - len(s))}
    if len(s) and ref.get("counts"):
        out["psi"] = psi(ref["counts"], bin_counts(s, np.asarray(ref["edges"], dtype=np.float64)))
        out["ks"] = ks_sample(ref["quantiles"], s)
        out["mean"] = float(s.mean())
        out["baseline_mean"] = ref.get("mean")
    return out


def _categorical_drift(ref: dict[str, Any], series: Any, sketch: dict[str, Any] | None = None) -> dict[str, Any]:
    values, counts, nulls = category_counts(series)
    if sketch is not None:
        sketch.update(kind="categorical", dtype=str(series.dtype), **categorical_from_counts(values, counts, nulls))
    out: dict[str, Any] = {"count": int(sum(counts)), "nulls": nulls}
    if sum(counts) and (ref.get("counts") or ref.get("other")):
        r, c = _categorical_bins(ref, values, counts)
        out["psi"] = psi(r, c)
        known = set(ref["values"])
        unseen = [v for v in values if v not in known]
        if unseen and not ref.get("other"):
            out["unseen"] = unseen[:10]
    return out


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """Round floats for compact, JSON-safe storage (NaN becomes None)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, float):
            v = None if not np.isfinite(v) else float(f"{v:.6g}")
        out[k] = v
    return out


def _features(
    baseline: dict[str, Any], df: Any, time_column: str | None, sketch: dict[str, Any] | None
) -> tuple[dict[str, Any], list[Any]]:
    feats: dict[str, Any] = {}
    schema: list[dict[str, Any]] = []
    base_cols = baseline["columns"]
    names = [str(c) for c in df.columns]
    for col in base_cols:
        if col not in names:
            schema.append({"problem": "missing", "column": col, "expected": base_cols[col]["dtype"], "found": None})
    for col in names:
        if col not in base_cols:
            schema.append({"problem": "extra", "column": col, "expected": None, "found": str(df[col].dtype)})
    for col, ref in base_cols.items():
        if col not in names:
            continue
        series = df[col]
        kind = kind_of(series)
        if str(series.dtype) != ref["dtype"]:
            schema.append({"problem": "dtype", "column": col, "expected": ref["dtype"], "found": str(series.dtype)})
        sk: dict[str, Any] | None = {} if sketch is not None else None
        if sketch is not None:
            sketch[col] = sk
        if kind != ref["kind"] or col == time_column:
            feats[col] = {"kind": kind}
            if sketch is not None:
                sketch[col] = column_profile(series, n_quantiles=SKETCH_QUANTILES, histogram=False)
            continue
        if kind == "numeric":
            f = _numeric_drift(ref, series, sk)
        elif kind == "categorical":
            f = _categorical_drift(ref, series, sk)
        else:
            if sketch is not None:
                sketch[col] = column_profile(series, n_quantiles=SKETCH_QUANTILES, histogram=False)
            f = {"count": int(series.notna().sum()), "nulls": int(series.isna().sum())}
        rows_ref = ref["count"] + ref["nulls"]
        f["kind"] = kind
        f["null_rate"] = _rate(f["nulls"], len(series))
        f["baseline_null_rate"] = _rate(ref["nulls"], rows_ref)
        if f["null_rate"] is not None and f["baseline_null_rate"] is not None:
            f["null_rate_change"] = abs(f["null_rate"] - f["baseline_null_rate"])
        feats[col] = _clean(f)
    return feats, schema


def _confidence(predictions: Any) -> Any:
    import pandas as pd

    arr = np.asarray(predictions)
    if arr.ndim == 2 and arr.dtype.kind in "iuf":
        return pd.Series(arr.max(axis=1))
    if arr.ndim != 1:
        raise ValueError(
            f"predictions must be 1-D (scores or labels) or 2-D (class probabilities); got shape {arr.shape}"
        )
    return pd.Series(arr)


def prediction_profile(predictions: Any) -> dict[str, Any]:
    return column_profile(_confidence(predictions))


def _predictions(ref: dict[str, Any] | None, predictions: Any) -> dict[str, Any]:
    s = _confidence(predictions)
    if ref is None:
        return {"count": int(s.notna().sum()), "baseline": None}
    kind = kind_of(s)
    if kind != ref["kind"]:
        return {"count": int(s.notna().sum()), "problem": f"predictions are {kind}, baseline is {ref['kind']}"}
    if kind == "numeric":
        f = _numeric_drift(ref, s)
        if "mean" in f and f.get("baseline_mean") is not None:
            f["confidence_shift"] = abs(f["mean"] - f["baseline_mean"])
    else:
        f = _categorical_drift(ref, s)
    return _clean(f)


def _latency(latency_ms: Any) -> dict[str, Any]:
    lat = np.asarray(latency_ms, dtype=np.float64).ravel()
    lat = lat[np.isfinite(lat)]
    if not len(lat):
        raise ValueError("latency_ms has no finite values")
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    return _clean(
        {"count": int(len(lat)), "p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(lat.mean())}
    )


def _errors(errors: Any, requests: int) -> dict[str, Any]:
    if isinstance(errors, (bool, np.bool_)) or not np.isscalar(errors):
        arr = np.asarray(errors, dtype=np.float64).ravel()
        if not len(arr) or not np.isin(arr, (0.0, 1.0)).all():
            raise ValueError("errors must be a count or one 0/1 (False/True) flag per request")
        return {"count": int(arr.sum()), "requests": int(len(arr)), "rate": float(arr.mean())}
    scalar: Any = errors  # a count (per-request flags were handled above)
    count = int(scalar)
    if count < 0 or count > max(requests, 0):
        raise ValueError(f"errors={count} must be between 0 and the number of requests ({requests})")
    return {"count": count, "requests": requests, "rate": count / requests if requests else 0.0}


def _freshness(df: Any, column: str, at: datetime) -> dict[str, Any]:
    import pandas as pd

    if column not in df.columns:
        return {"column": column, "latest": None, "age_hours": None, "problem": "time column missing"}
    ts = pd.to_datetime(df[column], utc=True, errors="coerce").dropna()
    if not len(ts):
        return {"column": column, "latest": None, "age_hours": None, "problem": "no timestamps"}
    latest = ts.max().to_pydatetime()
    at_utc = at if at.tzinfo else at.replace(tzinfo=UTC)
    return _clean(
        {"column": column, "latest": latest.isoformat(), "age_hours": (at_utc - latest).total_seconds() / 3600.0}
    )


def compare(
    baseline: dict[str, Any],
    df: Any,
    *,
    at: datetime,
    predictions: Any = None,
    prediction_baseline: dict[str, Any] | None = None,
    latency_ms: Any = None,
    errors: Any = None,
    time_column: str | None = None,
    sketch: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The monitoring evidence for one batch (JSON-able; floats rounded to 6 significant digits).

    Given a dict as ``sketch``, also fills it with the batch's compact profile (as :func:`batch_sketch`),
    reusing the sorted values and category counts computed for drift.
    """
    tcol = time_column or baseline.get("time_column")
    cols: dict[str, Any] | None = {} if sketch is not None else None
    feats, schema = _features(baseline, df, tcol, cols)
    if sketch is not None and cols is not None:
        for c in df.columns:
            if str(c) not in cols:
                cols[str(c)] = column_profile(df[c], n_quantiles=SKETCH_QUANTILES, histogram=False)
        sketch.update(format=1, rows=int(len(df)), time_column=tcol, columns={str(c): cols[str(c)] for c in df.columns})
    report: dict[str, Any] = {"rows": int(len(df)), "features": feats, "schema": schema}
    if predictions is not None:
        report["predictions"] = _predictions(prediction_baseline, predictions)
    if latency_ms is not None:
        report["latency"] = _latency(latency_ms)
    if errors is not None:
        requests = int(len(np.asarray(latency_ms).ravel())) if latency_ms is not None else int(len(df))
        report["errors"] = _clean(_errors(errors, requests))
    if tcol:
        report["freshness"] = _freshness(df, tcol, at)
    return report


def findings_input(report: dict[str, Any]) -> list[tuple[str, str | None, float]]:
    """(metric, feature, value) triples of a report, for the policy's warn/alert levels."""
    out: list[tuple[str, str | None, float]] = []
    for col, f in report["features"].items():
        for m in ("psi", "ks", "null_rate_change"):
            if f.get(m) is not None:
                out.append((m, col, f[m]))
    p = report.get("predictions") or {}
    if p.get("psi") is not None:
        out.append(("confidence_psi", None, p["psi"]))
    if p.get("confidence_shift") is not None:
        out.append(("confidence_shift", None, p["confidence_shift"]))
    lat = report.get("latency") or {}
    for q in ("p50", "p95", "p99"):
        if lat.get(q) is not None:
            out.append((f"latency_{q}_ms", None, lat[q]))
    err = report.get("errors") or {}
    if err.get("rate") is not None:
        out.append(("error_rate", None, err["rate"]))
    fr = report.get("freshness") or {}
    if fr.get("age_hours") is not None:
        out.append(("freshness_hours", None, fr["age_hours"]))
    return out


def sketch_psi(ref: dict[str, Any], cur: dict[str, Any]) -> float | None:
    """PSI between a baseline column profile and a (sketch) column profile of the same kind.

    Numeric: the current side's bin proportions come from its quantile sketch's CDF at the baseline's edges.
    """
    if ref.get("kind") != cur.get("kind"):
        return None
    if ref["kind"] == "numeric":
        if not ref.get("counts") or not cur.get("quantiles"):
            return None
        edges = np.asarray(ref["edges"], dtype=np.float64)
        cum = np.concatenate(([0.0], cdf(cur["quantiles"], edges, left=True), [1.0]))
        return _finite(psi(ref["counts"], np.maximum(np.diff(cum), 0.0)))
    if ref["kind"] == "categorical":
        r, c = _categorical_bins(ref, cur.get("values", []), cur.get("counts", []))
        c[-1] += cur.get("other", 0)
        return _finite(psi(r, c))
    return None


def _finite(x: float) -> float | None:
    return float(f"{x:.6g}") if np.isfinite(x) else None


def batch_sketch(df: Any) -> dict[str, Any]:
    """A compact profile of a monitored batch (201 quantiles, no histogram), kept for gates and trends."""
    from .baseline import profile

    return profile(df, n_quantiles=SKETCH_QUANTILES, histogram=False)
