"""Every supported type round-trips exactly through save/load (hypothesis for arrays and frames)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra import pandas as hpd

import lifecycle_ext
from lifecycle_ext.core.errors import UnsupportedType

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def mreg(tmp_path_factory):
    return lifecycle_ext.open_registry(tmp_path_factory.mktemp("rt"), user="tester")


def _rt(reg, obj, kind="model"):
    v = reg.save(obj, f"{kind}:rt")
    return reg.load(v.ref)


dtypes = st.one_of(
    hnp.scalar_dtypes(),
    hnp.byte_string_dtypes(),
    hnp.unicode_string_dtypes(),
    hnp.array_dtypes(subtype_strategy=hnp.scalar_dtypes(), max_size=3),
)


@SETTINGS
@given(arr=hnp.arrays(dtype=dtypes, shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)))
def test_arrays_roundtrip(mreg, arr):
    out = _rt(mreg, arr)
    assert out.dtype == arr.dtype and out.shape == arr.shape
    assert out.tobytes() == np.ascontiguousarray(arr).tobytes()


def test_big_array_is_chunked_and_exact(mreg):
    arr = np.random.default_rng(0).standard_normal((3000, 700)).astype(np.float32)  # ~8 MiB, 3 chunks
    v = mreg.save(arr, "model:big")
    chunks = [k for k in mreg.manifest(v.ref)["entries"] if k.startswith("data/c/")]
    assert len(chunks) >= 2
    np.testing.assert_array_equal(mreg.load(v.ref), arr)
    z = mreg.open_zarr(v.ref)["data"]  # an ordinary zarr v3 array, read by zarr itself
    assert z.metadata.zarr_format == 3 and z.shape == arr.shape
    np.testing.assert_array_equal(z[...], arr)


@SETTINGS
@given(arr=hnp.arrays(dtype=hnp.scalar_dtypes(), shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=40)))
def test_zarr_reads_what_load_reads(mreg, arr):
    """The fast load path and zarr's own reader agree on every stored array."""
    from lifecycle_ext.storage import zarrio

    old = zarrio.CHUNK_TARGET
    zarrio.CHUNK_TARGET = 64  # many small and edge chunks
    try:
        v = mreg.save(arr, "model:zarr-vs-direct")
    finally:
        zarrio.CHUNK_TARGET = old
    via_zarr = np.asarray(mreg.open_zarr(v.ref)["data"][...])
    np.testing.assert_array_equal(mreg.load(v.ref), arr)
    assert via_zarr.tobytes() == mreg.load(v.ref).astype(arr.dtype.newbyteorder("<")).tobytes()


@SETTINGS
@given(
    df=hpd.data_frames(
        [
            hpd.column("i", dtype=np.int64),
            hpd.column("f", dtype=float),
            hpd.column("b", dtype=bool),
            hpd.column("s", elements=st.text(max_size=5)),
            hpd.column("u", dtype=np.uint8),
        ],
        index=hpd.range_indexes(max_size=20),
    )
)
def test_frames_roundtrip(mreg, df):
    pd.testing.assert_frame_equal(_rt(mreg, df, "dataset"), df, check_exact=True)


def test_frame_dtypes_roundtrip(mreg):
    df = pd.DataFrame(
        {
            "cat": pd.Categorical(["a", "b", "a", None], categories=["b", "a"], ordered=True),
            "str": pd.array(["x", None, "z", "w"], dtype="string"),
            "tz": pd.date_range("2024-03-30", periods=4, freq="h", tz="Europe/Paris"),
            "nint": pd.array([1, None, 3, 4], dtype="Int64"),
            "nbool": pd.array([True, None, False, True], dtype="boolean"),
            "f32": np.array([1.5, np.nan, -0.0, np.inf], dtype=np.float32),
            "td": pd.to_timedelta([1, 2, 3, 4], unit="s"),
        },
        index=pd.Index(["r1", "r2", "r3", "r4"], name="row"),
    )
    df = df[["tz", "cat", "nint", "str", "nbool", "f32", "td"]]  # column order is kept
    pd.testing.assert_frame_equal(_rt(mreg, df, "dataset"), df, check_exact=True)
    mi = df.set_index(["cat", "tz"])
    pd.testing.assert_frame_equal(_rt(mreg, mi, "dataset"), mi, check_exact=True)
    ts = pd.DataFrame({"x": [1, 2]}, index=pd.date_range("2020", periods=2, freq="D"))
    pd.testing.assert_frame_equal(_rt(mreg, ts, "dataset"), ts, check_exact=True, check_freq=True)
    rng = pd.DataFrame(np.arange(6).reshape(3, 2))
    pd.testing.assert_frame_equal(_rt(mreg, rng, "dataset"), rng, check_exact=True)


