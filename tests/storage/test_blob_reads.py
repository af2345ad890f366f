"""Blob reads that map local files: verified in place, same errors as a plain read."""

from __future__ import annotations

import os

import numpy as np
import pytest

from lifecycle_ext.core.errors import IntegrityError, NotFound
from lifecycle_ext.storage.blobs import BlobStore, content_id
from lifecycle_ext.storage.local import LocalStorage
from lifecycle_ext.storage.memory import MemoryStorage


@pytest.fixture(params=["local", "memory"])
def blobs(request, tmp_path):
    return BlobStore(LocalStorage(tmp_path, fsync=False) if request.param == "local" else MemoryStorage())


def test_view_and_into_return_the_verified_bytes(blobs):
    data = np.random.default_rng(0).bytes(3 * 1024 * 1024 + 17)
    cid, _ = blobs.put(data)
    assert bytes(blobs.get_view(cid)) == data
    out = np.empty(len(data), dtype=np.uint8)
    blobs.get_into(cid, memoryview(out))
    assert out.tobytes() == data
    with pytest.raises(IntegrityError, match="expected"):
        blobs.get_into(cid, memoryview(np.empty(10, dtype=np.uint8)))
    empty, _ = blobs.put(b"")
    assert bytes(blobs.get_view(empty)) == b""


@pytest.mark.parametrize("data", [np.random.default_rng(1).bytes(100_000), b"x" * 100_000], ids=["raw", "compressed"])
def test_missing_and_corrupt_blobs_are_named(tmp_path, data):
    blobs = BlobStore(LocalStorage(tmp_path, fsync=False))
    cid, stored = blobs.put(data)
    assert (stored < len(data) / 10) == (data[:1] == b"x")  # repetitive bytes are stored compressed
    path = tmp_path / blobs.key(cid)
    os.chmod(path, 0o644)
    raw = bytearray(path.read_bytes())
    raw[min(500, len(raw) - 1)] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(IntegrityError, match=cid):
        blobs.get_view(cid)
    path.unlink()
    with pytest.raises(NotFound, match=cid):
        blobs.get_view(cid)
    with pytest.raises(NotFound):
        blobs.get_view(content_id(b"never stored"))


@pytest.mark.parametrize("data", [np.random.default_rng(2).bytes(1 << 20), b"y" * (1 << 20)], ids=["raw", "compressed"])
def test_get_into_reads_in_place_and_still_refuses_a_corrupt_blob(tmp_path, data):
    """A raw blob of the expected size is read straight into the destination (``read_into``) and hashed there;
    a flipped byte, in a raw or in a compressed blob, still raises and names the blob."""
    storage = LocalStorage(tmp_path, fsync=False)
    blobs = BlobStore(storage)
    cid, _ = blobs.put(data)
    out = np.empty(len(data), dtype=np.uint8)
    assert storage.read_into(blobs.key(cid), memoryview(out)) == (data[:1] != b"y")  # only raw blobs fit
    blobs.get_into(cid, memoryview(out))
    assert out.tobytes() == data
    path = tmp_path / blobs.key(cid)
    os.chmod(path, 0o644)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(IntegrityError, match=cid):
        blobs.get_into(cid, memoryview(np.empty(len(data), dtype=np.uint8)))
