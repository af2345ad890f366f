"""The dataset diff engine: cost proportional to the change, not to the dataset.

Both versions are cut into row blocks the size of one chunk of the key column. A block is *aligned* when it
holds the same number of rows in both versions and its key chunks have the same content ids: its rows are
then the same rows at the same positions, and any other column whose covering chunks also have equal ids is
unchanged there without reading a byte. Only columns whose chunks differ are read, for that block only, and
compared cell by cell (vectorised; no hashing needed since the rows already line up).

Blocks that are not aligned (rows appended, removed, re-keyed or reordered) are joined on the key through a
hash index of their keys only; matched rows are compared cell by cell, unmatched ones are added / removed.
A removal in the middle shifts every later row, so everything after it takes this slower path: the cost then
grows with the distance to the end of the table, and is still a fraction of a full merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.diff_types import column_changes, list_changes
from ..core.errors import UsageInputError
from ..storage.frame_access import FrameSource, chunk_ids, chunk_keys, read_rows, row_unit, to_pandas
from .frame_compare import key_index, match_keys, neq

__all__ = ["FrameDelta", "frame_delta", "column_dtypes", "apply_delta"]


@dataclass
class FrameDelta:
    """Everything that changed between two dataframe versions, enough to rebuild B from A."""

    key: str
    n_a: int
    n_b: int
    columns: dict[str, Any]  # core.diff_types.column_changes
    columns_b: list[str]  # B's data columns, in order
    added: Any  # DataFrame: B's rows whose key is not in A
    removed_keys: Any  # Series: A's keys not in B
    changed: dict[str, Any] = field(default_factory=dict)  # column -> DataFrame(key, old, new)
    full_columns: Any = None  # DataFrame(key + added/retyped columns) over all B rows
    order: Any = None  # B's key order, when it is not A's order + appended rows
    categories: dict[str, Any] = field(default_factory=dict)  # column -> {"added", "removed"}
    stats: dict[str, int] = field(default_factory=dict)


def _fields(src: FrameSource) -> dict[str, tuple[Any, dict[str, Any], dict[str, Any]]]:
    sch = src.schema
    meta = sch.pandas_metadata or {}
    index_cols = {c for c in meta.get("index_columns", []) if isinstance(c, str)}
    pmeta = {c.get("field_name"): c for c in meta.get("columns", [])}
    return {
        f.name: (f.type, lay, pmeta.get(f.name) or {})
        for f, lay in zip(sch, src.attrs["columns"])
        if f.name not in index_cols
    }


def _dtype(info: tuple[Any, dict[str, Any], dict[str, Any]]) -> str:
    typ, _, pm = info
    if pm.get("pandas_type") == "categorical":
        return "category"
    tz = (pm.get("metadata") or {}).get("timezone")
    base = pm.get("numpy_type") or str(typ)
    return f"{base[:-1]}, {tz}]" if tz and base.endswith("]") else base


def column_dtypes(src: FrameSource) -> dict[str, str]:
    return {name: _dtype(info) for name, info in _fields(src).items()}


def _same_type(a: FrameSource, b: FrameSource, fa: Any, fb: Any) -> bool:
    """Same stored type (so equal chunk ids mean equal values); categoricals also need equal categories."""
    import pyarrow as pa

    if fa[0] != fb[0] or _dtype(fa) != _dtype(fb):
        return False
    if not pa.types.is_dictionary(fa[0]):
        return True
    va, vb = fa[1]["dict_values"], fb[1]["dict_values"]
    ida = chunk_ids(a, fa[0].value_type, va, 0, va["length"])
    return (
        ida is not None and va["length"] == vb["length"] and ida == chunk_ids(b, fb[0].value_type, vb, 0, vb["length"])
    )


def _empty(src: FrameSource, info: Any) -> Any:
    """A column with no rows; a categorical keeps its categories."""
    import pyarrow as pa

    typ, lay, _ = info
    if pa.types.is_dictionary(typ):
        vals = lay["dict_values"]
        return pa.DictionaryArray.from_arrays(
            pa.array([], type=typ.index_type),
            read_rows(src, typ.value_type, vals, 0, vals["length"]),
            ordered=typ.ordered,
        )
    return pa.array([], type=typ)


def _read(src: FrameSource, info: Any, spans: list[tuple[int, int]]) -> Any:
    import pyarrow as pa

    typ, lay, _ = info
    parts = [read_rows(src, typ, lay, lo, hi) for lo, hi in spans if hi > lo]
    if not parts:
        return _empty(src, info)
    return parts[0] if len(parts) == 1 else pa.concat_arrays(parts)


def _spans(blocks: list[int], unit: int, n: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for j in blocks:
        lo, hi = j * unit, min((j + 1) * unit, n)
        if hi <= lo:
            continue
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


class _Values:
    """Arrow columns as the pandas values they were saved from: plain numbers straight to numpy, anything
    else through the pandas metadata of the schema."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.meta = {c.get("field_name"): c for c in (schema.pandas_metadata or {}).get("columns", [])}
        self.cats: dict[str, Any] = {}

    def __call__(self, name: str, arr: Any) -> Any:
        import pyarrow as pa

        t, m = arr.type, self.meta.get(name) or {}
        if (
            not arr.null_count
            and (pa.types.is_integer(t) or pa.types.is_floating(t))
            and not m.get("metadata")
            and m.get("numpy_type") == m.get("pandas_type") == np.dtype(t.to_pandas_dtype()).name
        ):
            return arr.to_numpy()
        if pa.types.is_dictionary(t) and not arr.null_count and m.get("pandas_type") == "categorical":
            import pandas as pd

            cats = self.cats.get(name)
            if cats is None or not cats[0].equals(arr.dictionary):
                cats = self.cats[name] = (arr.dictionary, pd.Index(arr.dictionary.to_pandas()))
            return pd.Categorical.from_codes(
                arr.indices.to_numpy(), categories=cats[1], ordered=t.ordered, validate=False
            )
        return to_pandas(self.schema, {name: arr})[name]


