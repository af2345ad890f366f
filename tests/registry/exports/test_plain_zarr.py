"""The zarr export is read back by zarr-python, pyarrow and pandas in a process that cannot import lifecycle_ext,
and equals ``reg.load``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lifecycle_ext.core.errors import UsageInputError

from .lifecycle import build_lifecycle

READER = Path(__file__).with_name("plain_reader.py")


def _read_elsewhere(path: Path, out: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(out.parent)}  # no PYTHONPATH: only the venv's packages
    p = subprocess.run(
        [sys.executable, "-I", str(READER), str(path), str(out)], capture_output=True, text=True, env=env, timeout=120
    )
    assert p.returncode == 0, p.stderr[-3000:]


@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_plain_zarr_export_reads_without_the_package(make_registry: Any, tmp_path: Path, suffix: str) -> None:
    lc = build_lifecycle(make_registry)
    reg = lc.reg
    ds_path = tmp_path / f"dataset{suffix}"
    res = reg.export(lc.dataset, format="zarr", output=ds_path)
    assert res.paths == (str(ds_path),) and res.summary["keys"] > 5
    _read_elsewhere(ds_path, tmp_path / "ds.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "ds.parquet"), reg.load(lc.dataset))

    model_path = tmp_path / f"model{suffix}"
    reg.export(lc.model_v1, format="zarr", output=model_path)
    _read_elsewhere(model_path, tmp_path / "model.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "model.npy"), reg.load(lc.model_v1))


def test_zarr_export_refuses_a_used_path_and_a_missing_output(reg: Any, tmp_path: Path) -> None:
    reg.save(np.arange(3), "model:m")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep")
    with pytest.raises(UsageInputError, match="not an empty folder"):
        reg.export("model:m", format="zarr", output=tmp_path / "full")
    assert (tmp_path / "full" / "x").read_text() == "keep"
    with pytest.raises(UsageInputError, match="give output"):
        reg.export("model:m", format="zarr")


def test_the_reader_in_docs_storage_md_runs_without_the_package(make_registry: Any, tmp_path: Path) -> None:
    import re

    doc = (Path(__file__).resolve().parents[3] / "docs" / "storage.md").read_text()
    section = doc.split("## Reading a version without lifecycle_ext", 1)[1]
    (code,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    lc = build_lifecycle(make_registry)
    lc.reg.export(lc.dataset, format="zarr", output=tmp_path / "churn.zarr")
    script = "import sys\nsys.modules['lifecycle_ext'] = None\n" + code + "\ndf.to_parquet('read.parquet')\n"
    p = subprocess.run(
        [sys.executable, "-I", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert p.returncode == 0, p.stderr[-3000:]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "read.parquet"), lc.reg.load(lc.dataset))


def test_a_corrupt_blob_stops_the_export_and_leaves_nothing(reg: Any, tmp_path: Path) -> None:
    from lifecycle_ext.core.errors import IntegrityError

    v = reg.save(np.arange(1000), "model:m")
    data_key = next(k for k in reg.manifest(v.ref)["entries"] if k.startswith("data/c/"))
    cid = reg.manifest(v.ref)["entries"][data_key]
    blob = Path(reg.location) / "blobs" / cid.split(":", 1)[1][:2] / cid.split(":", 1)[1][2:]
    raw = blob.read_bytes()
    blob.chmod(0o644)
    blob.write_bytes(bytes([raw[0] ^ 0xFF]) + raw[1:])
    for name in ("m", "m.zip"):
        with pytest.raises(IntegrityError):
            reg.export(v.ref, format="zarr", output=tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry"]
