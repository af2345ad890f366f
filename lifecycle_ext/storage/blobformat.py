"""How a blob's bytes are stored: as they are, zstd-compressed (byte-grouped for numbers), or as a delta.

A blob's content id is always the hash of its *uncompressed* bytes, so deduplication and verification do not
depend on how it is stored. A stored object is either the raw bytes (every blob written before compression
existed, and any blob that does not compress) or a frame::

    MAGIC (8 bytes) | version u8 | method u8 | itemsize u8 | depth u8 | raw length u64 (little-endian)
    [base digest, 16 bytes: methods DELTA and DIFF] [planes u8: method DIFF only] | zstd frame

- ``ZSTD``: the bytes, byte-grouped by ``itemsize`` when it is > 1 (byte 0 of every element, then byte 1, ...:
  the sign/exponent bytes of floats and the high bytes of small integers line up and compress), then zstd.
- ``DIFF``: the difference from the *base* blob (the chunk at the same position in the parent version, same
  length) for elements of 2, 4 or 8 bytes: each element's bytes read as a little-endian signed integer, the
  base's subtracted (wrapping), the difference zigzag-encoded (``(d << 1) ^ (d >> bits-1)``: 0, -1, 1, -2 ...
  become 0, 1, 2, 3 ...), only the low ``planes`` bytes of each kept (the fewest that hold the largest),
  byte-grouped (byte 0 of every difference, then byte 1, ...) and zstd-compressed. The integer view of a
  float is monotonic in its value for each sign, so a fine-tune that nudges every weight gives small
  differences, also where a nudge crosses a power of two: their high bytes are not stored at all and the next
  ones are mostly zero. ``depth`` counts the deltas below this one (a base that
  is itself a delta has depth 1...), bounded by :data:`MAX_DEPTH` so a read never fetches more than a few
  objects.
- ``DELTA``: XOR with the base blob, byte-grouped and zstd-compressed: deltas of other element widths (and
  every delta written before ``DIFF`` existed, which readers still accept).
- ``STORED``: the raw bytes behind a header; only used for data that itself begins with ``MAGIC``, so that
  a stored object starting with ``MAGIC`` is always a frame (readers still accept an old raw blob that happens
  to start with it, by its hash).
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MAGIC",
    "STORED",
    "ZSTD",
    "DELTA",
    "DIFF",
    "MAX_DEPTH",
    "MIN_SAVING",
    "Frame",
    "FormatError",
    "parse",
    "encode",
    "encode_delta",
    "decode",
    "raw",
    "HEAD_BYTES",
]

MAGIC = b"\x89LCB\r\n\x1a\n"
_HEADER = struct.Struct("<8sBBBBQ")
VERSION = 1
STORED, ZSTD, DELTA, DIFF = 0, 1, 2, 3
HEAD_BYTES = _HEADER.size + 17  # enough to read any frame's header including a delta's base and planes
# DIFF's element widths: each element's bytes as a signed integer (the difference), unsigned (its zigzag form)
_SIGNED: dict[int, np.dtype[Any]] = {w: np.dtype(f"<i{w}") for w in (2, 4, 8)}
_UNSIGNED: dict[int, np.dtype[Any]] = {w: np.dtype(f"<u{w}") for w in (2, 4, 8)}
# zstd for DIFF planes: level 1's fast strategy with a longer minimum match and a small hash table. The planes
# are short-alphabet bytes with few real matches; level 1 spends ~1.5x the time probing for them (measured on
# float32 fine-tune planes: same size within 0.01%).
_DIFF_ZSTD = {"window_log": 17, "hash_log": 6, "chain_log": 6, "search_log": 1, "min_match": 6, "target_length": 0}
MAX_DEPTH = 3  # a delta of a delta of a delta at most: a chunk reads at most 4 objects
MIN_SAVING = 0.25  # store compressed only when it saves at least this fraction (else raw: mapped, zero-copy reads)
MIN_SIZE = 1024  # below this, compression saves too little to be worth a frame
LEVEL = 1

_local = threading.local()
_SCRATCH_MAX = 16 << 20  # per-thread intermediate buffers up to this size are reused (chunks are ~4 MiB)


class FormatError(ValueError):
    """The stored bytes look like a frame but are not a valid one."""


@dataclass(frozen=True)
class Frame:
    method: int
    itemsize: int
    depth: int
    length: int
    base: bytes | None  # the base blob's 16-byte digest (DELTA and DIFF)
    offset: int  # where the payload starts
    planes: int = 0  # DIFF: how many low bytes of each difference are stored


def _cctx() -> Any:
    c = getattr(_local, "c", None)
    if c is None:
        import zstandard

        c = _local.c = zstandard.ZstdCompressor(level=LEVEL)
    return c


def _dctx() -> Any:
    d = getattr(_local, "d", None)
    if d is None:
        import zstandard

        d = _local.d = zstandard.ZstdDecompressor()
    return d


def parse(stored: bytes | memoryview | Any) -> Frame | None:
    """The frame header of ``stored``, or None when these are raw bytes (no ``MAGIC``)."""
    if len(stored) < _HEADER.size or bytes(stored[:8]) != MAGIC:
        return None
    magic, version, method, itemsize, depth, length = _HEADER.unpack_from(stored, 0)
    if version != VERSION or method not in (STORED, ZSTD, DELTA, DIFF) or itemsize < 1:
        raise FormatError(f"unknown blob frame (version {version}, method {method}, itemsize {itemsize})")
    base = None
    offset = _HEADER.size
    planes = 0
    if method in (DELTA, DIFF):
        if len(stored) < offset + 16 + (method == DIFF):
            raise FormatError("delta frame is truncated")
        base = bytes(stored[offset : offset + 16])
        offset += 16
    if method == DIFF:
        planes = int(stored[offset])
        offset += 1
        if itemsize not in _SIGNED or length % itemsize or not 1 <= planes <= itemsize:
            raise FormatError(f"difference frame is malformed (itemsize {itemsize}, planes {planes}, length {length})")
    return Frame(method, itemsize, depth, length, base, offset, planes)


def _scratch(name: str, n: int) -> np.ndarray:
    """A per-thread reusable uint8 buffer of ``n`` bytes: a fresh 4 MiB array per chunk costs its page faults
    every time, and writers run one chunk per thread. Only for intermediates that do not outlive the call."""
    if n > _SCRATCH_MAX:  # a large single blob (a model file): not kept per thread
        return np.empty(n, dtype=np.uint8)
    buf: np.ndarray | None = getattr(_local, name, None)
    if buf is None or len(buf) < n:
        buf = np.empty(max(n, 1), dtype=np.uint8)
        setattr(_local, name, buf)
    return buf[:n]


def _group(data: np.ndarray, itemsize: int, scratch: bool = False) -> np.ndarray:
    """Byte-group ``data`` (uint8): byte 0 of every element, then byte 1, ...; a ragged tail stays last.
    ``scratch``: into this thread's reusable buffer (valid until the thread's next grouping)."""
    if itemsize <= 1:
        return data
    n = len(data) - len(data) % itemsize
    grouped = _scratch("group", len(data)) if scratch else np.empty(len(data), dtype=np.uint8)
    grouped[:n].reshape(itemsize, -1)[:] = data[:n].reshape(-1, itemsize).T
    grouped[n:] = data[n:]
    return grouped


def _ungroup(grouped: np.ndarray, itemsize: int, out: np.ndarray) -> None:
    if itemsize <= 1:
        out[:] = grouped
        return
    n = len(grouped) - len(grouped) % itemsize
    if itemsize <= 4:  # one strided pass per byte plane: ~3x faster than the transposed copy for 2- and 4-byte items
        items, planes = out[:n].reshape(-1, itemsize), grouped[:n].reshape(itemsize, -1)
        for i in range(itemsize):
            items[:, i] = planes[i]
    else:
        out[:n].reshape(-1, itemsize)[:] = grouped[:n].reshape(itemsize, -1).T
    out[n:] = grouped[n:]


def _undiff(grouped: np.ndarray, frame: Frame, base: np.ndarray, out: np.ndarray) -> None:
    """``out`` = ``base`` + the differences a ``DIFF`` frame's planes hold."""
    signed = _SIGNED[frame.itemsize]
    zigzag = out.view(_UNSIGNED[frame.itemsize])
    if frame.planes == frame.itemsize:
        _ungroup(grouped, frame.itemsize, out)
    else:  # from the top plane down: shift each lower byte in
        planes = grouped.reshape(frame.planes, -1)
        np.copyto(zigzag, planes[-1])
        for i in range(frame.planes - 2, -1, -1):
            np.left_shift(zigzag, 8, out=zigzag)
            np.bitwise_or(zigzag, planes[i], out=zigzag)
    low = np.bitwise_and(zigzag, 1, out=_scratch("shift", len(out)).view(zigzag.dtype)).view(signed)
    np.negative(low, out=low)  # 0 or -1: the sign
    np.right_shift(zigzag, 1, out=zigzag)
    d = np.bitwise_xor(zigzag.view(signed), low, out=zigzag.view(signed))
    np.add(d, base.view(signed), out=d)  # wraps around, as the subtraction did


