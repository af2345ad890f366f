"""The append-only, hash-chained JSON event log with checkpoints.

Layout under the storage root::

    log/events/<seq // 10000>/<seq>.json   one event per object, created exclusively (the writer that
                                           creates sequence number N first wins; others re-read and retry)
    log/checkpoints/<seq>.json             {"format", "seq", "head", "packs", "state", "digest"}: the folded
                                           state after <seq>, a rebuildable cache written every
                                           ``checkpoint_every`` events; ``packs`` the digests of the packs'
                                           indexes it vouches for; ``digest`` the SHA-256 of the rest, checked on
                                           open

Opening loads the newest checkpoint whose digest and head match and replays the few events after it; a
checkpoint whose digest does not match is skipped with an :class:`IntegrityWarning` (the log is replayed
instead). Opening also lists the newest folder of event files: a missing event followed by later ones (a gap),
or events beyond the head, is reported (an :class:`IntegrityWarning` naming the files, and in ``damage``), and
every append is refused until the files are restored: history is never silently truncated or overwritten.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol

from ..core.clock import Clock, SystemClock, iso
from ..core.errors import (
    ConflictError,
    IntegrityError,
    IntegrityWarning,
    LifecycleError,
    NotFound,
    PermissionDenied,
)
from ..core.events import GENESIS, Spec, canonical, check_event_raw, make_event, spec_of
from ..core.limits import check_event_data
from ..core.state import STATE_FORMAT, apply, decode_checkpoint_state, empty_state, encode_checkpoint_state
from .packs import PACKS, Pack, assets_of, build_pack, index_digest, index_of, pack_chain, pack_key
from .ports import Storage

__all__ = ["EventLog", "event_key", "checkpoint_digest", "Verdict", "Admission", "Signer", "paused_gc"]

Event = dict[str, Any]
State = dict[str, Any]
MAX_ATTEMPTS = 10_000
#: on object stores, an append within this many seconds of a probe that found nothing after the head skips
#: probing again: the create-exclusive write itself says whether another writer took the sequence number
FRESH_SECONDS = 1.0


def event_key(seq: int) -> str:
    return f"log/events/{seq // 10000:08d}/{seq:012d}.json"


class Verdict(NamedTuple):
    """What an :class:`Admission` check says about one event."""

    counted: bool  # False: kept in the log, never applied to the state (named in state["uncounted"])
    problem: str | None  # a verify() finding (also when counted, e.g. a bad signature in an unsigned registry)
    signed: bool  # carries a signature that verifies against the key the policy binds to its actor


class Admission(Protocol):
    def inspect(self, state: State, event: Event) -> Verdict:
        """Judge ``event`` against ``state`` (the state just before it)."""

    def trusts_checkpoint(self, state: State, body: dict[str, Any]) -> bool:
        """May opening start from this checkpoint (``state`` decoded from ``body``)?"""

    def prefetch(self, events: list[Event] | None) -> None:
        """A hint from :meth:`EventLog.verify`: it will judge ``events`` next, in order (checks may start early,
        e.g. in parallel); None when the walk is over."""


READ_AHEAD = 1024  # events verify() reads ahead of the fold (handed to Admission.prefetch)


class Signer(Protocol):
    fingerprint: str

    def sign(self, digest_hex: str) -> dict[str, str]:
        """``{"key": fingerprint, "value": signature}`` over the hex digest."""


def _checkpoint_key(seq: int) -> str:
    return f"log/checkpoints/{seq:012d}.json"


def checkpoint_digest(body: dict[str, Any]) -> str:
    """``sha256:<hex>`` of a checkpoint without its ``digest`` and ``signature`` fields: the canonical JSON of
    everything but the assets, then each asset's name and stored text in name order. Hashing the texts as they
    are (not re-serialising them inside one JSON document) keeps checking it on open cheap."""
    state = body.get("state") or {}
    rest = {k: v for k, v in body.items() if k not in ("digest", "signature", "state")}
    h = hashlib.sha256(canonical({**rest, "state": {k: v for k, v in state.items() if k != "assets"}}))
    assets = state.get("assets") or {}
    for name in sorted(assets):
        text = assets[name]
        raw = text.encode() if isinstance(text, str) else canonical(text)
        h.update(b"\0" + name.encode() + b"\0" + len(raw).to_bytes(8, "big") + raw)
    return "sha256:" + h.hexdigest()


def _name(key: str) -> str:
    """A pack's name (``<first>-<last>.json``) from its key."""
    return key.rsplit("/", 1)[-1]


