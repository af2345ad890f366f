"""reg.diff for models, datasets (incl. Hypothesis: applying a diff to A gives B), arrays; HTML escaping."""

from __future__ import annotations

import contextlib
import json
import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle_ext import UsageInputError, open_registry
from lifecycle_ext.core.clock import ManualClock
from lifecycle_ext.registry import versions as service
from lifecycle_ext.storage import zarrio


@pytest.fixture
def reg(tmp_path, make_registry):
    return make_registry(tmp_path / "reg", user="alice")


def test_model_diff_params_metrics_source_env_and_inputs(reg, monkeypatch):
    d1 = reg.save(pd.DataFrame({"k": [1, 2]}), "dataset:train", key="k")
    d2 = reg.save(pd.DataFrame({"k": [1, 2, 3]}), "dataset:train")
    reg.save(
        np.zeros(3),
        "model:m",
        params={"lr": 0.1, "depth": 3},
        metrics={"auc": 0.70, "log_loss": 0.50},
        inputs=[d1.ref],
        record={
            "source": "model.fit(X, y)\nlr = 0.1\n",
            "env": {"python": "3.11", "packages": {"numpy": "1.26.0", "scikit-learn": "1.4"}},
        },
    )
    # the second version records its environment as a blob (the way the tracking helper does)
    env = {"python": "3.12", "packages": {"numpy": "2.0.1", "scikit-learn": "1.4", "xgboost": "2.0"}}
    cid, _ = reg.blobs.put(json.dumps(env).encode())
    real = service.save_hooks
    monkeypatch.setattr(service, "save_hooks", lambda: [*real(), _env_hook(cid)])
    reg.save(
        np.ones(3),
        "model:m",
        params={"lr": 0.05, "depth": 3, "seed": 1},
        metrics={"auc": 0.75, "log_loss": 0.55},
        inputs=[d2.ref],
        record={"source": "model.fit(X, y)\nlr = 0.05\n", "env_hash": cid},
    )
    d = reg.diff("model:m@1", "model:m@2")
    s = d.sections
    assert s["params"] == {"added": {"seed": 1}, "removed": {}, "changed": {"lr": [0.1, 0.05]}}
    by = {m["metric"]: m for m in s["metrics"]}
    assert by["auc"]["direction"] == "up" and by["auc"]["better"] is True
    assert by["log_loss"]["direction"] == "up" and by["log_loss"]["better"] is False
    assert abs(by["auc"]["delta"] - 0.05) < 1e-12
    assert "-lr = 0.1\n+lr = 0.05" in s["source"]
    assert s["env"]["changed"] == {"numpy": ["1.26.0", "2.0.1"]} and s["env"]["added"] == {"xgboost": "2.0"}
    assert s["env"]["other"] == {"python": ["3.11", "3.12"]}
    assert s["inputs"] == [{"asset": "dataset:train", "change": "changed", "old": d1.ref, "new": d2.ref}]
    assert set(s["types"]) >= {"params", "metrics", "source", "env", "inputs", "content"}
    html = d._repr_html_()
    assert "xgboost" in html and "&#9650;" in html
    assert json.loads(json.dumps(d.to_dict()))["kind"] == "model"
    # absent environments are reported, not an error
    reg.save(np.full(3, 2.0), "model:n")
    reg.save(np.full(3, 3.0), "model:n")
    assert "no environment recorded" in reg.diff("model:n@1", "model:n@2").sections["env_note"]


def _env_hook(cid):
    from lifecycle_ext.registry.hooks import SaveHook

    def hook(services, kind, obj, parent, options, payload=None):
        return {"blobs": [cid]} if kind == "model" and parent is not None else {}

    return SaveHook(hook)