def test_series_roundtrip(mreg):
    for s in (
        pd.Series([1.0, 2.0], name="price"),
        pd.Series(["a", None], name=None, dtype="string"),
        pd.Series(pd.Categorical(["x", "y"]), name=3),
    ):
        pd.testing.assert_series_equal(_rt(mreg, s, "dataset"), s, check_exact=True)


@pytest.mark.parametrize(
    "obj",
    [
        {"a": 1, "b": [1, 2.5, None, True], "c": {"d": "é"}},
        [1, "two", None],
        "text",
        42,
        3.25,
        True,
        None,
        {},
    ],
)
def test_json_roundtrip(mreg, obj):
    out = _rt(mreg, obj, "pipeline")
    assert out == obj and type(out) is type(obj)


def test_bytes_and_state_dicts(mreg):
    assert _rt(mreg, b"\x00\xffbinary") == b"\x00\xffbinary"
    assert _rt(mreg, b"") == b""
    sd = {"layer.weight": np.ones((3, 2), np.float32), "layer.bias": np.arange(3, dtype=np.int16)}
    out = _rt(mreg, sd)
    assert list(out) == list(sd)
    for k in sd:
        np.testing.assert_array_equal(out[k], sd[k])
        assert out[k].dtype == sd[k].dtype


def test_files_and_directories(mreg, tmp_path):
    d = tmp_path / "weights"
    (d / "sub" / "empty").mkdir(parents=True)
    (d / "a.bin").write_bytes(np.random.default_rng(1).bytes(100_000))
    (d / "sub" / "b.txt").write_text("hello")
    (d / "zero").write_bytes(b"")
    (d / "run.sh").write_text("#!/bin/sh\n")
    (d / "run.sh").chmod(0o755)
    out = mreg.load(mreg.save(d, "model:dir").ref, dest=tmp_path / "restored")
    assert out == tmp_path / "restored" / "weights"
    for rel in ("a.bin", "sub/b.txt", "zero", "run.sh"):
        assert (out / rel).read_bytes() == (d / rel).read_bytes()
    assert (out / "sub" / "empty").is_dir()
    assert (out / "run.sh").stat().st_mode & 0o777 == 0o755
    f = mreg.load(mreg.save(d / "a.bin", "model:file").ref)
    assert f.name == "a.bin" and f.read_bytes() == (d / "a.bin").read_bytes()


@pytest.mark.parametrize(
    "obj,fragment",
    [
        (object(), "object"),
        (np.array([object()]), "object dtype"),
        ((1, 2), "tuple"),
        ({1: "a"}, "round-trip"),
        (pd.DataFrame({"a": [[1], [2]]}), "lists/structs"),
        (pd.DataFrame({"a": [1, "x"]}), "pickling"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), "duplicate"),
        ({1.5}, "set"),
    ],
)
def test_unsupported_types_are_named(mreg, obj, fragment):
    before = mreg.state["seq"]
    with pytest.raises(UnsupportedType) as exc:
        mreg.save(obj, "model:bad")
    assert fragment in str(exc.value)
    assert "supported:" in str(exc.value) or "DataFrame" in str(exc.value)
    assert mreg.state["seq"] == before


def test_symlinks_are_refused(mreg, tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "real").write_text("x")
    (d / "link").symlink_to(tmp_path)
    with pytest.raises(UnsupportedType, match="symbolic link"):
        mreg.save(d, "model:links")


def test_a_frame_column_in_one_arrow_chunk_is_encoded_without_a_copy():
    from lifecycle_ext.storage.frames import encode_frame

    df = pd.DataFrame({"x": np.arange(300_000, dtype=np.float64)})
    values = df["x"].to_numpy()  # the frame's own memory (pandas copies what it is given)
    payload = encode_frame(df)
    chunks = [data for key, data in payload.chunks if key.startswith("c0b1/")]
    assert chunks and all(np.shares_memory(np.frombuffer(c, dtype=np.uint8), values) for c in chunks)


def test_a_frame_column_in_several_arrow_chunks_roundtrips(mreg):
    import pyarrow as pa

    chunked = pa.chunked_array(
        [pa.array(["a", None, "bc"], pa.large_string()), pa.array(["d", "é"], pa.large_string())]
    )
    df = pd.DataFrame({"s": pd.Series(pd.arrays.ArrowExtensionArray(chunked)), "n": np.arange(5)})
    assert pa.Table.from_pandas(df).column("s").num_chunks == 2
    pd.testing.assert_frame_equal(_rt(mreg, df, "dataset"), df, check_exact=True)
