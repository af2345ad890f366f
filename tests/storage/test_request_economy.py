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


def test_event_log_requests_scale_with_packs_not_events_on_fsspec(clock):
    """200 events in 4 packs of 50 on an fsspec filesystem: opening without a checkpoint and ``audit(ref)`` read
    the packs (one request each) and a few more, never one request per event; an append is two requests."""
    url = f"memory://economy-{uuid.uuid4().hex}/reg"
    reg = lifecycle_ext.open_registry(url, user="ann", clock=clock, checkpoint_every=50)
    reg.save({"w": 1}, "model:m")
    for i in range(199):
        reg.log.append(lambda st, i=i: ("TagAdded", {"asset": "model:m", "number": 1, "tag": f"t{i}"}), "ann")
    fs = reg.storage.fs
    for path in fs.ls(f"{reg.storage.root}/log/checkpoints", detail=False):
        fs.rm_file(path)
    with RequestCounter(fs) as c:
        again = lifecycle_ext.open_registry(url, user="ann", clock=clock, checkpoint_every=50)
        opened = c.reset()
        assert again.state["seq"] == 199
        assert dict(c.reset()) == {"cat_file": 1}  # reg.state: one read of the next event's key (absent)
        again.log.append(lambda st: ("TagAdded", {"asset": "model:m", "number": 1, "tag": "x"}), "ann")
        append = c.reset()
        again.log.append(lambda st: ("TagAdded", {"asset": "model:m", "number": 1, "tag": "y"}), "ann")
        append2 = c.reset()
        df = again.audit("model:m@1")
        audit = c.reset()
    assert len(df) == 202
    assert opened["cat_file"] == 4 + 1 + 1  # the packs, the event proving the newest one, the probe after the head
    assert sum(opened.values()) <= 12, opened  # plus listings of packs, checkpoints and the newest event folder
    # within a second of the probe at open: the later-event check and the create-exclusive write, nothing else
    assert dict(append) == {"exists": 1, "open": 1} and dict(append2) == {"exists": 1, "open": 1}
    assert sum(audit.values()) <= 4 + 2 + 2 + 2, audit  # proved packs are not re-read: the listing, the tail
