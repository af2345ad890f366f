"""``verify()`` of the event log: walk the chain from genesis, from the packs where they are proved and from
the single event objects elsewhere; compare checkpoints with the replay; report gaps."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..core.errors import IntegrityError, NotFound
from ..core.events import GENESIS, canonical, check_event_raw
from ..core.state import decode_checkpoint_state, empty_state, encode_checkpoint_state
from .eventlog import READ_AHEAD, _parse, _seq_of, gap_problems
from .packs import Pack, check_pack

if TYPE_CHECKING:
    from .eventlog import EventLog

__all__ = ["verify_log"]

Event = dict[str, Any]
State = dict[str, Any]


def verify_log(log: EventLog) -> tuple[list[str], State]:
    """Walk the whole chain of ``log`` from genesis; return (problems, replayed state).

    Runs held in packs are read from the packs (all fetched in parallel), each checked against the chain and
    against the single event object at its end (so a pack that disagrees with the log is named); a pack that
    fails is reported and its run read from the single events instead. The sequence numbers of the events
    without a verified signature are in ``log.unsigned`` afterwards. Each run of events is shown to the
    admission check before it is folded (``Admission.prefetch``: signatures are checked ahead, in parallel)."""
    problems: list[str] = []
    stored = sorted(  # listed before the walk, so events appended meanwhile are not "beyond the head"
        s
        for folder in log.storage.list("log/events")
        for n in log.storage.list(f"log/events/{folder}")
        if (s := _seq_of(n)) is not None
    )
    checkpoints: dict[int, State] = {}
    for name in log.storage.list("log/checkpoints"):
        try:
            cp = json.loads(log.storage.read(f"log/checkpoints/{name}"))
            checkpoints[int(cp["seq"])] = decode_checkpoint_state(cp["state"], lazy=False)
        except NotFound:
            continue  # pruned by a writer since it was listed
        except (ValueError, KeyError, TypeError):
            problems.append(f"checkpoint {name} is unreadable (it is a cache: delete it to rebuild)")
    walk = _Walk(log, problems, checkpoints)
    chain = log._pack_list()
    keys = [k for _, _, k in chain]
    loaded = dict(zip(keys, log._map(log._read_pack, keys)))
    heads = dict(zip(keys, log._map(lambda c: log._read_raw(c[1]), chain)))
    for first, last, key in chain:
        if walk.seq != first or walk.stopped:
            break
        p = loaded[key]
        if p is None:
            problems.append(f"pack {key} is missing (listed, then gone)")
            break
        if isinstance(p, IntegrityError):
            problems.append(str(p))
            break
        raws = [p.raw(seq) for seq in range(first, last + 1)]
        found, events = _check_pack(p, heads[key], raws)
        if found:
            problems += [f"{f}; its events were read from the single event objects instead" for f in found]
            break
        _prefetch(log, events)
        for seq, raw, ev in zip(range(first, last + 1), raws, events):
            walk.step(seq, raw, ev)
    if not walk.stopped:
        batch: list[tuple[int, bytes]] = []
        for seq, raw in log._singles(walk.seq):
            batch.append((seq, raw))
            if len(batch) >= READ_AHEAD:
                _walk_singles(log, walk, batch)
                batch = []
                if walk.stopped:
                    break
        if batch and not walk.stopped:
            _walk_singles(log, walk, batch)
    if log.admission is not None:
        log.admission.prefetch(None)
    state = walk.state
    problems += gap_problems(stored, state["seq"])
    log.unsigned = walk.unsigned
    for cp_seq in checkpoints:
        problems.append(f"checkpoint at event {cp_seq} is ahead of the event log (events missing?)")
    return problems, state


def _prefetch(log: EventLog, events: list[Event]) -> None:
    if log.admission is not None and events:
        log.admission.prefetch(events)


def _walk_singles(log: EventLog, walk: _Walk, batch: list[tuple[int, bytes]]) -> None:
    """Fold a run of single event objects, shown to the admission check first (those that parse)."""
    parsed: list[Event] = []
    for seq, raw in batch:
        try:
            parsed.append(_parse(raw, seq))
        except IntegrityError:
            break  # the walk reports it when it gets there
    _prefetch(log, parsed)
    for seq, raw in batch:
        walk.step(seq, raw)
        if walk.stopped:
            return


def _check_pack(p: Pack, single_last: bytes | None, raws: list[bytes]) -> tuple[list[str], list[Event]]:
    """(what is wrong with pack ``p`` against the single event object at its end and its own header, its
    events parsed); a pack proved here has every event's hash checked (``chain_back``)."""
    try:
        head = json.loads(single_last)["hash"] if single_last is not None else None
    except (ValueError, KeyError, TypeError):
        head = None
    if head is None:
        return [f"pack {p.key}: the single event {p.last} it ends with is missing or unreadable"], []
    problem = p.chain_back(head)
    if problem is not None:
        return [problem], []
    try:
        events = [_parse(raw, p.first + i) for i, raw in enumerate(raws)]
    except IntegrityError as exc:
        return [f"pack {p.key}: {exc}"], []
    return check_pack(p, events), events


class _Walk:
    """One verification walk: check each event against the chain, fold it, compare checkpoints on the way."""

    def __init__(self, log: EventLog, problems: list[str], checkpoints: dict[int, State]) -> None:
        self.log, self.problems, self.checkpoints = log, problems, checkpoints
        self.state = empty_state()
        self.seq = 0
        self.unsigned: list[int] = []
        self.stopped = False

    def step(self, seq: int, raw: bytes, proved: Event | None = None) -> None:
        """Check and fold the event stored as ``raw``; ``proved``: it parsed, from a pack whose hashes were
        checked (only its place in the chain is left to check)."""
        state, problems = self.state, self.problems
        ev = proved
        if ev is None:
            try:
                ev = _parse(raw, seq)
            except IntegrityError as exc:
                problems.append(str(exc))
                self.stopped = True
                return
        try:
            if proved is None or ev.get("seq") != seq or ev.get("prev") != (state["head"] or GENESIS):
                check_event_raw(raw, ev, seq, state["head"] or GENESIS)
        except IntegrityError as exc:
            problems.append(str(exc))
            ev = dict(ev, hash=ev.get("hash"))  # keep folding to find later problems too
        try:
            verdict = self.log._apply(state, ev)
            if verdict is not None and verdict.problem:
                problems.append(verdict.problem)
            if verdict is None or not verdict.signed:
                self.unsigned.append(seq)
        except Exception as exc:  # noqa: BLE001 - a malformed event is a verification finding
            problems.append(f"event {seq}: cannot be applied: {exc}")
            state["seq"], state["head"] = seq, ev.get("hash")
        if seq in self.checkpoints:
            stored = self.checkpoints.pop(seq)
            if stored != state and (  # equal as values: no re-serialisation; else compare canonical JSON
                canonical(stored) != canonical(decode_checkpoint_state(encode_checkpoint_state(state), lazy=False))
            ):
                problems.append(f"checkpoint at event {seq} differs from a full replay of the log")
        self.seq = seq + 1