def _seq_of(name: str) -> int | None:
    stem = name[:-5] if name.endswith(".json") else ""
    return int(stem) if stem.isdigit() else None


@contextmanager
def paused_gc() -> Iterator[None]:
    """Folding many parsed events builds many containers and no cycles: the cyclic collector's passes over the
    growing heap only cost time (halving verify and replay times measured here)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _signed(storage: Storage, name: str) -> bool:
    """Whether a checkpoint carries a signature (its canonical keys put ``signature`` before the state)."""
    try:
        return b'"signature":' in storage.read_head(f"log/checkpoints/{name}", 4096)
    except NotFound:
        return False


def _parse(raw: bytes, seq: int) -> Event:
    try:
        event: Event = json.loads(raw)
        return event
    except ValueError as exc:
        raise IntegrityError(f"event {seq} is not valid JSON: {exc}") from None


def _names(keys: list[int], limit: int = 5) -> str:
    shown = ", ".join(event_key(s) for s in keys[:limit])
    return shown + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def gap_problems(stored: list[int], head: int, *, start: int = 0) -> list[str]:
    """What is wrong with the stored sequence numbers ``stored`` (sorted, listed BEFORE the chain was walked to
    ``head``): events missing below a stored one (from ``start``), and stored events the chain does not reach."""
    problems: list[str] = []
    present = set(stored)
    missing = [s for s in range(start, stored[-1] + 1) if s not in present] if stored else []
    beyond = [s for s in stored if s > head]
    if missing:
        problems.append(f"event file(s) missing from the log while later ones exist: {_names(missing)}")
    if beyond:
        problems.append(
            f"event(s) beyond the head the chain reaches (event {head}): {_names(beyond)}; the history after "
            "the gap is not part of the state. Restore the missing file(s) from a backup; writes are refused "
            "until then"
        )
    return problems


class EventLog:
    def __init__(
        self,
        storage: Storage,
        *,
        checkpoint_every: int = 1000,
        clock: Clock | None = None,
        admission: Admission | None = None,
        pack_every: int | None = None,
        keep_checkpoints: int = 1,
    ) -> None:
        """``pack_every``: events per pack (default ``checkpoint_every``); ``keep_checkpoints``: how many of the
        newest checkpoints writing one keeps (plus the newest signed one, which signed mode opens from)."""
        self.storage = storage
        self.admission = admission
        self.checkpoint_every = checkpoint_every
        self.pack_every = max(1, pack_every or checkpoint_every)
        self.keep_checkpoints = max(1, keep_checkpoints)
        self._cheap = bool(getattr(storage, "cheap_probe", False))
        #: one request answers "which events follow N" (S3's ListObjectsV2 StartAfter); None elsewhere
        self._list_after: Callable[[str, str, int], list[str]] | None = (
            None if self._cheap else getattr(storage, "list_after", None)
        )
        self._probed_at = float("-inf")
        self._just_appended = False
        self._trusted: dict[str, Pack] = {}  # packs proved to hold the log's events (immutable objects)
        #: pack name -> the index digest vouched for (by the checkpoint opened from, or by this process having
        #: sealed or parsed the pack): a pack's index is used only when its digest is this one (see packs.py)
        self._vouched: dict[str, str] = {}
        self._warned: set[str] = set()
        self._recent: dict[int, bytes] = {}  # stored bytes of events read or written since the last pack
        self._pool: ThreadPoolExecutor | None = None
        self.clock = clock or SystemClock()
        #: problems found on open that make appending unsafe (gaps, events beyond the head); see module doc
        self.damage: list[str] = []
        self.unsigned: list[int] = []
        listed = self._list_newest_folder()  # listed before the chain is walked (see gap_problems)
        with paused_gc():
            self.state: State = self._load()
        self.damage += gap_problems(listed[1], self.state["seq"], start=listed[0])  # (+ a gap the replay met)
        if self.damage:
            warnings.warn(
                f"the event log at {storage.location} is damaged: " + "; ".join(self.damage),
                IntegrityWarning,
                stacklevel=2,
            )

    def _list_newest_folder(self) -> tuple[int, list[int]]:
        """(first sequence number the newest folder holds, the sorted sequence numbers stored in it); older
        folders are checked by :meth:`verify`."""
        folders = self.storage.list("log/events")
        if not folders:
            return 0, []
        last = folders[-1]
        stored = sorted(s for n in self.storage.list(f"log/events/{last}") if (s := _seq_of(n)) is not None)
        return (int(last) * 10000 if last.isdigit() else 0), stored

    # -- reading -----------------------------------------------------------------------------------
    def _map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``map`` on a thread pool for object stores (requests in parallel), in this thread on local ones."""
        items = list(items)
        if self._cheap or len(items) < 2:
            return [fn(x) for x in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(16, thread_name_prefix="lifecycle-log")
        return list(self._pool.map(fn, items))

    def _read_raw(self, seq: int) -> bytes | None:
        try:
            return self.storage.read(event_key(seq))
        except NotFound:
            return None

    def read_event(self, seq: int) -> Event | None:
        raw = self._read_raw(seq)
        return None if raw is None else _parse(raw, seq)

    def _following(self, seq: int) -> list[int] | None:
        """On stores with ``list_after``: the sequence numbers stored from ``seq`` on (one request per 1,000);
        None elsewhere."""
        if self._list_after is None:
            return None
        out: list[int] = []
        after = event_key(seq - 1) if seq > 0 else "log/events/"
        while True:
            keys = self._list_after("log/events/", after, 1000)
            out += [s for k in keys if (s := _seq_of(k.rsplit("/", 1)[-1])) is not None]
            if len(keys) < 1000:
                return out
            after = keys[-1]

    def _singles(self, seq: int) -> Iterator[tuple[int, bytes]]:
        """(seq, stored bytes) of the single event objects from ``seq`` on, up to the first missing one. On
        object stores one listing says which exist and they are fetched in parallel; a gap it shows (a later
        event while ``seq`` is missing) is recorded in ``damage``."""
        listed = self._following(seq)
        if listed is None:
            while (raw := self._read_raw(seq)) is not None:
                yield seq, raw
                seq += 1
            return
        if listed and listed[0] != seq:
            self._gap(seq, listed[0])
            return
        run = [s for i, s in enumerate(listed) if s == seq + i]
        for i in range(0, len(run), 256):
            for s, raw in zip(run[i : i + 256], self._map(self._read_raw, run[i : i + 256])):
                if raw is None:
                    return
                yield s, raw
        if len(run) < len(listed):
            self._gap(seq + len(run), listed[len(run)])
        else:
            self._probed_at = time.monotonic()

    def _gap(self, missing: int, later: int) -> None:
        self.damage = [f"event {missing} is missing while event {later} exists ({event_key(later)})"]

    def _pack_list(self) -> list[tuple[int, int, str]]:
        return pack_chain(self.storage.list(PACKS))

    def _read_pack(self, key: str) -> Pack | IntegrityError | None:
        reader = getattr(self.storage, "read_mapped", None) or self.storage.read
        try:
            return Pack(key, reader(key))
        except NotFound:
            return None
        except IntegrityError as exc:
            return exc

    def _warn_pack(self, key: str, problem: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(
                f"{problem}; the pack was ignored and the single event objects read instead",
                IntegrityWarning,
                stacklevel=5,
            )

    def packs(self, chain: list[tuple[int, int, str]] | None = None) -> list[Pack]:
        """The packs that hold the log from event 0 on, contiguously, each proved to be the log's (see
        :mod:`.packs`); a pack that is not is skipped with an :class:`IntegrityWarning` (readers then read the
        single events of its range). One listing and the packs not yet proved in this process (in parallel)."""
        chain = self._pack_list() if chain is None else chain
        todo = [k for _, _, k in chain if k not in self._trusted]
        loaded = dict(zip(todo, self._map(self._read_pack, todo)))
        want: str | None = None
        for _, last, key in reversed(chain):
            if key in self._trusted:
                want = self._trusted[key].prev
                continue
            p = loaded.get(key)
            if not isinstance(p, Pack):
                if p is not None:
                    self._warn_pack(key, str(p))
                want = None
                continue
            if want is None:
                try:
                    ev = self.read_event(last)
                except IntegrityError:
                    ev = None
                want = ev.get("hash") if ev is not None else None
            problem = p.chain_back(want) if isinstance(want, str) else f"pack {key}: event {last} is missing"
            if problem is not None:
                self._warn_pack(key, problem)
                want = None
                continue
            self._trusted[key] = p
            want = p.prev
        out: list[Pack] = []
        for first, _, key in chain:
            p = self._trusted.get(key)
            if p is None or first != (out[-1].last + 1 if out else 0):
                break
            out.append(p)
        return out

    def _load(self) -> State:
        legacy = False
        for name in reversed(self.storage.list("log/checkpoints")):
            try:
                cp = json.loads(self.storage.read(f"log/checkpoints/{name}"))
                if "digest" not in cp:
                    legacy = True  # written before checkpoints carried digests: not trusted, replay instead
                    continue
                if cp["digest"] != checkpoint_digest(cp):
                    warnings.warn(
                        f"checkpoint {name} of the registry at {self.storage.location} does not match its digest "
                        "(edited or damaged); it was ignored and the event log replayed instead",
                        IntegrityWarning,
                        stacklevel=4,
                    )
                    continue
                seq, head, state = cp["seq"], cp["head"], decode_checkpoint_state(cp["state"])
                if self.admission is not None and not self.admission.trusts_checkpoint(state, cp):
                    continue  # under require_signatures: only a checkpoint signed by a bound key
                ev = self.read_event(seq)
                if (
                    cp.get("format") == STATE_FORMAT
                    and ev is not None
                    and ev.get("hash") == head
                    and state.get("seq") == seq
                ):
                    packs = cp.get("packs") or {}
                    self._vouched.update({str(k): str(v) for k, v in packs.items()} if isinstance(packs, dict) else {})
                    self._replay_after(state)
                    return state
            except (ValueError, KeyError, TypeError, IntegrityError, NotFound):
                continue  # a damaged checkpoint is only a cache: fall back to an older one
        state = empty_state()
        self._replay_packs(state)
        self._replay_after(state)
        if legacy and state["seq"] >= 0:
            self._migrate_checkpoint(state)
        return state

    def _replay_packs(self, state: State) -> None:
        """Fold the events of the proved packs after ``state`` (one listing, the packs in parallel)."""
        for p in self.packs():
            if p.last <= state["seq"]:
                continue
            if p.first > state["seq"] + 1 or p.prev != (state["head"] or GENESIS):
                return
            whole = p.first == state["seq"] + 1
            events = [p.event(seq) for seq in range(state["seq"] + 1, p.last + 1)]
            for ev in events:
                self._apply(state, ev)
            if whole:  # every event of the pack was parsed: its index is known, whatever the header says
                self._vouch(p, events)

    def _vouch(self, p: Pack, events: list[Event]) -> None:
        """Record the index of ``p`` computed from all its ``events`` as the one to use (and use it)."""
        index = index_of(events)
        if index != p.index:
            p.index, p.index_digest = index, index_digest(index)
        self._vouched[_name(p.key)] = p.index_digest

    def _migrate_checkpoint(self, state: State) -> None:
        """After a replay past digest-less checkpoints (a registry written before they carried digests), write
        one with a digest at the head, so the next open starts from it instead of replaying the whole log again.
        A checkpoint is only a cache: a store this process may not write to just keeps replaying."""
        current, self.state = getattr(self, "state", None), state
        try:
            self.write_checkpoint()
        except (OSError, LifecycleError):
            pass
        finally:
            if current is not None:
                self.state = current

    def _replay_after(self, state: State) -> int:
        n = 0
        for seq, raw in self._singles(state["seq"] + 1):
            ev = _parse(raw, seq)
            check_event_raw(raw, ev, seq, state["head"] or GENESIS)
            self._apply(state, ev)
            self._remember(seq, raw)
            n += 1
        if self._list_after is None:
            self._probed_at = time.monotonic()
        return n

    def _remember(self, seq: int, raw: bytes) -> None:
        """Keep the bytes of events not yet packed, so the writer sealing the next pack need not fetch them."""
        if len(self._recent) < 2 * self.pack_every:
            self._recent[seq] = raw

    def _apply(self, state: State, ev: Event) -> Verdict | None:
        """Apply ``ev`` if the admission check counts it; else only advance past it (see ``Verdict``)."""
        verdict = self.admission.inspect(state, ev) if self.admission is not None else None
        if verdict is not None and not verdict.counted:
            state.setdefault("uncounted", []).append(
                {"seq": ev["seq"], "type": ev.get("type"), "actor": ev.get("actor"), "problem": verdict.problem}
            )
            state["seq"], state["head"] = ev["seq"], ev["hash"]
        else:
            apply(state, ev)
        return verdict

    def refresh(self) -> int:
        """Apply events other writers appended since we last looked; return how many. One request on object
        stores (a listing after the head, which also shows a gap), one failed open on local folders. On object
        stores the first refresh right after this process's own append (within ``FRESH_SECONDS``) sends none:
        reading back one's own write is not worth a request (another writer's later event is seen next time)."""
        if self._just_appended:
            self._just_appended = False
            if time.monotonic() - self._probed_at < FRESH_SECONDS:
                return 0
        return self._replay_after(self.state)

    def events(self, start: int = 0) -> Iterator[Event]:
        """Every event from ``start`` on: from the proved packs, then the single events after them."""
        return self._read(None, start)

    def events_about(self, assets: set[str], start: int = 0) -> Iterator[Event]:
        """The events from ``start`` on about any of ``assets`` (``KIND:NAME`` or ``KIND:NAME@N``, as
        ``core.events.subjects`` names them): the packs' indexes say which of their events to parse; the single
        events after them are filtered."""
        return self._read(assets, start)

    def _read(self, assets: set[str] | None, start: int) -> Iterator[Event]:
        seq = start
        for p in self.packs():
            if p.last < seq:
                continue
            if p.first > seq:
                break
            if assets is not None and self._vouched.get(_name(p.key)) != p.index_digest:
                # an index nothing vouches for (edited, or sealed after the checkpoint opened from) is not
                # trusted to say what to skip: read the whole pack once and use the index it really has
                events = [p.event(s) for s in range(p.first, p.last + 1)]
                self._vouch(p, events)
                for ev in events[seq - p.first :]:
                    if any(a in assets for a in assets_of(ev)):
                        yield ev
                seq = p.last + 1
                continue
            wanted = (
                range(seq, p.last + 1)
                if assets is None
                else sorted({s for a in assets for s in p.index.get(a, ()) if s >= seq})
            )
            for s in wanted:
                yield p.event(s)
            seq = p.last + 1
        for s, raw in self._singles(seq):
            ev = _parse(raw, s)
            if assets is None or any(a in assets for a in assets_of(ev)):
                yield ev

    # -- writing -----------------------------------------------------------------------------------
    def append(
        self, build: Callable[[State], Spec | None], actor: str, *, signer: Signer | None = None
    ) -> Event | None:
        """Append the event ``build(state)`` returns, against the latest state; retry if another writer won.

        ``build`` sees the up-to-date state and returns a typed event (``core.event_types``, e.g.
        ``TagAdded(asset=..., number=..., tag=...)``) or a ``(type, data)`` pair, or None (nothing to record), or
        raises. Typed events become their JSON ``data`` here, at the storage edge.
        """
        for attempt in range(MAX_ATTEMPTS):
            if attempt or self._cheap or time.monotonic() - self._probed_at >= FRESH_SECONDS:
                self.refresh()
            spec = build(self.state)
            if spec is None:
                return None
            etype, data = spec_of(spec)
            check_event_data(etype, data)  # UsageInputError naming the field; nothing stored
            seq = self.state["seq"] + 1
            if self.damage:
                raise IntegrityError(
                    f"refusing to write event {seq} to the damaged event log at {self.storage.location}: "
                    + "; ".join(self.damage)
                )
            # a later event while ``seq`` is missing means event ``seq`` was lost: never fill its place. On
            # object stores with ``list_after`` the probe that refreshed the state already looked (and set
            # ``damage``); elsewhere one existence check (a stat on local folders)
            if self._list_after is None and self.storage.exists(event_key(seq + 1)):
                if self.read_event(seq) is not None:
                    continue  # another writer appended meanwhile: refresh and retry
                self.damage = [f"event {seq} is missing while event {seq + 1} exists ({event_key(seq + 1)})"]
                raise IntegrityError(
                    f"refusing to write event {seq}: a later event {event_key(seq + 1)} exists, so event {seq} "
                    "was lost or moved; restore it from a backup (nothing was written)"
                )
            event = make_event(seq, self.state["head"] or GENESIS, etype, actor, iso(self.clock.now()), data)
            if signer is not None:
                event["signature"] = signer.sign(event["hash"])
            if self.admission is not None:
                verdict = self.admission.inspect(self.state, event)
                if not verdict.counted:
                    if attempt == 0 and not self._cheap:
                        self._probed_at = float("-inf")
                        continue  # judged on a state that may be stale: look again before refusing
                    self._record_refusal(event, signer, verdict.problem or "")
                    raise PermissionDenied(f"refused (nothing written to the log): {verdict.problem}")
            raw = canonical(event)
            if self.storage.create(event_key(seq), raw):
                self.storage.sync()
                apply(self.state, event)
                self._remember(seq, raw)
                self._just_appended = not self._cheap
                if (seq + 1) % self.checkpoint_every == 0:
                    self.write_checkpoint(signer)
                return event
        raise ConflictError(f"could not append to the event log at {self.storage.location} after retries")

    def _record_refusal(self, event: Event, signer: Signer | None, problem: str) -> None:
        """Keep a refused write beside the log (``log/refused/``): who claimed to act, with which key."""
        record = {
            "at": event["at"],
            "claimed_actor": event["actor"],
            "key": signer.fingerprint if signer is not None else None,
            "type": event["type"],
            "data": event["data"],
            "problem": problem,
        }
        name = f"log/refused/{event['at'].replace(':', '')}-{event['seq']:012d}-{os.urandom(4).hex()}.json"
        self.storage.create(name, canonical(record))

    def refusals(self) -> list[Event]:
        """The refused writes recorded beside the log, oldest first."""
        out = []
        for name in self.storage.list("log/refused"):
            try:
                out.append(json.loads(self.storage.read(f"log/refused/{name}")))
            except (ValueError, NotFound):
                continue
        return out

    def write_checkpoint(self, signer: Signer | None = None) -> None:
        """Write the checkpoint of the current state (its digest, and the writer's signature over it), seal the
        runs of ``pack_every`` events not packed yet, and prune old checkpoints (see :meth:`prune_checkpoints`).
        Packs and checkpoints are caches: failing to write them never fails the append that triggered them."""
        try:  # first, so that the checkpoint vouches for the index of the pack sealed now
            self.seal()
        except (OSError, LifecycleError):
            pass
        body: dict[str, Any] = {
            "format": STATE_FORMAT,
            "seq": self.state["seq"],
            "head": self.state["head"],
            "packs": dict(sorted(self._vouched.items())),
            "state": encode_checkpoint_state(self.state),
        }
        body["digest"] = checkpoint_digest(body)
        if signer is not None:
            body["signature"] = signer.sign(body["digest"].split(":", 1)[1])
        self.storage.replace(_checkpoint_key(self.state["seq"]), canonical(body))
        try:
            self.prune_checkpoints()
        except (OSError, LifecycleError):
            pass

    def seal(self) -> list[str]:
        """Pack every complete run of ``pack_every`` events (aligned at multiples of it) up to the head that is
        not packed yet; return the keys written. Create-exclusive: a writer sealing the same run at the same time
        writes the same bytes and one of the two creates wins. A run that does not chain is not sealed."""
        chain = self._pack_list()
        nxt = chain[-1][1] + 1 if chain else 0
        if nxt == 0:
            prev: str | None = GENESIS
        else:
            last = self._trusted.get(chain[-1][2])
            prev = last.head if last is not None else (self.read_event(nxt - 1) or {}).get("hash")
        written = []
        while isinstance(prev, str):
            end = (nxt // self.pack_every + 1) * self.pack_every - 1
            if end > self.state["seq"]:
                break
            seqs = range(nxt, end + 1)
            missing = [s for s in seqs if s not in self._recent]
            fetched = dict(zip(missing, self._map(self._read_raw, missing)))
            raws = [self._recent.get(s) or fetched.get(s) for s in seqs]
            if any(r is None for r in raws):
                break
            data = build_pack([r for r in raws if r is not None], nxt, prev)
            key = pack_key(nxt, end)
            self.storage.create(key, data)
            written.append(key)
            header = json.loads(data[: data.index(b"\n")])
            self._vouched[_name(key)] = index_digest(header["index"])  # built from the events just now
            prev = header["head"]
            nxt = end + 1
        for s in [s for s in self._recent if s < nxt]:
            del self._recent[s]
        return written

    def prune_checkpoints(self) -> list[str]:
        """Delete all but the newest ``keep_checkpoints`` checkpoints and the newest signed one (opening in
        signed mode starts only from a checkpoint signed by a bound key); return the names deleted. Anchors
        name events, not checkpoints, so they need none of them."""
        names = self.storage.list("log/checkpoints")
        old = names[: -self.keep_checkpoints]
        kept_signed = any(_signed(self.storage, n) for n in names[-self.keep_checkpoints :])
        deleted = []
        for name in reversed(old):
            if not kept_signed and _signed(self.storage, name):
                kept_signed = True
                continue
            self.storage.delete(f"log/checkpoints/{name}")
            deleted.append(name)
        return deleted

    # -- verification --------------------------------------------------------------------------------
    def verify(self) -> tuple[list[str], State]:
        """Walk the whole chain from genesis; return (problems, replayed state). The sequence numbers of the
        events without a verified signature are in ``self.unsigned`` afterwards. See :mod:`.logverify`."""
        from .logverify import verify_log

        with paused_gc():
            return verify_log(self)
