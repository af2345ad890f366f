"""Requests on the wire to a real S3 server (SeaweedFS), counted at botocore: one request where one decides."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

import lifecycle_ext
from tests.support.counting import RequestCounter

pytestmark = pytest.mark.s3


def test_blob_and_save_request_counts_on_s3(s3_server):
    reg = lifecycle_ext.open_registry(f"s3://lifecycle/{uuid.uuid4().hex}", user="remote", **s3_server)
    arr = np.random.default_rng(0).standard_normal((2048, 4096)).astype(np.float32)  # 32 MB: 8 chunks
    with RequestCounter(reg.storage.fs) as c:
        cid, _ = reg.blobs.put(b"a new blob")
        assert dict(c.reset()) == {"PutObject": 1}  # If-None-Match: *, no HEAD/LIST first
        assert reg.blobs.put(b"a new blob") == (cid, 0)  # the 412 decides
        assert dict(c.reset()) == {"PutObject": 1}
        assert reg.blobs.get(cid) == b"a new blob"
        assert dict(c.reset()) == {"GetObject": 1}  # no HEAD
        assert reg.state["seq"] >= -1
        assert dict(c.reset()) == {"GetObject": 1}  # the next-event probe: one GET 404, no HEAD + LIST
        v1 = reg.save(arr, "model:m")
        save = c.reset()
        arr2 = arr.copy()
        arr2[:8] += 1
        reg.save(arr2, "model:m")
        resave = c.reset()
        assert np.array_equal(reg.load(v1.ref), arr)
        load = c.reset()
    assert save["PutObject"] == 8 + 2 + 1 + 1  # 8 chunks, 2 zarr documents, manifest, event
    assert set(save) == {"PutObject", "GetObject"} and save["GetObject"] <= 3  # event-log probes only
    assert resave["PutObject"] == 3 and "HeadObject" not in resave  # changed chunk, manifest, event
    assert resave["GetObject"] <= 5  # log probes, parent manifest, the parent's chunk as delta base
    assert set(load) == {"GetObject"} and load["GetObject"] <= 8 + 3 + 2
