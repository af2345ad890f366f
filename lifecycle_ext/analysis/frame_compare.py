"""Cell and row matching primitives for the dataset diff: which cells of two equally long columns differ, and
which rows of two key columns are the same rows.

- :func:`neq` compares fixed-width columns without nulls as raw machine words first (one pass, no NaN
  handling) and applies pandas' float semantics (NaN equals NaN, ``-0.0`` equals ``0.0``) to the few words
  that differ; anything else goes through Arrow's comparison kernels with nulls equal to nulls.
- :func:`match_keys` joins two key columns. Sorted unique keys (the usual row id) are matched by a linear
  merge of the two sorted sequences; any other keys through a hash index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import UsageInputError

__all__ = ["neq", "match_keys", "key_index"]

_WORDS = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _words(arr: Any) -> np.ndarray | None:
    """The values of a null-free fixed-width Arrow array as unsigned machine words (zero copy), or None."""
    import pyarrow as pa

    typ = arr.type
    if arr.null_count or not (pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_temporal(typ)):
        return None
    width = typ.bit_width // 8
    if width not in _WORDS:
        return None
    buf = arr.buffers()[1]
    return np.frombuffer(buf, dtype=_WORDS[width], count=len(arr) + arr.offset)[arr.offset :]


def neq(a: Any, b: Any) -> np.ndarray:
    """Positions where two equally long Arrow arrays differ (nulls equal nulls, NaN equals NaN)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(a.type) and pa.types.is_dictionary(b.type) and a.dictionary.equals(b.dictionary):
        a, b = a.indices, b.indices  # same categories: compare the codes
    if pa.types.is_dictionary(a.type):
        a = a.dictionary_decode()
    if pa.types.is_dictionary(b.type):
        b = b.dictionary_decode()
    if a.type == b.type:
        wa, wb = _words(a), _words(b)
        if wa is not None and wb is not None:
            diff = wa != wb
            if pa.types.is_floating(a.type):
                cand = np.flatnonzero(diff)
                if len(cand):
                    x, y = a.to_numpy()[cand], b.to_numpy()[cand]
                    diff[cand] = (x != y) & ~(np.isnan(x) & np.isnan(y))
            return np.asarray(diff, dtype=bool)
    try:
        eq = pc.equal(a, b)
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
        return np.ones(len(a), dtype=bool)
    same = pc.or_(eq.fill_null(False), pc.and_(pc.is_null(a), pc.is_null(b)))
    if pa.types.is_floating(a.type) and pa.types.is_floating(b.type):
        same = pc.or_(same, pc.and_(pc.is_nan(a).fill_null(False), pc.is_nan(b).fill_null(False)))
    return np.asarray(~same.to_numpy(zero_copy_only=False), dtype=bool)


def key_index(arr: Any) -> Any:
    """A key column as a ``pandas.Index``."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return pd.Index(arr.to_numpy(zero_copy_only=False), copy=False)


def match_keys(ka: Any, kb: Any, key: str) -> tuple[np.ndarray, bool]:
    """For every row of ``ka`` its position in ``kb`` (-1 when absent), and whether the merge path was used."""
    ia, ib = key_index(ka), key_index(kb)
    if ia.is_monotonic_increasing and ib.is_monotonic_increasing and ia.is_unique and ib.is_unique:
        _, _, pos = ia.join(ib, how="left", return_indexers=True)  # linear merge of two sorted sequences
        return (np.arange(len(ia)) if pos is None else np.asarray(pos, dtype=np.int64)), True
    if not ib.is_unique or not ia.is_unique:
        raise UsageInputError(f"key column {key!r} has duplicate values; a key must identify one row")
    return ib.get_indexer(ia), False
