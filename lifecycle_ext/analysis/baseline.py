"""Statistical baselines ("profiles") of tabular data: computed once at save time, compared at monitor time.

A profile is plain JSON::

    {"format": 1, "rows": N, "time_column": "ts" | None,
     "columns": {name: column profile, ...}}

Column profiles by kind:

- ``numeric`` (ints, floats, nullable ints): ``count`` (finite values), ``nulls`` (missing or non-finite),
  ``min``/``max``/``mean``/``std``, ``quantiles`` (the values at ``n_quantiles`` evenly spaced probabilities
  0, 1/(n-1), ..., 1 -- numpy's linear interpolation), and a histogram: ``edges`` (the inner bin edges, the
  distinct deciles) with exact ``counts`` per bin (``len(edges) + 1`` bins, bin i holds ``edges[i-1] <= x <
  edges[i]``). The histogram feeds PSI, the quantiles feed the KS statistic.
- ``categorical`` (strings, categories, objects, bools): the ``TOP_K`` most frequent ``values`` (as strings)
  with their ``counts``; ``other`` counts every remaining value, ``distinct`` the number of distinct values.
- ``datetime``: ``count``, ``nulls``, ``min``/``max`` as ISO text (used for freshness, not for drift).
- ``other``: only dtype and nulls.

Every profile carries ``dtype`` (the pandas dtype as text) and ``kind``. Profiles never hold rows, so
monitoring needs no access to the training data. numpy/pandas are imported by the callers' modules only.

Wide tables: the quantiles of all columns together stay within :data:`QUANTILE_BUDGET` numbers (each column
gets ``QUANTILE_BUDGET // columns`` of them, at least :data:`MIN_QUANTILES`), so a 2-D array of 2,048 float
columns gets a baseline of a few percent of its size instead of more than the array itself; the KS statistic
from m quantiles is within about 1/m of the exact one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "profile",
    "column_profile",
    "as_frame",
    "cdf",
    "cdf_both",
    "BASELINE_QUANTILES",
    "SKETCH_QUANTILES",
    "TOP_K",
    "PROFILE_FORMAT",
    "QUANTILE_BUDGET",
    "quantiles_per_column",
]

PROFILE_FORMAT = 1
BASELINE_QUANTILES = 1001  # KS from 1001 quantiles is within ~1e-3 of the exact statistic (see drift.py)
SKETCH_QUANTILES = 201  # compact sketches of monitored batches (used by the drift gate and trends)
TOP_K = 100  # categories kept by name; the rest are counted as "other"
# Above this, quantiles come from a fixed-seed sample of rows (adds ~1.5e-3 to the KS error, below the 1e-3..3e-2
# resolution of the quantile sketch itself; sorting 2M values per column made the profile dominate a save).
SAMPLE_ROWS = 500_000
CATEGORY_SAMPLE_ROWS = 200_000  # above this, text-column frequencies come from a fixed-seed sample
QUANTILE_BUDGET = 65_536  # quantiles of all columns of one profile together (65 columns get the full 1001)
MIN_QUANTILES = 33
_DECILES = np.linspace(0.1, 0.9, 9)


def quantiles_per_column(columns: int, n_quantiles: int = BASELINE_QUANTILES) -> int:
    """How many quantiles each of ``columns`` columns keeps (see :data:`QUANTILE_BUDGET`)."""
    return max(min(n_quantiles, MIN_QUANTILES), min(n_quantiles, QUANTILE_BUDGET // max(columns, 1)))


def as_frame(obj: Any) -> Any:
    """A pandas DataFrame for a DataFrame, Series, dict of columns or 2-D array; None if not tabular."""
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return obj
    if isinstance(obj, pd.Series):
        return obj.to_frame(name=str(obj.name) if obj.name is not None else "value")
    if isinstance(obj, dict) and obj and all(isinstance(k, str) for k in obj):
        try:
            return pd.DataFrame(obj)
        except (ValueError, TypeError):
            return None
    if isinstance(obj, np.ndarray) and obj.ndim in (1, 2) and obj.dtype.kind in "biufcUSOMm":
        arr = obj.reshape(len(obj), -1)
        return pd.DataFrame(arr, columns=[str(i) for i in range(arr.shape[1])])
    return None


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() and abs(x) < 2**53 else float(x)


def kind_of(series: Any) -> str:
    import pandas as pd

    dt = series.dtype
    if pd.api.types.is_bool_dtype(dt):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_complex_dtype(dt):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dt):
        return "datetime"
    if isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dt) or pd.api.types.is_object_dtype(dt):
        return "categorical"
    return "other"


def numeric_values(series: Any) -> np.ndarray:
    """Finite float64 values of a numeric column (missing and non-finite values dropped)."""
    arr = (
        series.to_numpy(dtype=np.float64, na_value=np.nan)
        if hasattr(series, "to_numpy")
        else np.asarray(series, dtype=np.float64)
    )
    finite: np.ndarray = arr[np.isfinite(arr)]
    return finite


def quantiles_sorted(sorted_values: np.ndarray, n: int) -> np.ndarray:
    """numpy's linear-interpolation quantiles at n evenly spaced probabilities, from already sorted values."""
    m = len(sorted_values)
    pos = np.linspace(0.0, m - 1, n)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, m - 1)
    frac = pos - lo
    with np.errstate(over="ignore", invalid="ignore"):
        q = sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac
    # values near the float64 limits can overflow the interpolation: fall back to the lower order statistic
    return np.where(np.isfinite(q), q, sorted_values[lo])


