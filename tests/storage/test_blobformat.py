"""The DIFF delta frame: zigzag differences of 2-, 4- and 8-byte elements, only the byte planes they need."""

from __future__ import annotations

import numpy as np
import pytest
import zstandard

from lifecycle_ext.core.errors import IntegrityError
from lifecycle_ext.storage import blobformat as bf
from lifecycle_ext.storage.blobs import BlobStore, content_id
from lifecycle_ext.storage.memory import MemoryStorage

DIGEST = bytes(range(16))


def _decoded(frame_bytes: bytes, base: bytes, offset: int = 0) -> bytes:
    out = np.empty(len(base) + offset, dtype=np.uint8)[offset:]  # offset > 0: an unaligned target
    bf.decode(bf.parse(frame_bytes), frame_bytes, base, out=out)
    fresh = bf.decode(bf.parse(frame_bytes), frame_bytes, base)
    assert fresh.tobytes() == out.tobytes()
    return out.tobytes()


def _cases(dtype: type) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(np.dtype(dtype).itemsize)
    w0 = rng.standard_normal(20_000).astype(dtype)
    cases = []
    for rel in (1e-4, 1e-2, 10.0):
        w1 = (w0 * (1 + rel * rng.standard_normal(w0.size))).astype(dtype)
        cases.append((w0, w1))
    odd = w0.copy()
    odd[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, -odd[5]]  # special values and a sign flip
    cases.append((w0, odd))
    info = np.iinfo(np.dtype(f"i{np.dtype(dtype).itemsize}"))
    lo = np.full(64, info.min, dtype=info.dtype).view(dtype)
    hi = np.full(64, info.max, dtype=info.dtype).view(dtype)
    cases += [(lo, hi), (hi, lo)]  # differences that wrap around the integer range
    return cases


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_diff_frames_round_trip_every_case(dtype):
    for base, data in _cases(dtype):
        frame_bytes = bf.encode_delta(data.tobytes(), base.tobytes(), DIGEST, 2, base.itemsize)
        frame = bf.parse(frame_bytes)
        assert (frame.method, frame.itemsize, frame.depth, frame.base) == (bf.DIFF, base.itemsize, 2, DIGEST)
        for offset in (0, 3):
            assert _decoded(frame_bytes, base.tobytes(), offset) == data.tobytes()


