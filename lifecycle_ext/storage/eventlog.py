"""The append-only, hash-chained JSON event log with checkpoints.

Layout under the storage root::

    log/events/<seq // 10000>/<seq>.json   one event per object, created exclusively (the writer that
                                           creates sequence number N first wins; others re-read and retry)
    log/checkpoints/<seq>.json             {"format", "seq", "head", "state", "digest"}: the folded state
                                           after <seq>, a rebuildable cache written every ``checkpoint_every``
                                           events; ``digest`` is the SHA-256 of the rest, checked on open

Opening loads the newest checkpoint whose digest and head match and replays the few events after it; a
checkpoint whose digest does not match is skipped with an :class:`IntegrityWarning` (the log is replayed
instead). Opening also lists the newest folder of event files: a missing event followed by later ones (a gap),
or events beyond the head, is reported (an :class:`IntegrityWarning` naming the files, and in ``damage``), and
every append is refused until the files are restored: history is never silently truncated or overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Iterator
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
from ..core.events import GENESIS, Spec, canonical, check_event, make_event, spec_of
from ..core.limits import check_event_data
from ..core.state import STATE_FORMAT, apply, decode_checkpoint_state, empty_state, encode_checkpoint_state
from .ports import Storage

__all__ = ["EventLog", "event_key", "checkpoint_digest", "Verdict", "Admission", "Signer"]

Event = dict[str, Any]
State = dict[str, Any]
MAX_ATTEMPTS = 10_000


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


def _seq_of(name: str) -> int | None:
    stem = name[:-5] if name.endswith(".json") else ""
    return int(stem) if stem.isdigit() else None


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
    ) -> None:
        self.storage = storage
        self.admission = admission
        self.checkpoint_every = checkpoint_every
        self.clock = clock or SystemClock()
        #: problems found on open that make appending unsafe (gaps, events beyond the head); see module doc
        self.damage: list[str] = []
        self.unsigned: list[int] = []
        listed = self._list_newest_folder()  # listed before the chain is walked (see gap_problems)
        self.state: State = self._load()
        self.damage = gap_problems(listed[1], self.state["seq"], start=listed[0])
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
                    self._replay_after(state)
                    return state
            except (ValueError, KeyError, TypeError, IntegrityError, NotFound):
                continue  # a damaged checkpoint is only a cache: fall back to an older one
        state = empty_state()
        self._replay_after(state)
        if legacy and state["seq"] >= 0:
            self._migrate_checkpoint(state)
        return state

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
        while True:
            seq = state["seq"] + 1
            ev = self.read_event(seq)
            if ev is None:
                return n
            check_event(ev, seq, state["head"] or GENESIS)
            self._apply(state, ev)
            n += 1

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
        """Apply events other writers appended since we last looked; return how many."""
        return self._replay_after(self.state)

    def events(self, start: int = 0) -> Iterator[Event]:
        seq = start
        while (ev := self.read_event(seq)) is not None:
            yield ev
            seq += 1

    # -- writing -----------------------------------------------------------------------------------
    def append(
        self, build: Callable[[State], Spec | None], actor: str, *, signer: Signer | None = None
    ) -> Event | None:
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
            check_event_data(etype, data)  # UsageInputError naming the field; nothing stored
            seq = self.state["seq"] + 1
            if self.damage:
                raise IntegrityError(
                    f"refusing to write event {seq} to the damaged event log at {self.storage.location}: "
                    + "; ".join(self.damage)
                )
            if self.storage.exists(event_key(seq + 1)):
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
                    self._record_refusal(event, signer, verdict.problem or "")
                    raise PermissionDenied(f"refused (nothing written to the log): {verdict.problem}")
            if self.storage.create(event_key(seq), canonical(event)):
                self.storage.sync()
                apply(self.state, event)
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
        """Write the checkpoint of the current state: its digest, and the writer's signature over it."""
        body: dict[str, Any] = {
            "format": STATE_FORMAT,
            "seq": self.state["seq"],
            "head": self.state["head"],
            "state": encode_checkpoint_state(self.state),
        }
        body["digest"] = checkpoint_digest(body)
        if signer is not None:
            body["signature"] = signer.sign(body["digest"].split(":", 1)[1])
        self.storage.replace(_checkpoint_key(self.state["seq"]), canonical(body))

    # -- verification --------------------------------------------------------------------------------
    def _read_ahead(self) -> Iterator[Event]:
        """The events from genesis, read one batch ahead of the caller; each batch is shown to the admission
        check before it is yielded (``Admission.prefetch``), so its signatures are checked while the batch
        before it is folded. Stops at the first missing event; an unreadable one raises when reached."""
        seq, batch = 0, list[Event]()
        while True:
            nxt: list[Event] = []
            error: IntegrityError | None = None
            while len(nxt) < READ_AHEAD:
                try:
                    ev = self.read_event(seq + len(nxt))
                except IntegrityError as exc:
                    error = exc
                    break
                if ev is None:
                    break
                nxt.append(ev)
            if nxt and self.admission is not None:
                self.admission.prefetch(nxt)
            yield from batch
            seq += len(nxt)
            batch = nxt
            if error is not None or len(nxt) < READ_AHEAD:
                yield from batch
                if error is not None:
                    raise error
                return

    def verify(self) -> tuple[list[str], State]:
        """Walk the whole chain from genesis; return (problems, replayed state). The sequence numbers of the
        events without a verified signature are in ``self.unsigned`` afterwards."""
        problems: list[str] = []
        stored = sorted(  # listed before the walk, so events appended meanwhile are not "beyond the head"
            s
            for folder in self.storage.list("log/events")
            for n in self.storage.list(f"log/events/{folder}")
            if (s := _seq_of(n)) is not None
        )
        unsigned: list[int] = []
        checkpoints: dict[int, str] = {}
        for name in self.storage.list("log/checkpoints"):
            try:
                cp = json.loads(self.storage.read(f"log/checkpoints/{name}"))
                checkpoints[int(cp["seq"])] = canonical(decode_checkpoint_state(cp["state"], lazy=False)).decode()
            except (ValueError, KeyError, TypeError):
                problems.append(f"checkpoint {name} is unreadable (it is a cache: delete it to rebuild)")
        state = empty_state()
        seq = 0
        ahead = self._read_ahead()
        while True:
            try:
                ev = next(ahead, None)
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
                verdict = self._apply(state, ev)
                if verdict is not None and verdict.problem:
                    problems.append(verdict.problem)
                if verdict is None or not verdict.signed:
                    unsigned.append(seq)
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
        if self.admission is not None:
            self.admission.prefetch(None)
        problems += gap_problems(stored, state["seq"])
        self.unsigned = unsigned
        for cp_seq in checkpoints:
            problems.append(f"checkpoint at event {cp_seq} is ahead of the event log (events missing?)")
        return problems, state
