"""The same registry code on real S3-compatible object storage (SeaweedFS) through fsspec/s3fs."""

from __future__ import annotations

import threading
import uuid

import numpy as np
import pandas as pd
import pytest

import lifecycle_ext
from lifecycle_ext.registry.compose import storage_for

pytestmark = pytest.mark.s3


@pytest.fixture
def url():
    return f"s3://lifecycle/{uuid.uuid4().hex}"


def test_conformance_on_s3(s3_server, url):
    st = storage_for(url, **s3_server)
    assert st.create("a/b.json", b"one")
    assert not st.create("a/b.json", b"two")
    assert st.read("a/b.json") == b"one"
    st.replace("cp/1.json", b"x")
    assert st.list("cp") == ["1.json"] and st.exists("cp/1.json")
    st.delete("cp/1.json")
    assert not st.exists("cp/1.json")


def test_create_race_has_one_winner_on_s3(s3_server, url):
    st = storage_for(url, **s3_server)
    wins = []

    def go(i):
        if storage_for(url, **s3_server).create("race/key", f"w{i}".encode()):
            wins.append(i)

    ts = [threading.Thread(target=go, args=(i,)) for i in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(wins) == 1 and st.read("race/key") == f"w{wins[0]}".encode()


def test_registry_roundtrip_lineage_and_verify_on_s3(s3_server, url):
    reg = lifecycle_ext.open_registry(url, user="remote", checkpoint_every=3, **s3_server)
    df = pd.DataFrame({"x": np.arange(1000), "s": [f"r{i}" for i in range(1000)]})
    d = reg.save(df, "dataset:remote", metadata={"source": "s3 test"})
    m = reg.save(np.ones((100, 10), np.float32), "model:remote", inputs=[d.ref], metrics={"acc": 0.9})
    reg.save(np.ones((100, 10), np.float32), "model:remote", inputs=[d.ref], metrics={"acc": 0.9})  # dedup
    again = lifecycle_ext.open_registry(url, **s3_server)
    pd.testing.assert_frame_equal(again.load(d.ref), df)
    assert again.lineage(d.ref, "down").downstream == [m.ref]
    assert len(again.versions("model:remote")) == 1
    assert again.verify().ok