def bin_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin (``edges[i-1] <= x < edges[i]``, open ends) from sorted values."""
    cuts = np.searchsorted(sorted_values, edges, side="left")
    return np.diff(np.concatenate(([0], cuts, [len(sorted_values)])))


def _plain_numbers(series: Any) -> np.ndarray | None:
    """The column's values as a numpy array without a copy, when it is a plain numpy int/uint/float column."""
    dt = getattr(series, "dtype", None)
    if not isinstance(dt, np.dtype) or dt.kind not in "iuf":
        return None
    arr = series.to_numpy() if hasattr(series, "to_numpy") else np.asarray(series)
    return arr if isinstance(arr, np.ndarray) and arr.dtype == dt else None


def _numeric(series: Any, n_quantiles: int, histogram: bool) -> dict[str, Any]:
    if len(series) > SAMPLE_ROWS:
        plain = _plain_numbers(series)
        if plain is not None:
            return _numeric_sampled(plain, n_quantiles, histogram)
    values = numeric_values(series)
    nulls = int(len(series) - len(values))
    if len(values) <= SAMPLE_ROWS:
        return numeric_from_sorted(np.sort(values, kind="quicksort"), nulls, n_quantiles, histogram)
    # Large columns: the distribution (quantiles, bin edges and proportions, mean, std) comes from a fixed-seed
    # uniform sample (sorting and scanning 10M values per column would dominate the save); the count and the
    # extremes stay exact, and the bin counts are the sample's scaled to the column.
    sample = np.sort(values[np.random.default_rng(0).integers(0, len(values), SAMPLE_ROWS)], kind="quicksort")
    return _scaled(numeric_from_sorted(sample, nulls, n_quantiles, histogram), len(values), values.min(), values.max())


def _numeric_sampled(arr: np.ndarray, n_quantiles: int, histogram: bool) -> dict[str, Any]:
    """:func:`_numeric` of a long plain numpy column without copying it: exact count, nulls (non-finite values)
    and extremes from vectorised reductions over the column, the distribution from a fixed-seed sample of rows
    (non-finite values dropped from the sample: a uniform sample of the finite ones)."""
    sample = arr[np.random.default_rng(0).integers(0, len(arr), SAMPLE_ROWS)].astype(np.float64)
    if arr.dtype.kind == "f":
        finite_mask = np.isfinite(arr)
        count = int(np.count_nonzero(finite_mask))
        if count == len(arr):
            lo, hi = arr.min(), arr.max()
        elif count:
            kept = arr[finite_mask]
            lo, hi = kept.min(), kept.max()
        else:
            lo = hi = np.float64("nan")
        sample = sample[np.isfinite(sample)]
        if not len(sample) and count:  # almost every value non-finite: the sample missed the few finite ones
            kept = arr[finite_mask]
            sample = kept[np.random.default_rng(0).integers(0, count, SAMPLE_ROWS)].astype(np.float64)
    else:
        count, lo, hi = len(arr), arr.min(), arr.max()
    out = numeric_from_sorted(np.sort(sample, kind="quicksort"), len(arr) - count, n_quantiles, histogram)
    if not count:
        return out
    return _scaled(out, count, float(lo), float(hi))


def _scaled(out: dict[str, Any], count: int, lo: Any, hi: Any) -> dict[str, Any]:
    """A sample's profile as the column's: exact count and extremes, bin counts scaled to the column."""
    sampled = out["count"]
    out.update(count=int(count), min=_num(lo), max=_num(hi), sampled=SAMPLE_ROWS)
    out["quantiles"][0], out["quantiles"][-1] = float(lo), float(hi)
    if "counts" in out and out["counts"]:
        scaled = [round(c * count / max(sampled, 1)) for c in out["counts"]]
        scaled[int(np.argmax(scaled))] += count - sum(scaled)  # rounding: counts still sum to the rows
        out["counts"] = scaled
    return out


