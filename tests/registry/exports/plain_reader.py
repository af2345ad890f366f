"""Read a plain zarr export with zarr-python, numpy, pyarrow and pandas only (run in a subprocess that cannot
import lifecycle_ext). The same steps are documented in docs/storage.md ("Reading a version without lifecycle_ext").

Usage: python plain_reader.py EXPORT_PATH OUT.parquet|OUT.npy
"""

import sys

sys.modules["lifecycle_ext"] = None  # type: ignore[assignment]  # any import of the package now fails

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import zarr  # noqa: E402


def read_array(group, info):
    """An array written with its exact numpy dtype (``raw``: bytes with a trailing item axis, viewed back)."""
    dtype = np.lib.format.descr_to_dtype(info["dtype"])
    data = np.asarray(group[info["path"]][...])
    if info.get("raw"):
        return data.reshape(-1).view(dtype).reshape(data.shape[:-1])
    return data.astype(dtype, copy=False)


def arrow_column(group, typ, layout):
    if "dict_indices" in layout:
        indices = arrow_column(group, typ.index_type, layout["dict_indices"])
        values = arrow_column(group, typ.value_type, layout["dict_values"])
        return pa.DictionaryArray.from_arrays(indices, values, ordered=typ.ordered)
    buffers = [None if b is None else pa.py_buffer(read_array(group, b).tobytes()) for b in layout["buffers"]]
    return pa.Array.from_buffers(typ, layout["length"], buffers, layout["null_count"], layout["offset"])


def read(path):
    store = zarr.storage.ZipStore(path, mode="r") if path.endswith(".zip") else path
    group = zarr.open_group(store, mode="r")
    attrs = group.attrs["lifecycle"]
    if attrs["type"] in ("dataframe", "series"):
        schema = pa.ipc.read_schema(pa.py_buffer(np.asarray(group["arrow_schema"][...]).tobytes()))
        columns = [arrow_column(group, f.type, lay) for f, lay in zip(schema, attrs["columns"])]
        return pa.Table.from_arrays(columns, schema=schema).to_pandas()
    if attrs["type"] == "ndarray":
        return read_array(group, attrs["data"])
    raise SystemExit(f"this reader handles tables and arrays, not {attrs['type']}")


if __name__ == "__main__":
    try:
        import lifecycle_ext  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("lifecycle_ext must not be importable here")
    obj = read(sys.argv[1])
    if isinstance(obj, pd.DataFrame):
        obj.to_parquet(sys.argv[2])
    else:
        np.save(sys.argv[2], obj)
    print("read", type(obj).__name__)