def _u8(data: bytes | memoryview | Any) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


def _header(method: int, itemsize: int, depth: int, length: int) -> bytes:
    return _HEADER.pack(MAGIC, VERSION, method, itemsize, depth, length)


def raw(data: bytes | memoryview) -> bytes | memoryview:
    """What to store for ``data`` uncompressed: the bytes themselves, or a ``STORED`` frame when they happen to
    begin with ``MAGIC`` (so that a stored object beginning with it is always a frame)."""
    if bytes(memoryview(data)[:8]) == MAGIC:
        return _header(STORED, 1, 0, memoryview(data).nbytes) + bytes(data)
    return data


PROBE_BYTES = 64 << 10  # a large chunk is compressed in full only when its first 64 KiB compress at all


def _sample_compresses(data: bytes | memoryview, itemsize: int) -> bool:
    """Whether the first :data:`PROBE_BYTES` of ``data`` save at least half of :data:`MIN_SAVING` compressed (a
    margin below the threshold the whole chunk must meet, so a chunk that compresses is not judged by its start)."""
    head = _u8(data)[: PROBE_BYTES - PROBE_BYTES % itemsize]
    return len(_cctx().compress(_group(head, itemsize, scratch=True))) <= len(head) * (1 - MIN_SAVING / 2)


def encode(data: bytes | memoryview, itemsize: int = 1) -> bytes | None:
    """A ``ZSTD`` frame for ``data`` when it saves at least :data:`MIN_SAVING`, else None (see :func:`raw`)."""
    n = memoryview(data).nbytes
    itemsize = max(1, min(int(itemsize), 255))
    if n >= MIN_SIZE:
        if n >= 4 * PROBE_BYTES and not _sample_compresses(data, itemsize):
            return None  # incompressible (random-looking floats, packed data): skip the full compression pass
        packed: bytes = _cctx().compress(_group(_u8(data), itemsize, scratch=True))
        if _HEADER.size + len(packed) <= n * (1 - MIN_SAVING):
            return _header(ZSTD, itemsize, 0, n) + packed
    return None