def numeric_from_sorted(s: np.ndarray, nulls: int, n_quantiles: int, histogram: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"count": int(len(s)), "nulls": nulls}
    if not len(s):
        out.update(quantiles=[], edges=[], counts=[])
        return out
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = float(s.mean()), float(s.std())
    out.update(min=_num(s[0]), max=_num(s[-1]), mean=finite(mean), std=finite(std))
    out["quantiles"] = [float(v) for v in quantiles_sorted(s, n_quantiles)]
    if histogram:
        edges = np.unique(quantiles_sorted(s, 11)[1:-1])
        out["edges"] = [float(v) for v in edges]
        out["counts"] = [int(c) for c in bin_counts(s, edges)]
    return out


def category_counts(series: Any) -> tuple[list[str], list[int], int]:
    """(values as text, counts) by descending count, and the number of missing values."""
    import pandas as pd

    s = series
    if isinstance(s.dtype, pd.CategoricalDtype):  # count the integer codes: one vectorised pass, no hashing
        codes = np.asarray(s.cat.codes.to_numpy(), dtype=np.int64)
        counts = np.bincount(codes[codes >= 0], minlength=len(s.cat.categories))
        order = np.argsort(-counts, kind="stable")
        order = order[counts[order] > 0]
        cats = s.cat.categories
        return [str(cats[i]) for i in order], [int(counts[i]) for i in order], int(np.count_nonzero(codes < 0))
    nulls = int(s.isna().sum())
    vc = s.value_counts(sort=True, dropna=True)
    vc = vc[vc > 0]
    return [str(v) for v in vc.index], [int(c) for c in vc.to_numpy()], nulls


def _categorical(series: Any, top_k: int) -> dict[str, Any]:
    import pandas as pd

    n = len(series)
    text = isinstance(series.dtype, pd.StringDtype)
    if isinstance(series.dtype, pd.CategoricalDtype) or (n <= CATEGORY_SAMPLE_ROWS and not text):
        values, counts, nulls = category_counts(series)
        return categorical_from_counts(values, counts, nulls, top_k)
    nulls = int(series.isna().sum())
    if n <= CATEGORY_SAMPLE_ROWS:  # strings: exact counts, but only the top values leave the vectorised counts
        return _top_strings(series.value_counts(sort=True, dropna=True), n - nulls, nulls, top_k)
    # Long text columns: hashing every string dominates a save (seconds for 10M rows), so the frequencies come
    # from a fixed-seed uniform sample, scaled to the column; the missing count stays exact.
    sample = series.iloc[np.random.default_rng(0).integers(0, n, CATEGORY_SAMPLE_ROWS)]
    if not text:  # objects: distinct values may share a text form
        values, counts, _ = category_counts(sample)
        scale = (n - nulls) / max(sum(counts), 1)
        out = categorical_from_counts(values, [round(c * scale) for c in counts], nulls, top_k)
    else:  # strings: the top values straight from the sorted counts, without touching the long tail
        out = _top_strings(sample.value_counts(sort=True, dropna=True), n - nulls, nulls, top_k, exact_ties=False)
    out["sampled"] = CATEGORY_SAMPLE_ROWS
    return out


def _top_strings(vc: Any, count: int, nulls: int, top_k: int, exact_ties: bool = True) -> dict[str, Any]:
    """:func:`categorical_from_counts` of a string column's ``value_counts`` (of the column or of a sample of
    it, scaled to ``count`` values) without a Python loop over its long tail: the same ``top_k`` values (ties at
    the cut broken by the text, as there, when ``exact_ties``; a sample's ties are arbitrary anyway), counts
    and ``other``."""
    scale = count / max(int(vc.sum()), 1)
    if len(vc) > top_k and not exact_ties:
        pairs = [(str(v), int(c)) for v, c in vc.iloc[:top_k].items()]
    elif len(vc) > top_k:
        cut = int(vc.iloc[top_k - 1])
        above = vc[vc > cut]
        tied = vc[vc == cut].index.sort_values()[: top_k - len(above)]
        pairs = [(str(v), int(c)) for v, c in above.items()] + [(str(v), cut) for v in tied]
    else:
        pairs = [(str(v), int(c)) for v, c in vc.items()]
    top = sorted(((v, round(c * scale)) for v, c in pairs), key=lambda kv: (-kv[1], kv[0]))
    kept = sum(c for _, c in top)
    return {
        "count": count,
        "nulls": nulls,
        "values": [v for v, _ in top],
        "counts": [c for _, c in top],
        "other": count - kept,
        "distinct": int(len(vc)),
    }


def categorical_from_counts(values: list[str], counts: list[int], nulls: int, top_k: int = TOP_K) -> dict[str, Any]:
    merged: dict[str, int] = {}
    for v, c in zip(values, counts):  # distinct objects may share a text form ("1" and 1)
        merged[v] = merged.get(v, 0) + c
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    keep = ordered[:top_k]
    return {
        "count": int(sum(merged.values())),
        "nulls": nulls,
        "values": [k for k, _ in keep],
        "counts": [c for _, c in keep],
        "other": int(sum(c for _, c in ordered[top_k:])),
        "distinct": len(ordered),
    }


