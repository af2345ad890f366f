"""One request where one decides, counted on an fsspec filesystem (the S3 twin is tests/s3/test_s3_requests.py)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

import lifecycle_ext
from tests.support.counting import RequestCounter


@pytest.fixture
def remote(clock):
    return lifecycle_ext.open_registry(f"memory://economy-{uuid.uuid4().hex}/reg", user="ann", clock=clock)


def test_a_new_blob_is_one_create_only_write_and_a_read_is_one_read(remote):
    with RequestCounter(remote.storage.fs) as c:
        cid, stored = remote.blobs.put(np.random.default_rng(0).bytes(5000))
        assert stored == 5000 and dict(c.reset()) == {"open": 1}  # no exists() probe before it
        assert remote.blobs.put(np.random.default_rng(0).bytes(5000)) == (cid, 0)  # the write itself said "exists"
        assert dict(c.reset()) == {"open": 1}
        remote.blobs.get(cid)
        assert dict(c.reset()) == {"cat_file": 1}


def test_save_writes_each_new_chunk_once_and_resave_skips_the_parents_chunks(remote):
    arr = np.random.default_rng(0).standard_normal((1024, 4096)).astype(np.float32)  # 16 MB: 4 chunks
    fs = remote.storage.fs
    with RequestCounter(fs) as c:
        v1 = remote.save(arr, "model:m")
        first = c.reset()
        arr2 = arr.copy()
        arr2[:8] += 1  # one chunk changes
        remote.save(arr2, "model:m")
        second = c.reset()
        back = remote.load(v1.ref)
        load = c.reset()
    chunks = len([k for k in remote.manifest(v1.ref)["entries"] if "/c/" in k])
    assert chunks == 4 and np.array_equal(back, arr)
    # one exists: the event log's check that no later event than the one it writes exists (issue 14)
    assert first["exists"] == 1 and "info" not in first
    assert first["open"] == chunks + 2 + 1 + 1  # chunks, 2 zarr documents, manifest, event
    assert second["open"] == 1 + 1 + 1  # the changed chunk, the manifest, the event: nothing else written
    assert second["exists"] == 1 and "info" not in second  # only the event log's later-event check
    assert load["cat_file"] <= chunks + 3 + 1  # chunks, manifest and documents, the next-event probe
    assert set(load) == {"cat_file"}
