"""The append-only, hash-chained JSON event log with checkpoints.

Layout under the storage root::

    log/events/<seq // 10000>/<seq>.json   one event per object, created exclusively (the writer that
                                           creates sequence number N first wins; others re-read and retry)
    log/checkpoints/<seq>.json             {"format", "seq", "head", "state"}: the folded state after <seq>,
                                           a rebuildable cache written every ``checkpoint_every`` events

Opening loads the newest checkpoint whose head matches the stored event and replays the few events after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from ..core.clock import Clock, SystemClock, iso
from ..core.errors import ConflictError, IntegrityError, NotFound
from ..core.events import GENESIS, Spec, canonical, check_event, make_event, spec_of
from ..core.state import STATE_FORMAT, apply, decode_checkpoint_state, empty_state, encode_checkpoint_state
from .ports import Storage

__all__ = ["EventLog", "event_key"]

Event = dict[str, Any]
State = dict[str, Any]
MAX_ATTEMPTS = 10_000


def event_key(seq: int) -> str:
    return f"log/events/{seq // 10000:08d}/{seq:012d}.json"


def _checkpoint_key(seq: int) -> str:
    return f"log/checkpoints/{seq:012d}.json"


class EventLog:
    def __init__(self, storage: Storage, *, checkpoint_every: int = 1000, clock: Clock | None = None) -> None:
        self.storage = storage
        self.checkpoint_every = checkpoint_every
        self.clock = clock or SystemClock()
        self.state: State = self._load()

    # -- reading -----------------------------------------------------------------------------------
    def read_event(self, seq: int) -> Event | None:
        try:
            raw = self.storage.read(event_key(seq))
        except NotFound:
            return None
        try:
            event: Event = json.loads(raw)
            return event
        except ValueError as exc:
            raise IntegrityError(f"event {seq} is not valid JSON: {exc}") from None

    def _load(self) -> State:
        for name in reversed(self.storage.list("log/checkpoints")):
            try:
                cp = json.loads(self.storage.read(f"log/checkpoints/{name}"))
                seq, head, state = cp["seq"], cp["head"], decode_checkpoint_state(cp["state"])
                ev = self.read_event(seq)
                if (
                    cp.get("format") == STATE_FORMAT
                    and ev is not None
                    and ev.get("hash") == head
                    and state.get("seq") == seq
                ):
                    self._replay_after(state)
                    return state
            except (ValueError, KeyError, TypeError, IntegrityError, NotFound):
                continue  # a damaged checkpoint is only a cache: fall back to an older one
        state = empty_state()
        self._replay_after(state)
        return state

    def _replay_after(self, state: State) -> int:
        n = 0
        while True:
            seq = state["seq"] + 1
            ev = self.read_event(seq)
            if ev is None:
                return n
            check_event(ev, seq, state["head"] or GENESIS)
            apply(state, ev)
            n += 1

    def refresh(self) -> int:
        """Apply events other writers appended since we last looked; return how many."""
        return self._replay_after(self.state)

    def events(self, start: int = 0) -> Iterator[Event]:
        seq = start
        while (ev := self.read_event(seq)) is not None:
            yield ev
            seq += 1

    # -- writing -----------------------------------------------------------------------------------
    def append(self, build: Callable[[State], Spec | None], actor: str) -> Event | None:
        """Append the event ``build(state)`` returns, against the latest state; retry if another writer won.

        ``build`` sees the up-to-date state and returns a typed event (``core.event_types``, e.g.
        ``TagAdded(asset=..., number=..., tag=...)``) or a ``(type, data)`` pair, or None (nothing to record), or
        raises. Typed events become their JSON ``data`` here, at the storage edge.
        """
        for _ in range(MAX_ATTEMPTS):
            self.refresh()
            spec = build(self.state)
            if spec is None:
                return None
            etype, data = spec_of(spec)
            seq = self.state["seq"] + 1
            event = make_event(seq, self.state["head"] or GENESIS, etype, actor, iso(self.clock.now()), data)
            if self.storage.create(event_key(seq), canonical(event)):
                self.storage.sync()
                apply(self.state, event)
                if (seq + 1) % self.checkpoint_every == 0:
                    self.write_checkpoint()
                return event
        raise ConflictError(f"could not append to the event log at {self.storage.location} after retries")

    def write_checkpoint(self) -> None:
        body = {
            "format": STATE_FORMAT,
            "seq": self.state["seq"],
            "head": self.state["head"],
            "state": encode_checkpoint_state(self.state),
        }
        self.storage.replace(_checkpoint_key(self.state["seq"]), canonical(body))

    # -- verification --------------------------------------------------------------------------------
    def verify(self) -> tuple[list[str], State]:
        """Walk the whole chain from genesis; return (problems, replayed state)."""
        problems: list[str] = []
        checkpoints: dict[int, str] = {}
        for name in self.storage.list("log/checkpoints"):
            try:
                cp = json.loads(self.storage.read(f"log/checkpoints/{name}"))
                checkpoints[int(cp["seq"])] = canonical(decode_checkpoint_state(cp["state"], lazy=False)).decode()
            except (ValueError, KeyError, TypeError):
                problems.append(f"checkpoint {name} is unreadable (it is a cache: delete it to rebuild)")
        state = empty_state()
        seq = 0
        while True:
            try:
                ev = self.read_event(seq)
            except IntegrityError as exc:
                problems.append(str(exc))
                break
            if ev is None:
                break
            try:
                check_event(ev, seq, state["head"] or GENESIS)
            except IntegrityError as exc:
                problems.append(str(exc))
                ev = dict(ev, hash=ev.get("hash"))  # keep folding to find later problems too
            try:
                apply(state, ev)
            except Exception as exc:  # noqa: BLE001 - a malformed event is a verification finding
                problems.append(f"event {seq}: cannot be applied: {exc}")
                state["seq"], state["head"] = seq, ev.get("hash")
            if (
                seq in checkpoints
                and checkpoints.pop(seq)
                != canonical(decode_checkpoint_state(encode_checkpoint_state(state), lazy=False)).decode()
            ):
                problems.append(f"checkpoint at event {seq} differs from a full replay of the log")
            seq += 1
        for cp_seq in checkpoints:
            problems.append(f"checkpoint at event {cp_seq} is ahead of the event log (events missing?)")
        return problems, state