def _datetime(series: Any) -> dict[str, Any]:
    s = series.dropna()
    out: dict[str, Any] = {"count": int(len(s)), "nulls": int(len(series) - len(s))}
    if len(s):
        out.update(min=s.min().isoformat(), max=s.max().isoformat())
    return out


def column_profile(
    series: Any, *, n_quantiles: int = BASELINE_QUANTILES, histogram: bool = True, top_k: int = TOP_K
) -> dict[str, Any]:
    kind = kind_of(series)
    head = {"kind": kind, "dtype": str(series.dtype)}
    if kind == "numeric":
        return {**head, **_numeric(series, n_quantiles, histogram)}
    if kind == "categorical":
        return {**head, **_categorical(series, top_k)}
    if kind == "datetime":
        return {**head, **_datetime(series)}
    return {**head, "count": int(series.notna().sum()), "nulls": int(series.isna().sum())}


def profile(
    obj: Any,
    *,
    n_quantiles: int = BASELINE_QUANTILES,
    histogram: bool = True,
    time_column: str | None = None,
    reuse: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The profile of a table (see the module docstring). Raises ``TypeError`` for non-tabular objects.

    ``reuse`` maps column names to profiles already computed for the very same values (the parent version's,
    for columns whose stored chunks did not change): those are taken as they are."""
    df = as_frame(obj)
    if df is None:
        raise TypeError(f"cannot profile a {type(obj).__name__}; give a DataFrame, Series or dict of columns")
    columns = []
    for name in df.columns:
        col = df[name]
        if getattr(col, "ndim", 1) != 1:  # duplicate column names
            raise TypeError(f"column name {name!r} is duplicated")
        columns.append((str(name), col))

    n_quantiles = quantiles_per_column(len(columns), n_quantiles)
    known = reuse or {}

    def one(item: tuple[str, Any]) -> tuple[str, dict[str, Any]]:
        if item[0] in known:
            return item[0], known[item[0]]
        return item[0], column_profile(item[1], n_quantiles=n_quantiles, histogram=histogram)

    if len(df) * len(columns) > 1_000_000:  # sorting and counting release the GIL: profile columns in parallel
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(len(columns), 8)) as pool:
            cols = dict(pool.map(one, columns))
    else:
        cols = dict(map(one, columns))
    if time_column is not None and time_column not in cols:
        raise KeyError(f"time column {time_column!r} is not a column ({', '.join(list(cols)[:20])})")
    return {"format": PROFILE_FORMAT, "rows": int(len(df)), "time_column": time_column, "columns": cols}


def cdf(quantiles: Any, x: Any, *, left: bool = False) -> np.ndarray:
    """The distribution function a quantile sketch describes, evaluated at ``x``.

    The sketch holds the values ``q_j`` at probabilities ``p_j = j/(m-1)``. Between distinct sketch values the
    CDF is interpolated linearly from the last probability of the lower value to the first probability of the
    upper one; at a repeated value (a point mass) it jumps. ``left=True`` gives the left limit F(x-).
    """
    right_v, left_v = cdf_both(quantiles, x)
    return left_v if left else right_v


def cdf_both(quantiles: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
    """(F(x), F(x-)) of the sketch's distribution function (see :func:`cdf`), sharing the work."""
    q = np.asarray(quantiles, dtype=np.float64)
    m = len(q)
    p = np.linspace(0.0, 1.0, m)
    uq, first = np.unique(q, return_index=True)
    last = np.concatenate((first[1:] - 1, [m - 1]))
    # pad so that index -1 (below the minimum) and len(uq) (above the maximum) need no clipping
    xs = np.concatenate(([-np.inf], uq, [np.inf]))
    pf = np.concatenate(([0.0], p[first], [1.0]))
    pl = np.concatenate(([0.0], p[last], [1.0]))
    x = np.asarray(x, dtype=np.float64)
    k = np.searchsorted(xs, x, side="right") - 1  # largest padded point <= x (0 = below the minimum)
    k = np.minimum(k, len(xs) - 2)
    lo, hi = xs[k], xs[k + 1]
    exact = lo == x
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (x - lo) / (hi - lo)
    frac = np.where(np.isfinite(frac), frac, 0.0)
    between = pl[k] + (pf[k + 1] - pl[k]) * frac
    below = k == 0
    between = np.where(below, 0.0, between)
    right_v = np.where(exact, pl[k], between)
    left_v = np.where(exact, pf[k], between)
    above = x > uq[-1]
    return np.where(above, 1.0, right_v), np.where(above, 1.0, left_v)


def finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)
