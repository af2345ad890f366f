"""Erasure on a real S3-compatible server (SeaweedFS): the acceptance checks of tests/registry/test_erasure.py."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

import lifecycle_ext
from lifecycle_ext.core.errors import Erased
from lifecycle_ext.registry.compose import storage_for
from tests.registry import erasure_scenario as sc

pytestmark = pytest.mark.s3


def objects(url: str, opts: dict) -> dict[str, bytes]:
    st = storage_for(url, **opts)
    root = url.removeprefix("s3://")
    return {p: st.fs.cat_file(p) for p in st.fs.find(root)}


def test_erasure_on_s3(s3_server):
    url = f"s3://lifecycle/{uuid.uuid4().hex}"
    reg = lifecycle_ext.open_registry(url, user="alice", checkpoint_every=3, **s3_server)
    frames = sc.populate(reg)
    assert {label for _, label in sc.find_needles(objects(url, s3_server))} == set(sc.needles())

    report = reg.erase("dataset:patients", sc.ERASED, reason="erasure request", basis="GDPR Art. 17 request #123")

    assert [v["successor"] for v in report.versions] == [5, 6, 7, 8]
    again = lifecycle_ext.open_registry(url, user="alice", **s3_server)
    for original, n in zip(frames, (5, 6, 7, 8)):
        pd.testing.assert_frame_equal(again.load(f"dataset:patients@{n}"), sc.expected_successor(original))
    assert sc.find_needles(objects(url, s3_server)) == []
    v = again.verify()
    assert v.ok, v.problems
    assert v.erased and {e["event"] for e in v.erased} == {report.event}
    assert [m["model"] for m in report.models] == ["model:risk@1"] and report.models[0]["stage"] == "staging"
    with pytest.raises(Erased, match="dataset:patients@6"):
        again.load("dataset:patients@2")
    text = again.audit().to_json()
    assert "ContentErased" in text and not any(n.decode() in text for n in sc.needles().values() if n.isascii())