def encode_delta(
    data: bytes | memoryview, base: bytes | memoryview | Any, digest: bytes, depth: int, itemsize: int
) -> bytes:
    """A delta frame of ``data`` against ``base`` (same length; ``digest``: the base's 16-byte id): ``DIFF`` for
    2-, 4- and 8-byte elements, else ``DELTA`` (XOR, byte-grouped, zstd)."""
    a, b = _u8(data), _u8(base)
    if len(a) != len(b):
        raise ValueError("a delta needs a base of the same length")
    itemsize = max(1, min(int(itemsize), 255))
    if itemsize in _SIGNED and len(a) % itemsize == 0 and len(a):
        return _encode_diff(a, b, digest, depth, itemsize)
    x = np.bitwise_xor(a, b, out=_scratch("xor", len(a)))
    packed: bytes = _cctx().compress(_group(x, itemsize, scratch=True))
    return _header(DELTA, itemsize, depth, len(a)) + digest + packed


def _diff_cctx() -> Any:
    c = getattr(_local, "cd", None)
    if c is None:
        import zstandard

        params = zstandard.ZstdCompressionParameters(strategy=zstandard.STRATEGY_FAST, **_DIFF_ZSTD)
        c = _local.cd = zstandard.ZstdCompressor(compression_params=params)
    return c


