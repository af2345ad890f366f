"""reg.content_hash agrees with save; reproduce from a record built without IPython; the blobs save option."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lifecycle_ext.core.errors import UsageInputError
from lifecycle_ext.provenance.tracker import TrackedRun, TrackSpec


@pytest.fixture
def reg(tmp_path: Path, make_registry: Any) -> Any:
    return make_registry(tmp_path / "reg", user="bob", clock=None)


@pytest.mark.parametrize(
    "obj",
    [
        np.arange(12.0).reshape(3, 4),
        {"a": [1, 2], "b": None},
        b"bytes",
        [1, "x"],
        {"w": np.ones((2, 2), dtype=np.float32), "b": np.zeros(2)},
        pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}),
    ],
)
def test_content_hash_matches_save_without_writing(reg: Any, obj: Any) -> None:
    before = sorted(reg.blobs.ids())
    h = reg.content_hash(obj)
    assert sorted(reg.blobs.ids()) == before
    assert reg.save(obj, "dataset:x").content_hash == h


def test_reproduce_a_run_captured_without_ipython(reg: Any) -> None:
    source = "import random\nvals = [random.random() for _ in range(3)]\n"
    ns: dict[str, Any] = {}
    run = TrackedRun(source, TrackSpec(outputs={"vals": "dataset:vals"}, seed=9))
    run.start(ns, lambda o: None)
    exec(source, ns)
    run.finish(None)
    created = run.save(reg, ns, env_blob=None, env_summary={}, remember=lambda o, r: None)
    assert created[0]["ref"] == "dataset:vals@1"
    report = reg.reproduce("dataset:vals@1")
    assert report.ok, report
    assert "match" in report._repr_html_()


def test_blobs_option_must_name_stored_blobs(reg: Any) -> None:
    cid, _ = reg.blobs.put(b"{}")
    v = reg.save([1], "dataset:a", blobs=[cid])
    assert reg.state["assets"]["dataset:a"]["versions"][0]["blobs"] == [cid]
    with pytest.raises(UsageInputError, match="not a stored blob"):
        reg.save([2], "dataset:a", blobs=["xxh3-128:" + "0" * 32])
    assert len(reg.state["assets"]["dataset:a"]["versions"]) == 1
    assert v.ref == "dataset:a@1"


def test_html_of_reports_is_escaped(reg: Any) -> None:
    from lifecycle_ext.registry.views.provenance import OutputCheck, ReproduceReport, TrackSummary

    r = ReproduceReport(
        ref="dataset:a@1",
        status="error",
        outputs=[OutputCheck("<i>", "r", "h", None, False, "<script>")],
        seed=None,
        seconds=0.0,
        uncaptured={"<b>": "<x>"},
        error="<img src=x>",
    )
    html = r._repr_html_()
    assert "<script>" not in html and "<img" not in html and "&lt;b&gt;" in html
    t = TrackSummary(status="failed", duration_s=0.1, inputs={"<v>": "dataset:a@1"}, error="<script>")
    assert "<script>" not in t._repr_html_() and "&lt;v&gt;" in t._repr_html_()