def _reference_planes(data: np.ndarray, base: np.ndarray) -> tuple[int, bytes]:
    """The documented layout computed with Python integers: zigzag of the wrapped difference, low bytes first."""
    bits = 8 * data.itemsize
    signed = np.dtype(f"<i{data.itemsize}")
    zz = []
    for a, b in zip(data.view(signed).tolist(), base.view(signed).tolist()):
        d = (a - b) % (1 << bits)
        d = d - (1 << bits) if d >= 1 << (bits - 1) else d
        zz.append(((d << 1) ^ (-1 if d < 0 else 0)) & ((1 << bits) - 1))
    planes = max(1, (max(zz).bit_length() + 7) // 8)
    return planes, b"".join(bytes((z >> (8 * i)) & 0xFF for z in zz) for i in range(planes))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_diff_layout_on_disk_is_the_documented_one(dtype):
    """Pinned against a reference written independently, so a faster encoder cannot silently change the format."""
    for base, data in _cases(dtype):
        base, data = base[:3000], data[:3000]
        frame_bytes = bf.encode_delta(data.tobytes(), base.tobytes(), DIGEST, 1, base.itemsize)
        frame = bf.parse(frame_bytes)
        planes, grouped = _reference_planes(data, base)
        assert frame.planes == planes
        assert zstandard.ZstdDecompressor().decompress(frame_bytes[frame.offset :]) == grouped


def test_a_fine_tune_stores_only_the_low_planes():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(1 << 18, dtype=np.float32)
    w1 = w0 * (1 + 1e-4 * rng.standard_normal(w0.size, dtype=np.float32))
    frame_bytes = bf.encode_delta(w1.tobytes(), w0.tobytes(), DIGEST, 1, 4)
    assert bf.parse(frame_bytes).planes == 2  # nudges of 1e-4 change at most the low 16 bits of the integer view
    assert len(frame_bytes) < 0.42 * w1.nbytes
    flipped = w1.copy()
    flipped[7] = -flipped[7]
    assert bf.parse(bf.encode_delta(flipped.tobytes(), w0.tobytes(), DIGEST, 1, 4)).planes == 4


def _frame(method: int, itemsize: int, length: int, planes: int | None, payload: bytes, base: bytes = DIGEST) -> bytes:
    head = bf._HEADER.pack(bf.MAGIC, bf.VERSION, method, itemsize, 1, length) + base
    return head + (bytes((planes,)) if planes is not None else b"") + payload


def _store_with_base(seed: int) -> tuple[MemoryStorage, BlobStore, np.ndarray, str]:
    """A store holding one float32 chunk (to be a delta's base): (storage, blobs, the chunk, its id)."""
    storage = MemoryStorage()
    blobs = BlobStore(storage)
    w0 = np.random.default_rng(seed).standard_normal(1 << 14, dtype=np.float32)
    base, _ = blobs.put(w0.tobytes(), itemsize=4)
    return storage, blobs, w0, base


def test_malformed_diff_frames_are_named():
    good = zstandard.ZstdCompressor().compress(bytes(2 * 100))
    for itemsize, length, planes, why in [
        (4, 400, 0, "planes 0"),
        (4, 400, 5, "planes 5"),
        (3, 300, 1, "itemsize 3"),
        (4, 402, 2, "length 402"),
    ]:
        with pytest.raises(bf.FormatError, match=why):
            bf.parse(_frame(bf.DIFF, itemsize, length, planes, good))
    with pytest.raises(bf.FormatError, match="truncated"):
        bf.parse(_frame(bf.DIFF, 4, 400, None, b""))
    short = _frame(bf.DIFF, 4, 400, 1, good)  # the planes hold 200 bytes, one plane of 100 elements is 100
    with pytest.raises(bf.FormatError, match="holds 200 bytes where its header says 100"):
        bf.decode(bf.parse(short), short, bytes(400))
    whole = _frame(bf.DIFF, 4, 400, 2, good)
    assert bf.decode(bf.parse(whole), whole, bytes(400)).tobytes() == bytes(400)  # zero differences: the base
    with pytest.raises(bf.FormatError, match="needs its base"):
        bf.decode(bf.parse(whole), whole, bytes(10))


def test_a_corrupt_diff_frame_in_the_store_is_an_integrity_error():
    storage, blobs, w0, base = _store_with_base(0)
    cid, _ = blobs.put((w0 * np.float32(1.0001)).tobytes(), itemsize=4, base=base)
    stored = bytearray(storage.read(blobs.key(cid)))
    assert bf.parse(bytes(stored)).method == bf.DIFF
    stored[bf.HEAD_BYTES - 1] = 1  # claims fewer planes than the payload holds
    storage.replace(blobs.key(cid), bytes(stored))
    with pytest.raises(IntegrityError, match=f"blob {cid} is corrupt"):
        blobs.get(cid)


def test_xor_deltas_written_before_diff_still_read():
    """A 4-byte chunk stored as an XOR delta (the only delta method before DIFF) decodes through its base."""
    storage, blobs, w0, base = _store_with_base(1)
    w1 = w0 * np.float32(1.001)
    grouped = np.bitwise_xor(w1.view(np.uint8), w0.view(np.uint8)).reshape(-1, 4).T.tobytes()
    packed = zstandard.ZstdCompressor(level=1).compress(grouped)
    legacy = _frame(bf.DELTA, 4, w1.nbytes, None, packed, base=bytes.fromhex(base.split(":")[1]))
    cid = content_id(w1.tobytes())
    storage.create(blobs.key(cid), legacy)
    assert blobs.base_of(cid) == base
    assert blobs.get(cid) == w1.tobytes()
    out = np.empty(w1.nbytes, dtype=np.uint8)
    blobs.get_into(cid, memoryview(out))
    assert out.tobytes() == w1.tobytes()