def _encode_diff(a: np.ndarray, b: np.ndarray, digest: bytes, depth: int, itemsize: int) -> bytes:
    signed = _SIGNED[itemsize]
    d = np.subtract(a.view(signed), b.view(signed), out=_scratch("xor", len(a)).view(signed))  # wraps around
    sign = np.right_shift(d, 8 * itemsize - 1, out=_scratch("shift", len(a)).view(signed))
    zigzag = np.bitwise_xor(np.left_shift(d, 1, out=d), sign, out=d).view(_UNSIGNED[itemsize])
    planes = max(1, (int(zigzag.max()).bit_length() + 7) // 8)
    n = len(zigzag)
    grouped = _scratch("group", n * planes).reshape(planes, n)
    np.copyto(grouped[0], zigzag, casting="unsafe")  # an integer cast keeps the low byte
    shifted = sign.view(zigzag.dtype)
    for i in range(1, planes):
        np.copyto(grouped[i], np.right_shift(zigzag, 8 * i, out=shifted), casting="unsafe")
    packed: bytes = _diff_cctx().compress(grouped)
    return _header(DIFF, itemsize, depth, len(a)) + digest + bytes((planes,)) + packed


def decode(
    frame: Frame,
    stored: bytes | memoryview | Any,
    base: bytes | memoryview | Any | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The raw bytes a frame holds, as a uint8 array (``base``: the base blob's raw bytes, for ``DELTA``);
    written into ``out`` (uint8, ``frame.length`` long) when given, else into a new array."""
    payload = memoryview(stored)[frame.offset :]
    if out is not None and len(out) != frame.length:
        raise FormatError(f"stored blob holds {frame.length} bytes where {len(out)} were expected")
    if frame.method == STORED:
        if out is None:
            out = _u8(payload).copy()
        else:
            out[:] = _u8(payload)[: len(out)]
    else:
        try:
            grouped = _dctx().decompress(payload, max_output_size=frame.length)
        except Exception as exc:  # noqa: BLE001 - zstandard raises its own ZstdError
            raise FormatError(f"compressed blob does not decompress: {exc}") from None
        expected = frame.length if frame.method != DIFF else frame.length // frame.itemsize * frame.planes
        if len(grouped) != expected:
            raise FormatError(f"compressed blob holds {len(grouped)} bytes where its header says {expected}")
        if frame.method in (DELTA, DIFF) and (base is None or memoryview(base).nbytes != frame.length):
            raise FormatError("delta blob needs its base of the same length")
        if out is None:
            out = np.empty(frame.length, dtype=np.uint8)
        if frame.method == DIFF:
            _undiff(_u8(grouped), frame, _u8(base), out)
        else:
            _ungroup(_u8(grouped), frame.itemsize, out)
        if frame.method == DELTA:
            np.bitwise_xor(out, _u8(base), out=out)
    if len(out) != frame.length:
        raise FormatError(f"stored blob holds {len(out)} bytes where its header says {frame.length}")
    return out