def _gather(src: FrameSource, info: Any, pos: np.ndarray, unit: int) -> Any:
    """Values of one column at ascending row positions, reading only the chunks that hold them."""
    import pyarrow as pa

    typ, lay, _ = info
    if not len(pos):
        return _empty(src, info)
    parts = []
    groups = np.split(pos, np.flatnonzero(np.diff(pos // unit)) + 1)
    for i, grp in enumerate(groups):
        if i + 1 < len(groups):
            src.prefetch(chunk_keys(src, typ, lay, int(groups[i + 1][0]), int(groups[i + 1][-1]) + 1))
        lo = int(grp[0])
        parts.append(read_rows(src, typ, lay, lo, int(grp[-1]) + 1).take(pa.array(grp - lo)))
    return parts[0] if len(parts) == 1 else pa.concat_arrays(parts)


def _compare_aligned(
    a: FrameSource,
    b: FrameSource,
    ia: Any,
    ib: Any,
    spans: list[tuple[int, int]],
    same: bool,
    unit: int,
    stats: dict[str, Any],
) -> list[tuple[np.ndarray, Any, Any]]:
    """Changed cells of one column over row spans that hold the same rows in both versions. The column is
    walked at the size of its own chunks: a chunk whose content id is equal in both is skipped unread, one
    that differs is compared in place (a zero-copy view of the stored chunk where the backend maps files)."""
    import pyarrow as pa

    step = row_unit(a, ia[0], ia[1]) if same else unit
    runs: list[tuple[int, int]] = []
    for lo, hi in spans:
        for s in range(lo - lo % step, hi, step):
            slo, shi = max(s, lo), min(s + step, hi)
            if same:
                ids = chunk_ids(a, ia[0], ia[1], slo, shi)
                if ids is not None and ids == chunk_ids(b, ib[0], ib[1], slo, shi):
                    stats["chunks_skipped"] += 1
                    continue
            runs.append((slo, shi))
    out = []
    for i, (slo, shi) in enumerate(runs):
        if i + 1 < len(runs):  # the next pair of chunks is fetched and verified while this one is compared
            nlo, nhi = runs[i + 1]
            a.prefetch(chunk_keys(a, ia[0], ia[1], nlo, nhi))
            b.prefetch(chunk_keys(b, ib[0], ib[1], nlo, nhi))
        old, new = read_rows(a, ia[0], ia[1], slo, shi), read_rows(b, ib[0], ib[1], slo, shi)
        stats["rows_read"] += shi - slo
        mask = neq(old, new)
        if mask.any():
            idx = np.flatnonzero(mask)
            take = pa.array(idx)
            out.append((idx + slo, old.take(take), new.take(take)))
    return out


def _absolute(spans: list[tuple[int, int]], rel: np.ndarray) -> np.ndarray:
    """Row numbers of positions in the concatenation of ``spans``."""
    if not len(rel) or len(spans) == 1:
        return rel.astype(np.int64) + (spans[0][0] if spans else 0)
    starts = np.array([lo for lo, _ in spans], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum([hi - lo for lo, hi in spans])[:-1]]).astype(np.int64)
    k = np.searchsorted(offsets, rel, side="right") - 1
    return starts[k] + (rel - offsets[k])


def _compare_in_order(
    a: FrameSource,
    b: FrameSource,
    ia: Any,
    ib: Any,
    rows_a: np.ndarray,
    span_b: list[tuple[int, int]],
    kb: Any,
    stats: dict[str, Any],
) -> list[tuple[Any, Any, Any]]:
    """Changed cells of one column where B's first loose rows are A's matched rows in A's order (rows removed
    or appended, nothing reordered). Walks B one stored chunk at a time (compared in place) against the A rows
    it matches, so no column is materialised whole."""
    import pyarrow as pa

    step, step_a = row_unit(b, ib[0], ib[1]), row_unit(a, ia[0], ia[1])
    out, rel, m = [], 0, len(rows_a)
    for lo, hi in span_b:
        for s in range(lo - lo % step, hi, step):
            blo, bhi = max(s, lo), min(s + step, hi)
            r0, r1 = rel + blo - lo, min(rel + bhi - lo, m)
            if r1 <= r0:
                continue
            new_all = read_rows(b, ib[0], ib[1], blo, blo + r1 - r0)
            want_all = rows_a[r0:r1]
            # cut where A's rows cross one of A's chunks, so both sides are read in place
            first, last = int(want_all[0]), int(want_all[-1])
            bounds = np.arange((first // step_a + 1) * step_a, last + 1, step_a)
            cuts = [0, *np.searchsorted(want_all, bounds).tolist(), r1 - r0]
            for x, y in zip(cuts, cuts[1:]):
                if y <= x:  # A skips a whole chunk of removed rows here
                    continue
                want, new = want_all[x:y], new_all.slice(x, y - x)
                alo = int(want[0])
                old = read_rows(a, ia[0], ia[1], alo, int(want[-1]) + 1)
                if len(old) != len(want):
                    old = old.take(pa.array(want - alo))
                stats["rows_read"] += len(new)
                mask = neq(old, new)
                if mask.any():
                    idx = pa.array(np.flatnonzero(mask))
                    out.append((kb.slice(r0 + x, y - x).take(idx), old.take(idx), new.take(idx)))
        rel += hi - lo
    return out


def frame_delta(a: FrameSource, b: FrameSource, key: str) -> FrameDelta:
    """Compare version ``a`` with version ``b`` of a dataframe whose rows are identified by ``key``."""
    import pandas as pd
    import pyarrow as pa

    fa, fb = _fields(a), _fields(b)
    for side, f in (("old", fa), ("new", fb)):
        if key not in f:
            raise UsageInputError(f"key column {key!r} is missing from the {side} version")
    if fa[key][0] != fb[key][0]:
        raise UsageInputError(f"key column {key!r} changed type ({fa[key][0]} -> {fb[key][0]}); rows cannot be matched")
    na, nb = a.nrows, b.nrows
    unit = row_unit(a, fa[key][0], fa[key][1])
    common = [c for c in fb if c in fa and c != key]
    same = {c: _same_type(a, b, fa[c], fb[c]) for c in common}
    stats: dict[str, Any] = {"blocks": 0, "aligned_blocks": 0, "chunks_skipped": 0, "rows_read": 0}
    aligned, loose = [], []
    for j in range(-(-max(na, nb, 1) // unit)):
        lo = j * unit
        la, lb = max(0, min(unit, na - lo)), max(0, min(unit, nb - lo))
        stats["blocks"] += 1
        ids = chunk_ids(a, fa[key][0], fa[key][1], lo, lo + la) if la == lb and la else None
        if ids is not None and ids == chunk_ids(b, fb[key][0], fb[key][1], lo, lo + lb):
            aligned.append(j)
        else:
            loose.append(j)
    stats["aligned_blocks"] = len(aligned)
    untouched = set()  # columns whose every chunk is identical: nothing to do in aligned blocks
    if na == nb:
        for c in common:
            if same[c]:
                whole = chunk_ids(a, fa[c][0], fa[c][1], 0, na)
                if whole is not None and whole == chunk_ids(b, fb[c][0], fb[c][1], 0, nb):
                    untouched.add(c)
    stats["columns_untouched"] = len(untouched)
    # 1. rows at the same positions in both versions: compare changed chunks only, then look up their keys
    aligned_spans = _spans(aligned, unit, na)
    found = (
        {
            c: _compare_aligned(a, b, fa[c], fb[c], aligned_spans, same[c], unit, stats)
            for c in common
            if c not in untouched
        }
        if aligned_spans
        else {}
    )
    parts: dict[str, list[tuple[Any, Any, Any]]] = {}
    for c, hits in found.items():
        if hits:
            pos = np.concatenate([h[0] for h in hits])
            parts[c] = [
                (
                    _gather(a, fa[key], pos, unit),
                    pa.concat_arrays([h[1] for h in hits]),
                    pa.concat_arrays([h[2] for h in hits]),
                )
            ]
    # 2. the other rows: join on the key (a linear merge when keys are sorted), compare matched rows
    span_a, span_b = _spans(loose, unit, na), _spans(loose, unit, nb)
    ka, kb = _read(a, fa[key], span_a), _read(b, fb[key], span_b)
    pos, merged = match_keys(ka, kb, key) if len(ka) and len(kb) else (np.full(len(ka), -1), False)
    stats["key_join"] = ("merge" if merged else "hash") if len(ka) and len(kb) else None
    matched = pos >= 0
    ma = np.flatnonzero(matched)
    mb = pos[ma]
    removed_pos = np.flatnonzero(~matched)
    added_mask = np.ones(len(kb), dtype=bool)
    added_mask[mb] = False
    added_pos = np.flatnonzero(added_mask)
    # matched rows come first in B, in A's order (mb == 0..m-1; a merge of sorted keys gives increasing mb)
    in_order = not len(mb) or (int(mb[-1]) == len(mb) - 1 and (merged or bool(np.all(mb[1:] > mb[:-1]))))
    stats["rows_read"] += len(ka) + len(kb)
    if len(ma) and in_order:
        rows_a = _absolute(span_a, ma)  # row of A matched by B's i-th loose row
        for c in common:
            for k, old, new in _compare_in_order(a, b, fa[c], fb[c], rows_a, span_b, kb, stats):
                parts.setdefault(c, []).append((k, old, new))
    elif len(ma):
        keep = None if len(ma) == len(ka) else pa.array(matched)
        mkeys = ka if keep is None else ka.filter(keep)
        take_b = pa.array(mb)
        for c in common:
            old = _read(a, fa[c], span_a)
            old = old if keep is None else old.filter(keep)
            new = _read(b, fb[c], span_b).take(take_b)
            stats["rows_read"] += len(new)
            mask = neq(old, new)
            if mask.any():
                idx = pa.array(np.flatnonzero(mask))
                parts.setdefault(c, []).append((mkeys.take(idx), old.take(idx), new.take(idx)))
    added_rows = _absolute(span_b, added_pos)
    added = to_pandas(
        b.schema, {c: kb.take(pa.array(added_pos)) if c == key else _gather(b, fb[c], added_rows, unit) for c in fb}
    )
    stats["rows_read"] += len(added_pos) * (len(fb) - 1)
    removed = to_pandas(a.schema, {key: ka.take(pa.array(removed_pos))})[key]
    changed = {}
    conv_a, conv_b = _Values(a.schema), _Values(b.schema)
    for c, ps in parts.items():
        k, old_a, new_a = (ps[0][i] if len(ps) == 1 else pa.concat_arrays([p[i] for p in ps]) for i in range(3))
        changed[c] = pd.DataFrame({"key": conv_a(key, k), "old": conv_a(c, old_a), "new": conv_b(c, new_a)})
    cols = column_changes(column_dtypes(a), column_dtypes(b))
    full_cols = [c for c in fb if c not in fa or (c != key and not same[c])]
    full = None
    if full_cols:
        whole = [(0, nb)]
        full = to_pandas(b.schema, {c: _read(b, fb[c], whole) for c in [key, *full_cols]})
    cats = {}
    for c in common:
        if pa.types.is_dictionary(fa[c][0]) and pa.types.is_dictionary(fb[c][0]):
            va = read_rows(a, fa[c][0].value_type, fa[c][1]["dict_values"], 0, fa[c][1]["dict_values"]["length"])
            vb = read_rows(b, fb[c][0].value_type, fb[c][1]["dict_values"], 0, fb[c][1]["dict_values"]["length"])
            lc = list_changes(va.to_pylist(), vb.to_pylist())
            if lc["added"] or lc["removed"] or va.to_pylist() != vb.to_pylist():
                cats[c] = lc
    order = None
    if not (in_order and _natural(aligned, unit, removed_pos, added_pos, span_a, span_b)):
        order = key_index(_read(b, fb[key], [(0, nb)]))
    return FrameDelta(
        key=key,
        n_a=na,
        n_b=nb,
        columns=cols,
        columns_b=list(fb),
        added=added,
        removed_keys=removed,
        changed=changed,
        full_columns=full,
        order=order,
        categories=cats,
        stats=stats,
    )


def _natural(
    aligned: list[int],
    unit: int,
    removed_pos: np.ndarray,
    added_pos: np.ndarray,
    span_a: list[tuple[int, int]],
    span_b: list[tuple[int, int]],
) -> bool:
    """Given that B's loose rows are A's matched loose rows in A's order followed by the added rows: True when
    B's whole row order is A's order without the removed rows, followed by the added rows (no row removed or
    added before the last aligned block, which would put it out of place)."""
    tail = (max(aligned) + 1) * unit if aligned else 0

    def loose_offset(spans: list[tuple[int, int]]) -> int:  # rows of the loose sequence that lie before tail
        return sum(max(0, min(hi, tail) - lo) for lo, hi in spans)

    pre_a, pre_b = loose_offset(span_a), loose_offset(span_b)
    return not ((len(removed_pos) and removed_pos.min() < pre_a) or (len(added_pos) and added_pos.min() < pre_b))


def apply_delta(df: Any, d: FrameDelta) -> Any:
    """Rebuild version B from version A's DataFrame and the delta (rows get a fresh RangeIndex)."""
    import pandas as pd

    key = d.key
    if key not in df.columns:
        raise UsageInputError(f"cannot apply the diff: the DataFrame has no key column {key!r}")
    out = df.reset_index(drop=True)
    out = out.drop(columns=[c for c in d.columns["removed"] if c in out.columns])
    if len(d.removed_keys):
        out = out[~out[key].isin(d.removed_keys)].reset_index(drop=True)
    full = d.full_columns
    idx = pd.Index(out[key])
    for c, ch in d.changed.items():
        if full is not None and c in full.columns:
            continue
        pos = idx.get_indexer(ch["key"])
        if (pos < 0).any():
            raise UsageInputError(
                f"cannot apply the diff: {int((pos < 0).sum())} changed rows of {c!r} are not "
                "in this DataFrame (is it version A?)"
            )
        col = out[c].copy()
        col.iloc[pos] = ch["new"].array
        out[c] = col
    if full is not None:
        fpos = pd.Index(full[key]).get_indexer(out[key])
        for c in full.columns:
            if c != key:
                out[c] = full[c].iloc[fpos].reset_index(drop=True) if len(out) else full[c].iloc[:0]
    out = out[d.columns_b]
    if len(d.added):
        out = (
            pd.concat([out, d.added[d.columns_b]], ignore_index=True)
            if len(out)
            else d.added[d.columns_b].reset_index(drop=True)
        )
    if d.order is not None:
        out = out.iloc[pd.Index(out[key]).get_indexer(d.order)].reset_index(drop=True)
    return out