def test_array_diff_shape_dtype_and_fraction_of_chunks(reg):
    a = np.zeros(2 * 1024 * 1024)  # 16 MiB -> 4 chunks
    reg.save(a, "model:weights")
    b = a.copy()
    b[10] = 1.0
    reg.save(b, "model:weights")
    s = reg.diff("model:weights@1", "model:weights@2").sections
    assert s["chunks"] == {"total": 4, "changed": 1, "fraction": 0.25}
    reg.save(np.zeros((3, 2), dtype=np.float32), "pipeline:p")
    reg.save(np.zeros((4, 2), dtype=np.int64), "pipeline:p")
    d = reg.diff("pipeline:p@1", "pipeline:p@2")
    assert d.kind == "data" and d.sections["shape"] == [[3, 2], [4, 2]]
    assert d.sections["dtype"] == ["float32", "int64"] and "schema" in d.sections["types"]
    with pytest.raises(UsageInputError, match="cannot diff"):
        reg.diff("pipeline:p@1", "model:weights@1")
    with pytest.raises(UsageInputError, match="no row-level"):
        d.apply(pd.DataFrame())


def test_dataset_diff_html_escapes_hostile_text(reg):
    evil = "<script>alert(1)</script>"
    reg.save(pd.DataFrame({"k": [1, 2], evil: ["a", "b"]}), "dataset:x", key="k", label=evil, source=evil)
    reg.save(pd.DataFrame({"k": [1, 2, 3], evil: [evil, "b", "c"]}), "dataset:x", source=evil)
    d = reg.diff("dataset:x@1", "dataset:x@2")
    html = d._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert d.sections["corrective"]["count"] == 1 and d.sections["additive"]["count"] == 1


@contextlib.contextmanager
def small_chunks(nbytes: int):
    """Tiny chunks so a few dozen rows span many blocks (exercises the aligned-block path)."""
    old = zarrio._chunk_shape.__defaults__
    zarrio._chunk_shape.__defaults__ = (nbytes,)
    try:
        yield
    finally:
        zarrio._chunk_shape.__defaults__ = old


@st.composite
def frame_pairs(draw):
    n = draw(st.integers(0, 40))
    keys = draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n, unique=True))
    if draw(st.booleans()):
        keys = sorted(keys)  # the usual row id: sorted keys are joined by a linear merge
    floats = st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=64), st.none())
    text = st.one_of(st.text("abcxyz<&", max_size=4), st.none())
    a = pd.DataFrame(
        {
            "key": np.array(keys, dtype=np.int64),
            "x": np.array(draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n)), dtype=np.int64),
            "y": np.array(
                [np.nan if v is None else v for v in draw(st.lists(floats, min_size=n, max_size=n))], dtype=np.float64
            ),
            "s": pd.array(draw(st.lists(text, min_size=n, max_size=n)), dtype="str"),
            "lab": pd.Categorical(
                draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n)), categories=list("abc")
            ),
        }
    )
    b = a.copy()
    if n:
        drop = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        b = b[~np.array(drop)].reset_index(drop=True)
    m = len(b)
    for col, strat in (("x", st.integers(-5, 5)), ("y", floats), ("s", text), ("lab", st.sampled_from("abc"))):
        for i in draw(st.lists(st.integers(0, max(m - 1, 0)), max_size=5)) if m else []:
            v = draw(strat)
            b.loc[i, col] = np.nan if (v is None and col == "y") else v
    new = draw(st.lists(st.integers(1001, 2000), max_size=5, unique=True))
    if new:
        extra = pd.DataFrame(
            {
                "key": np.array(new, dtype=np.int64),
                "x": np.zeros(len(new), dtype=np.int64),
                "y": np.ones(len(new)),
                "s": pd.array(["new"] * len(new), dtype="str"),
                "lab": pd.Categorical(["a"] * len(new), categories=list("abc")),
            }
        )
        b = pd.concat([b, extra], ignore_index=True)
    if draw(st.booleans()):
        b = b.sample(frac=1, random_state=draw(st.integers(0, 10))).reset_index(drop=True)
    if draw(st.booleans()):
        b = b.assign(z=np.arange(len(b), dtype=np.int32))
    if draw(st.booleans()):
        b = b.drop(columns=["s"])
    if draw(st.booleans()):
        b["lab"] = b["lab"].cat.add_categories(["d"])
    return a, b


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=frame_pairs(), chunk=st.sampled_from([16, 64, 4 * 1024 * 1024]))
def test_applying_the_diff_to_a_reproduces_b(pair, chunk):
    a, b = pair
    with tempfile.TemporaryDirectory() as tmp, small_chunks(chunk):
        reg = open_registry(tmp, user="prop", clock=ManualClock())
        va = reg.save(a, "dataset:p", key="key", label="lab")
        vb = reg.save(b, "dataset:p")
        d = reg.diff(va.ref, vb.ref)
        loaded_a, loaded_b = reg.load(va.ref), reg.load(vb.ref)
        pd.testing.assert_frame_equal(d.apply(loaded_a), loaded_b.reset_index(drop=True))
        s = d.sections
        assert s["rows"] == {"before": len(a), "after": len(b)}
        assert s["additive"]["count"] == len(set(b.key) - set(a.key))
        assert s["removal"]["count"] == len(set(a.key) - set(b.key))
        common = sorted(set(a.key) & set(b.key))
        la, lb = a.set_index("key").lab, b.set_index("key").lab
        assert s["corrective"]["count"] == sum(la[k] != lb[k] for k in common)


