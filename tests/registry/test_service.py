import numpy as np
import pandas as pd
import pytest

import lifecycle_ext
from lifecycle_ext.core.errors import InvalidRef, NotFound, UsageInputError


def test_save_returns_version_with_everything(reg):
    v = reg.save(
        {"w": 1},
        "model:churn",
        params={"lr": 0.1},
        metrics={"acc": np.float64(0.91)},
        metadata={"framework": "none"},
        tags=["baseline"],
        note="first",
    )
    assert v.ref == "model:churn@1" and v.number == 1 and v.parent is None
    assert v.content_hash.startswith("xxh3-128:") and len(v.content_hash) == 9 + 32
    assert v.author == "alice" and v.created_at.startswith("2026-01-01")
    assert v.params == {"lr": 0.1} and v.metrics == {"acc": 0.91} and v.tags == ["baseline"] and v.note == "first"
    v2 = reg.save({"w": 2}, "model:churn")
    assert v2.number == 2 and v2.parent == "model:churn@1"


def test_identical_save_returns_existing_version(reg, tmp_path):
    arr = np.arange(10_000, dtype=np.float64)
    v1 = reg.save(arr, "model:a", params={"x": 1})
    v2 = reg.save(arr.copy(), "model:a", params={"x": 1})
    assert v2.ref == v1.ref and reg.state["seq"] == 0
    v3 = reg.save(arr, "model:a", params={"x": 2})  # same bytes, different metadata: new version
    assert v3.number == 2 and v3.content_hash == v1.content_hash and v3.new_bytes < 1000


def test_dedup_writes_only_changed_chunks(reg):
    rng = np.random.default_rng(0)
    arr = rng.standard_normal((4096, 1024)).astype(np.float32)  # 16 MiB: 4 chunks of 4 MiB
    v1 = reg.save(arr, "model:big")
    arr2 = arr.copy()
    arr2[:10] += 1  # touches the first chunk only
    v2 = reg.save(arr2, "model:big")
    assert v1.new_bytes >= 0.7 * arr.nbytes  # stored bytes (random floats do not compress enough to be worth it)
    assert v2.new_bytes <= arr.nbytes * 0.3
    blob_dir = reg.storage.root / "blobs"
    on_disk = sum(p.stat().st_size for p in blob_dir.rglob("*") if p.is_file())
    assert on_disk < arr.nbytes * 1.3  # about one array plus the changed chunk, not two arrays
    np.testing.assert_array_equal(reg.load(v2.ref), arr2)
    np.testing.assert_array_equal(reg.load(v1.ref), arr)


def test_version_selectors(reg):
    v1 = reg.save([1], "dataset:d")
    v2 = reg.save([2], "dataset:d")
    assert reg.get("dataset:d").number == 2
    assert reg.get("dataset:d@latest").number == 2
    assert reg.get("dataset:d@1").number == 1 and reg.get("dataset:d@v1").number == 1
    assert reg.get("dataset:d@" + v1.content_hash.split(":")[1][:8]).number == 1
    assert reg.get("dataset:d@" + v2.content_hash[:17]).number == 2
    with pytest.raises(NotFound, match="no version 3"):
        reg.get("dataset:d@3")
    with pytest.raises(NotFound, match="no version, stage or alias 'production'"):
        reg.get("dataset:d@production")
    with pytest.raises(NotFound, match="no asset model:d"):
        reg.get("model:d@1")
    with pytest.raises(InvalidRef):
        reg.get("d@1")


def test_lineage_both_ways(reg):
    d1 = reg.save(pd.DataFrame({"x": [1, 2]}), "dataset:train")
    s = reg.save(
        {"classes": [{"name": "a", "description": "A"}, {"name": "b", "description": "B"}]}, "label_schema:labels"
    )
    m = reg.save({"w": 1}, "model:m", inputs=[d1.ref, "label_schema:labels"])
    m2 = reg.save({"w": 2}, "model:m", inputs=["dataset:train@latest"])
    p = reg.save({"steps": 1}, "pipeline:p", inputs=[m.ref])
    assert m.inputs == ["dataset:train@1", "label_schema:labels@1"]
    up = reg.lineage(p.ref, "up")
    assert set(up.upstream) == {"model:m@1", "dataset:train@1", "label_schema:labels@1"}
    assert reg.lineage(p.ref, "up", depth=1).upstream == ["model:m@1"]
    down = reg.lineage(d1.ref, "down")
    assert set(down.downstream) == {"model:m@1", "model:m@2", "pipeline:p@1"}
    assert reg.lineage(s.ref, "down", depth=1).downstream == ["model:m@1"]
    assert reg.lineage(s.ref, "down").downstream == ["model:m@1", "pipeline:p@1"]
    assert ("dataset:train@1", "model:m@2") in reg.lineage(m2.ref).edges
    assert "model:m@1" in down._repr_html_()
    with pytest.raises(NotFound):
        reg.save({"w": 3}, "model:m", inputs=["dataset:missing@1"])
    with pytest.raises(UsageInputError):
        reg.lineage(m.ref, "sideways")


def test_versions_and_assets_frames(reg):
    reg.save([1], "dataset:d", metrics={"rows": 1})
    reg.save([1, 2], "dataset:d", metrics={"rows": 2})
    reg.save({"a": 1}, "model:m")
    vs = reg.versions("dataset:d")
    assert list(vs["version"]) == [1, 2] and list(vs["metric.rows"]) == [1, 2]
    assert list(reg.versions("m")["ref"]) == ["model:m@1"]
    a = reg.assets()
    assert list(a["asset"]) == ["dataset:d", "model:m"]
    assert list(reg.assets(kind="model")["asset"]) == ["model:m"]


def test_bad_arguments_change_nothing(reg):
    reg.save([1], "dataset:d")
    before = reg.state["seq"]
    for kwargs, fragment in [
        ({"metrics": {"acc": float("nan")}}, "finite"),
        ({"params": {"f": object()}}, "JSON"),
        ({"tags": ["bad tag!"]}, "tag"),
        ({"bogus": 1}, "unknown option"),
    ]:
        with pytest.raises(lifecycle_ext.LifecycleError, match=fragment):
            reg.save([2], "dataset:d", **kwargs)
    with pytest.raises(InvalidRef, match="not a version"):
        reg.save([2], "dataset:d@1")
    with pytest.raises(InvalidRef, match=r"'\.\.'"):
        reg.save([2], "dataset:../../etc/passwd")
    assert reg.state["seq"] == before


def test_reopen_sees_everything_and_default_location(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIFECYCLE_REGISTRY", raising=False)
    r = lifecycle_ext.open_registry()
    r.save([1, 2, 3], "dataset:d")
    assert (tmp_path / ".lifecycle" / "log").is_dir()
    monkeypatch.setenv("LIFECYCLE_REGISTRY", str(tmp_path / "other"))
    r2 = lifecycle_ext.open_registry()
    assert r2.location == str(tmp_path / "other") and len(r2.assets()) == 0
    assert lifecycle_ext.open_registry(tmp_path / ".lifecycle").load("dataset:d@1") == [1, 2, 3]


def test_tags(reg):
    reg.save([1], "dataset:d")
    assert reg.tag("dataset:d@1", "gold").tags == ["gold"]
    assert reg.untag("dataset:d@1", "gold").tags == []


def test_memory_url_registry():
    r = lifecycle_ext.open_registry("memory://lifecycle-test/reg", user="bob")
    v = r.save(np.arange(5), "model:m")
    assert v.author == "bob"
    np.testing.assert_array_equal(lifecycle_ext.open_registry("memory://lifecycle-test/reg").load(v.ref), np.arange(5))
