"""Packs: sealed, immutable runs of events with a per-asset index (``log/packs/<first>-<last>.json``).

A pack is one header line and then the stored bytes of each event of the run, one per line, exactly as the
single event objects hold them::

    {"format": "lifecycle-pack/1", "first": F, "last": L, "prev": <hash before F>, "head": <hash of L>,
     "sizes": [bytes of each event line], "index": {"KIND:NAME": [seq, ...], "KIND:NAME@N": [seq, ...]}}
    <event F>
    ...
    <event L>

Packs are written create-exclusive by whoever writes a checkpoint (every run of ``pack_every`` events, aligned at
multiples of it), so two writers sealing the same run race harmlessly: their bytes are the same and one create
wins. Packs never replace the single event objects (those stay: they are what makes a concurrent writer's
create-exclusive append of an old sequence number fail); readers prefer a pack because it is one object.

A pack is trusted only once its run is proved to be the log's: :meth:`Pack.chain_back` checks, from the newest
pack's head (compared with the single event object at its last sequence number) backwards, that every line is
the canonical bytes of an event whose SHA-256 is the hash the next one names (no JSON parsing, one SHA-256 per
event). The index is not covered by the events' hashes. It is covered by the checkpoints instead: a checkpoint records
the :func:`index_digest` of every pack it knows (``"packs"``; its own digest and, in signed mode, its writer's
signature cover them), and a reader uses a pack's index only when its digest is one the checkpoint it opened
from (or this process, sealing or replaying the pack) vouches for. Any other pack is scanned event by event
when events about an asset are asked for, so an edited index can hide nothing from ``audit(ref)``;
:func:`check_pack` (``verify``) recomputes every index and names a wrong one.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..core.errors import IntegrityError
from ..core.events import GENESIS, check_event_raw, subjects

__all__ = [
    "PACK_FORMAT",
    "Pack",
    "pack_key",
    "pack_range",
    "pack_chain",
    "build_pack",
    "assets_of",
    "check_pack",
    "index_of",
    "index_digest",
]

PACK_FORMAT = "lifecycle-pack/1"
_HASH, _SIG, _PREV = b',"hash":"', b',"signature":{', b',"prev":"'
PACKS = "log/packs"


def pack_key(first: int, last: int) -> str:
    return f"{PACKS}/{first:012d}-{last:012d}.json"


def pack_range(name: str) -> tuple[int, int] | None:
    stem = name[:-5] if name.endswith(".json") else ""
    a, _, b = stem.partition("-")
    return (int(a), int(b)) if a.isdigit() and b.isdigit() and int(a) <= int(b) else None


def pack_chain(names: list[str], start: int = 0) -> list[tuple[int, int, str]]:
    """The packs (first, last, key) that cover the log contiguously from ``start``: at each step the pack that
    starts there and reaches furthest (packs of another ``pack_every`` may overlap; they are skipped)."""
    by_first: dict[int, tuple[int, str]] = {}
    for n in names:
        r = pack_range(n)
        if r is not None and (r[0] not in by_first or by_first[r[0]][0] < r[1]):
            by_first[r[0]] = (r[1], f"{PACKS}/{n}")
    out = []
    seq = start
    while seq in by_first:
        last, key = by_first[seq]
        out.append((seq, last, key))
        seq = last + 1
    return out


def index_of(events: Any) -> dict[str, list[int]]:
    """The per-asset index of ``events`` (in sequence order): each subject -> the sequence numbers about it."""
    index: dict[str, list[int]] = {}
    for ev in events:
        for a in assets_of(ev):
            index.setdefault(a, []).append(ev["seq"])
    return index


def index_digest(index: dict[str, list[int]]) -> str:
    """``sha256:<hex>`` of an index's canonical JSON: what a checkpoint records to vouch for a pack's index."""
    return "sha256:" + hashlib.sha256(json.dumps(index, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def assets_of(event: dict[str, Any]) -> list[str]:
    """What the index records for an event: :func:`~lifecycle_ext.core.events.subjects` (its assets and the
    versions of them it names)."""
    return subjects(event)


class Pack:
    """A pack's bytes (a memory map on local folders) with its parsed header."""

    def __init__(self, key: str, data: Any) -> None:
        self.key = key
        self.data = data
        nl = data.find(b"\n")
        try:
            if nl < 0:
                raise ValueError("no header line")
            h = json.loads(bytes(data[:nl]))
            if h.get("format") != PACK_FORMAT:
                raise ValueError(f"format {h.get('format')!r}")
            self.first, self.last = int(h["first"]), int(h["last"])
            self.prev, self.head = str(h["prev"]), str(h["head"])
            self.index: dict[str, list[int]] = h["index"]
            self.index_digest = index_digest(self.index)
            sizes = [int(s) for s in h["sizes"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise IntegrityError(f"pack {key} is unreadable: {exc}") from None
        if len(sizes) != self.last - self.first + 1:
            raise IntegrityError(f"pack {key} is unreadable: {len(sizes)} event sizes for its range")
        self.offsets = [0] * len(sizes)
        pos = nl + 1
        for i, s in enumerate(sizes):
            self.offsets[i] = pos
            pos += s + 1
        self.sizes = sizes
        if pos != len(data):
            raise IntegrityError(f"pack {key} is unreadable: {len(data)} bytes, its header describes {pos}")

    def raw(self, seq: int) -> bytes:
        i = seq - self.first
        o = self.offsets[i]
        return bytes(self.data[o : o + self.sizes[i]])

    def event(self, seq: int) -> dict[str, Any]:
        try:
            ev: dict[str, Any] = json.loads(self.raw(seq))
            return ev
        except ValueError as exc:
            raise IntegrityError(f"event {seq} in pack {self.key} is not valid JSON: {exc}") from None

    def chain_back(self, head: str) -> str | None:
        """What is wrong with the run, checked from ``head`` (the trusted hash of event ``last``) backwards to
        the header's ``prev``; None when every line is the canonical bytes of its event and they chain."""
        if head != self.head:
            return f"pack {self.key}: its head does not match event {self.last} of the log"
        want = head
        data, view = self.data, memoryview(self.data)
        for i in range(len(self.sizes) - 1, -1, -1):
            o, e = self.offsets[i], self.offsets[i] + self.sizes[i]
            # the hash, signature and prev members as body_of_raw/prev_of_body find them, without copying lines
            h = data.rfind(_HASH, o, e)
            end = h + len(_HASH) + 64
            if h < 0 or data[end : end + 1] != b'"' or data[h + len(_HASH) : end] != want.encode():
                return f"pack {self.key}: event {self.first + i} does not match the chain (edited pack?)"
            digest = hashlib.sha256(view[o:h])
            sig = data.rfind(_SIG, end, e)
            if sig >= 0:
                close = data.find(b"}", sig, e)
                if close < 0:
                    return f"pack {self.key}: event {self.first + i} does not match the chain (edited pack?)"
                digest.update(view[end + 1 : sig])
                digest.update(view[close + 1 : e])
            else:
                digest.update(view[end + 1 : e])
            if digest.hexdigest() != want:
                return f"pack {self.key}: event {self.first + i} does not match the chain (edited pack?)"
            p = data.rfind(_PREV, end, e)
            if p < 0:
                return f"pack {self.key}: event {self.first + i} names no previous hash"
            want = bytes(data[p + len(_PREV) : p + len(_PREV) + 64]).decode("ascii", "replace")
        if want != self.prev:
            return f"pack {self.key}: its first event does not follow the header's previous hash"
        return None


def build_pack(raws: list[bytes], first: int, prev: str) -> bytes:
    """The pack of the stored events ``raws`` (sequence numbers from ``first``, following ``prev``); raises
    :class:`IntegrityError` if they do not chain (a damaged run is never sealed)."""
    head = prev
    lines, events = [], []
    for i, raw in enumerate(raws):
        raw = raw.strip()
        seq = first + i
        try:
            ev = json.loads(raw)
        except ValueError as exc:
            raise IntegrityError(f"event {seq} is not valid JSON: {exc}") from None
        check_event_raw(raw, ev, seq, head)  # its seq is the one expected here
        head = ev["hash"]
        lines.append(raw)
        events.append(ev)
    header = {
        "format": PACK_FORMAT,
        "first": first,
        "last": first + len(raws) - 1,
        "prev": prev or GENESIS,
        "head": head,
        "sizes": [len(r) for r in lines],
        "index": index_of(events),
    }
    return b"\n".join([json.dumps(header, sort_keys=True, separators=(",", ":")).encode(), *lines]) + b"\n"


def check_pack(pack: Pack, events: list[dict[str, Any]]) -> list[str]:
    """What is wrong with ``pack``'s header given its parsed ``events``: the range, ends and index recomputed."""
    problems = []
    if index_of(events) != pack.index:
        problems.append(f"pack {pack.key}: its per-asset index does not match its events")
    if events and (events[0].get("prev") != pack.prev or events[-1].get("hash") != pack.head):
        problems.append(f"pack {pack.key}: its header's previous or head hash does not match its events")
    return problems