def _sorted_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64) * 2,
            "x": rng.random(n),
            "label": pd.Categorical(rng.choice(["a", "b"], n), categories=["a", "b"]),
        }
    )


def test_localized_change_reads_only_the_changed_chunks(tmp_path):
    a = _sorted_frame(20_000)
    b = a.copy()
    b.loc[10_000:10_049, "x"] += 1.0
    b.loc[10_000:10_009, "label"] = b.loc[10_000:10_009, "label"].map({"a": "b", "b": "a"}).astype(a.label.dtype)
    with small_chunks(8 * 1024):  # 1,024 float rows a chunk
        reg = open_registry(tmp_path, user="t", clock=ManualClock())
        reg.save(a, "dataset:s", key="id", label="label")
        vb = reg.save(b, "dataset:s")
        s = reg.diff("dataset:s@1", vb.ref).sections
    assert s["feature_edits"] == {"x": 50} and s["corrective"]["count"] == 10
    cost = s["cost"]
    assert cost["aligned_blocks"] == cost["blocks"] and cost["key_join"] is None
    assert cost["rows_read"] <= 3 * 8 * 1024, cost  # the changed x chunk and the label codes' chunk, not 20k rows


@pytest.mark.parametrize("removed", [300, 3_000])  # within one chunk, and spanning whole chunks
def test_removal_in_the_middle_with_later_edits_is_merged_on_sorted_keys(tmp_path, removed):
    a = _sorted_frame(20_000)
    b = a.drop(index=range(5_000, 5_000 + removed)).reset_index(drop=True)
    b.loc[[7_000, 12_000, 16_000], "x"] = -1.0
    b.loc[[8_000], "label"] = "a" if b.loc[8_000, "label"] == "b" else "b"
    b = pd.concat(
        [
            b,
            pd.DataFrame(
                {"id": [50_001, 50_003], "x": [0.5, 0.25], "label": pd.Categorical(["a", "a"], categories=["a", "b"])}
            ),
        ],
        ignore_index=True,
    )
    with small_chunks(8 * 1024):
        reg = open_registry(tmp_path, user="t", clock=ManualClock())
        va = reg.save(a, "dataset:s", key="id", label="label")
        vb = reg.save(b, "dataset:s")
        d = reg.diff(va.ref, vb.ref)
        loaded_a, loaded_b = reg.load(va.ref), reg.load(vb.ref)
    s = d.sections
    assert s["removal"]["count"] == removed and s["additive"]["count"] == 2 and not s["reordered"]
    assert s["feature_edits"] == {"x": 3} and s["corrective"]["count"] == 1
    assert s["cost"]["key_join"] == "merge"
    assert sorted(d.delta.changed["x"]["key"].tolist()) == sorted(b.loc[[7_000, 12_000, 16_000], "id"].tolist())
    pd.testing.assert_frame_equal(d.apply(loaded_a), loaded_b)
