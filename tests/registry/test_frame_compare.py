"""Cell comparison and key matching used by the dataset diff."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from lifecycle_ext.analysis.frame_compare import match_keys, neq
from lifecycle_ext.core.errors import UsageInputError


def test_floats_compare_like_pandas_nan_equal_nan_and_signed_zero_equal():
    quiet, other_nan = np.float64("nan"), np.frombuffer(np.uint64(0x7FF8000000000001).tobytes(), np.float64)[0]
    a = pa.array(np.array([1.0, quiet, 0.0, 2.0, quiet, 5.0]))
    b = pa.array(np.array([1.0, other_nan, -0.0, 3.0, 4.0, 5.0]))
    assert neq(a, b).tolist() == [False, False, False, True, True, False]


def test_integers_timestamps_nulls_and_strings():
    assert neq(pa.array([1, 2, 3], pa.int32()), pa.array([1, 5, 3], pa.int32())).tolist() == [False, True, False]
    t = pa.array(np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[ns]"))
    u = pa.array(np.array(["2024-01-01", "2025-01-02"], dtype="datetime64[ns]"))
    assert neq(t, u).tolist() == [False, True]
    assert neq(pa.array([1, None, None]), pa.array([1, None, 3])).tolist() == [False, False, True]
    assert neq(pa.array(["a", None, "c"]), pa.array(["a", None, "d"])).tolist() == [False, False, True]


def test_offset_slices_compare_their_own_rows():
    a = pa.array(np.arange(10, dtype=np.int64)).slice(3, 4)
    b = pa.array(np.array([3, 4, 0, 6], dtype=np.int64))
    assert neq(a, b).tolist() == [False, False, True, False]


def test_categoricals_with_equal_or_different_categories():
    a = pa.array(pd.Categorical(["x", "y", "x"], categories=["x", "y"]))
    b = pa.array(pd.Categorical(["x", "x", "x"], categories=["x", "y"]))
    c = pa.array(pd.Categorical(["x", "y", "z"], categories=["z", "y", "x"]))
    assert neq(a, b).tolist() == [False, True, False]
    assert neq(a, c).tolist() == [False, False, True]


def test_sorted_keys_are_merged_and_others_hashed_with_the_same_answer():
    ka = pa.array(np.array([1, 3, 5, 7, 9], dtype=np.int64))
    kb = pa.array(np.array([0, 3, 4, 7, 9, 11], dtype=np.int64))
    pos, merged = match_keys(ka, kb, "id")
    assert merged and pos.tolist() == [-1, 1, -1, 3, 4]
    shuffled = pa.array(np.array([9, 3, 11, 0, 7, 4], dtype=np.int64))
    pos2, merged2 = match_keys(ka, shuffled, "id")
    assert not merged2 and pos2.tolist() == [-1, 1, -1, 4, 0]
    same, _ = match_keys(ka, ka, "id")
    assert same.tolist() == [0, 1, 2, 3, 4]
    names, merged3 = match_keys(pa.array(["a", "c"]), pa.array(["a", "b", "c"]), "id")
    assert merged3 and names.tolist() == [0, 2]


def test_duplicate_keys_are_refused():
    with pytest.raises(UsageInputError, match="duplicate"):
        match_keys(pa.array([2, 1, 2]), pa.array([1, 2]), "id")
