"""Every storage backend passes the same suite (local folder, memory twin, fsspec URLs)."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
import zstandard

from lifecycle_ext.core.errors import IntegrityError, InvalidRef, NotFound
from lifecycle_ext.storage import blobformat as bf
from lifecycle_ext.storage.blobs import BlobStore, content_id
from lifecycle_ext.storage.local import LocalStorage
from lifecycle_ext.storage.memory import MemoryStorage
from lifecycle_ext.storage.remote import FsspecStorage


@pytest.fixture(params=["local", "memory", "fsspec-memory"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "r")
    if request.param == "memory":
        return MemoryStorage()
    if request.param == "fsspec-memory":
        return FsspecStorage(f"memory://conf-{tmp_path.name}/r")


def test_create_is_exclusive_and_whole(storage):
    assert storage.create("a/b/c.json", b"one")
    assert not storage.create("a/b/c.json", b"two")
    assert storage.read("a/b/c.json") == b"one"


def test_create_runs_meanwhile_once_whether_or_not_it_creates(storage):
    """``meanwhile`` (a save hashes the chunk there while the disk writes it) runs exactly once per create, also
    when the object already existed, and after the bytes were handed over: what it sees stored is whole."""
    calls: list[str] = []
    assert storage.create("m/one", b"first", meanwhile=lambda: calls.append("new"))
    assert not storage.create("m/one", b"second", meanwhile=lambda: calls.append("existing"))
    assert calls == ["new", "existing"] and storage.read("m/one") == b"first"


def test_a_failing_meanwhile_stores_nothing(tmp_path):
    """On a local folder ``meanwhile`` runs before the file is published: when it fails, the key stays absent
    and no temporary file is left behind, so a retry writes it whole."""
    storage = LocalStorage(tmp_path / "r")

    def boom() -> None:
        raise RuntimeError("hash failed")

    with pytest.raises(RuntimeError, match="hash failed"):
        storage.create("m/one", b"bytes", meanwhile=boom)
    assert not storage.exists("m/one") and storage.temp_files() == []
    assert storage.create("m/one", b"bytes") and storage.read("m/one") == b"bytes"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")
def test_writeback_hint_is_available_on_linux(tmp_path):
    """The head start the writer gives the disk before hashing is Linux's ``sync_file_range``, reached through
    ctypes (Python's ``os`` lacks it); a call on a written file succeeds."""
    from lifecycle_ext.storage import local

    fn = local._sync_file_range()
    assert fn is not None
    with open(tmp_path / "f", "wb") as f:
        f.write(b"x" * 65536)
        f.flush()
        assert fn(f.fileno(), 0, 0, local._SYNC_FILE_RANGE_WRITE) == 0


def test_blob_put_runs_meanwhile_once_on_every_path(storage):
    """A new blob, one already stored, and one the caller knows is stored (a parent's chunk) each run the
    caller's ``meanwhile`` exactly once, so a save's digest is computed for every chunk that needs one."""
    blobs = BlobStore(storage)
    data = np.arange(100_000, dtype=np.float32).tobytes()
    calls: list[int] = []
    cid, n = blobs.put(data, itemsize=4, meanwhile=lambda: calls.append(1))
    assert n > 0 and calls == [1]
    assert blobs.put(data, meanwhile=lambda: calls.append(2)) == (cid, 0)
    assert blobs.put(data, known={cid}, meanwhile=lambda: calls.append(3)) == (cid, 0)
    assert calls == [1, 2, 3] and blobs.get(cid) == data


def test_read_missing_is_notfound(storage):
    with pytest.raises(NotFound, match="missing"):
        storage.read("nope/x")


def test_replace_and_list_and_delete(storage):
    storage.replace("cp/1.json", b"x")
    storage.replace("cp/1.json", b"y")
    storage.create("cp/2.json", b"z")
    assert storage.read("cp/1.json") == b"y"
    assert storage.list("cp") == ["1.json", "2.json"]
    assert storage.list("nothing-here") == []
    storage.delete("cp/1.json")
    assert not storage.exists("cp/1.json")
    assert storage.exists("cp/2.json")
    assert storage.age_seconds("cp/2.json") >= 0


def test_concurrent_create_has_one_winner(storage):
    wins = []

    def go(i):
        if storage.create("race/key", f"writer {i}".encode()):
            wins.append(i)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert storage.read("race/key") == f"writer {wins[0]}".encode()


def test_local_refuses_path_tricks(tmp_path):
    s = LocalStorage(tmp_path / "r")
    for bad in ("../escape", "/abs", "a/../../b", "a\\b"):
        with pytest.raises(InvalidRef):
            s.create(bad, b"x")
    assert not (tmp_path / "escape").exists()


def test_read_head_is_a_prefix(storage):
    storage.create("h/x", b"0123456789")
    assert storage.read_head("h/x", 4) == b"0123"
    assert storage.read_head("h/x", 100) == b"0123456789"
    with pytest.raises(NotFound):
        storage.read_head("h/missing", 4)


# -- blobs over every backend: compressed, delta and raw forms read back verified ------------------------------
def _weights(n: int = 1 << 18, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def test_blobs_compress_numbers_and_keep_their_ids(storage):
    blobs = BlobStore(storage)
    ints = np.arange(1 << 18, dtype=np.int64).tobytes()
    cid, stored = blobs.put(ints, itemsize=8)
    assert cid == content_id(ints)  # the id names the uncompressed bytes
    assert 0 < stored < len(ints) / 20
    assert blobs.get(cid) == ints and bytes(blobs.get_view(cid)) == ints
    assert blobs.put(ints, itemsize=8) == (cid, 0)  # dedup on content, whatever the stored form
    noise = np.random.default_rng(1).bytes(1 << 16)
    nid, nstored = blobs.put(noise)
    assert nstored == len(noise)  # incompressible: stored raw (and mappable on local folders)
    assert blobs.get(nid) == noise and bytes(blobs.get_view(nid)) == noise


def test_blobs_store_a_nudged_float_chunk_as_a_delta(storage):
    blobs = BlobStore(storage)
    w0 = _weights()
    base, _ = blobs.put(w0.tobytes(), itemsize=4)
    w1 = w0 * (1 + 1e-4 * np.random.default_rng(2).standard_normal(w0.size).astype(np.float32))
    cid, stored = blobs.put(w1.tobytes(), itemsize=4, base=base)
    alone = len(bf.encode(w1.tobytes(), 4) or w1.tobytes())
    assert stored < 0.75 * alone and stored < 0.6 * w1.nbytes
    assert blobs.base_of(cid) == base and blobs.base_of(base) is None
    assert blobs.get(cid) == w1.tobytes() and bytes(blobs.get_view(cid)) == w1.tobytes()
    out = np.empty(w1.nbytes, dtype=np.uint8)
    blobs.get_into(cid, memoryview(out))
    assert out.tobytes() == w1.tobytes()


def test_delta_chains_are_bounded(storage):
    blobs = BlobStore(storage)
    w = _weights(1 << 16)
    prev, _ = blobs.put(w.tobytes(), itemsize=4)
    chain = [prev]
    for _step in range(bf.MAX_DEPTH + 2):
        w = w * np.float32(1 + 1e-4)
        prev, _ = blobs.put(w.tobytes(), itemsize=4, base=prev)
        chain.append(prev)
    depths = []
    for cid in chain:
        d, b = 0, blobs.base_of(cid)
        while b is not None:
            d, b = d + 1, blobs.base_of(b)
        depths.append(d)
    assert max(depths) == bf.MAX_DEPTH and 0 in depths[1:]  # the chain restarts with a chunk stored alone
    assert blobs.get(chain[-1]) == w.tobytes()


def test_a_delta_whose_base_is_lost_or_damaged_is_named(storage):
    blobs = BlobStore(storage)
    w0 = _weights(1 << 16)
    base, _ = blobs.put(w0.tobytes(), itemsize=4)
    cid, _ = blobs.put((w0 * np.float32(1.0001)).tobytes(), itemsize=4, base=base)
    assert blobs.base_of(cid) == base
    storage.replace(blobs.key(base), bf.raw(np.zeros(w0.size, np.float32).tobytes()))
    with pytest.raises(IntegrityError, match="delta against a corrupt blob"):
        blobs.get(cid)
    storage.delete(blobs.key(base))
    with pytest.raises(NotFound, match=f"delta against blob {base}"):
        blobs.get(cid)


def test_raw_blobs_that_look_like_frames_still_read(storage):
    blobs = BlobStore(storage)
    tricky = bf.MAGIC + np.random.default_rng(3).bytes(1000)
    cid, _ = blobs.put(tricky)  # written behind a STORED header
    assert blobs.get(cid) == tricky
    legacy = bf.MAGIC + b"\x07" * 40  # as an older version would have stored it: the raw bytes
    lid = content_id(legacy)
    storage.create(blobs.key(lid), legacy)
    assert blobs.get(lid) == legacy and bytes(blobs.get_view(lid)) == legacy


@pytest.mark.parametrize("itemsize", [1, 2, 3, 4, 8, 16])
def test_byte_grouping_round_trips_every_width_and_ragged_tail(itemsize):
    """Grouped frames (compressed and delta) decode to the very bytes, whatever the element width, including
    a length that is not a multiple of it."""
    rng = np.random.default_rng(itemsize)
    data = (rng.integers(0, 4, 50_003, dtype=np.uint8) * 3).tobytes()  # compressible, ragged for widths > 1
    stored = bf.encode(data, itemsize)
    assert stored is not None
    assert bf.decode(bf.parse(stored), stored).tobytes() == data
    # the layout on disk is the documented one (byte 0 of every element, then byte 1, ..., the ragged tail last),
    # whichever way it is computed, so frames written before and after any speed-up read the same
    n = len(data) - len(data) % itemsize
    items = np.frombuffer(data, dtype=np.uint8)[:n].reshape(-1, itemsize)
    reference = b"".join(items[:, i].tobytes() for i in range(itemsize)) + data[n:]
    frame = bf.parse(stored)
    assert zstandard.ZstdDecompressor().decompress(stored[frame.offset :]) == reference
    base = rng.integers(0, 256, len(data), dtype=np.uint8).tobytes()
    delta = bf.encode_delta(data, base, b"\0" * 16, 1, itemsize)
    out = np.empty(len(data), dtype=np.uint8)
    bf.decode(bf.parse(delta), delta, base, out=out)
    assert out.tobytes() == data
