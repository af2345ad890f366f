"""Packs: sealed runs of events with a per-asset index (issue 17). Round trip, concurrent sealing, a tampered or
missing pack, gaps, checkpoint pruning, and registries written before packs."""

from __future__ import annotations

import json
import shutil
import threading
import warnings

import pytest

import lifecycle_ext
from lifecycle_ext.core.errors import IntegrityWarning
from lifecycle_ext.core.state import fold
from lifecycle_ext.registry.audit import refs_of
from lifecycle_ext.storage.eventlog import EventLog, event_key
from lifecycle_ext.storage.local import LocalStorage
from lifecycle_ext.storage.packs import Pack, pack_key


def _registry(path, n=35, every=10):
    r = lifecycle_ext.open_registry(path, user="u", checkpoint_every=every)
    for i in range(n):
        r.save({"i": i}, f"model:m{i % 3}", tags=["t"] if i % 5 == 0 else None)
    return r


def _singles(path):
    """The log's events read from the single event objects only."""
    out, seq = [], 0
    while (p := path / event_key(seq)).exists():
        out.append(json.loads(p.read_bytes()))
        seq += 1
    return out


def _drop_checkpoints(path):
    shutil.rmtree(path / "log" / "checkpoints")


def test_packs_round_trip_and_serve_open_events_and_audit(tmp_path):
    r = _registry(tmp_path)
    packs = sorted(p.name for p in (tmp_path / "log" / "packs").iterdir())
    assert packs == [
        "000000000000-000000000009.json",
        "000000000010-000000000019.json",
        "000000000020-000000000029.json",
    ]
    p = Pack(pack_key(10, 19), (tmp_path / "log" / "packs" / packs[1]).read_bytes())
    assert (p.first, p.last) == (10, 19) and p.event(12) == _singles(tmp_path)[12]
    assert {k for k in p.index if "@" not in k} == {"model:m0", "model:m1", "model:m2"}
    assert p.index["model:m1@4"] == [10]  # event 10 created model:m1@4 (and tagged it)
    assert list(r.log.events()) == _singles(tmp_path)
    assert list(r.log.events(27)) == _singles(tmp_path)[27:]
    _drop_checkpoints(tmp_path)
    again = lifecycle_ext.open_registry(tmp_path, user="u")
    assert again.state == fold(_singles(tmp_path))
    df = again.audit("model:m1@4")
    assert list(df["ref"]) == ["model:m1@4"] * len(df) and len(df) >= 1
    full = again.audit("model:m1")
    about = [e["seq"] for e in _singles(tmp_path) if any(x.startswith("model:m1") for x in refs_of(e))]
    assert list(full["seq"]) == about and len(about) == 12
    assert again.verify().ok


def test_writers_sealing_the_same_run_at_once_agree(tmp_path):
    _registry(tmp_path, n=12, every=1000)  # no pack yet
    logs = [EventLog(LocalStorage(tmp_path), pack_every=4, checkpoint_every=1000) for _ in range(4)]
    barrier = threading.Barrier(len(logs))
    written: list[list[str]] = []

    def seal(log):
        barrier.wait()
        written.append(log.seal())

    threads = [threading.Thread(target=seal, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names = sorted(p.name for p in (tmp_path / "log" / "packs").iterdir())
    assert len(names) == 3 and all(len(w) == 3 for w in written)
    reopened = lifecycle_ext.open_registry(tmp_path, user="u")
    assert list(reopened.log.events()) == _singles(tmp_path) and reopened.verify().ok


def test_concurrent_appenders_seal_packs_that_verify(tmp_path):
    lifecycle_ext.open_registry(tmp_path, user="u", checkpoint_every=5).save([0], "dataset:d")
    regs = [lifecycle_ext.open_registry(tmp_path, user=f"w{i}", checkpoint_every=5) for i in range(3)]

    def work(reg, k):
        for j in range(10):
            reg.save([k, j], f"dataset:d{k}")

    threads = [threading.Thread(target=work, args=(reg, k)) for k, reg in enumerate(regs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    packs = sorted(p.name for p in (tmp_path / "log" / "packs").iterdir())
    assert packs and packs[0].startswith("000000000000-000000000004")
    fresh = lifecycle_ext.open_registry(tmp_path, user="u")
    assert fresh.state["seq"] == 30 and list(fresh.log.events()) == _singles(tmp_path)
    assert fresh.verify().ok


def _edit_pack(path, key, fn):
    f = path / key
    data = f.read_bytes()
    head, *lines = data.split(b"\n")
    head, lines = fn(json.loads(head), lines)
    f.write_bytes(b"\n".join([json.dumps(head).encode(), *lines]))


def test_a_tampered_pack_is_named_by_verify_and_never_trusted(tmp_path):
    _registry(tmp_path)
    key = pack_key(10, 19)

    def rewrite_tag(head, lines):
        ev = json.loads(lines[0])  # event 10: a VersionCreated with tags ["t"]
        ev["data"]["tags"] = ["forged"]
        new = json.dumps(ev, sort_keys=True, separators=(",", ":")).encode()
        head["sizes"][0] = len(new)
        return head, [new, *lines[1:]]

    _edit_pack(tmp_path, key, rewrite_tag)
    _drop_checkpoints(tmp_path)
    with pytest.warns(IntegrityWarning, match=r"000000000010-000000000019\.json"):
        again = lifecycle_ext.open_registry(tmp_path, user="u")
    assert again.state == fold(_singles(tmp_path))  # the single events were read instead
    assert "forged" not in json.dumps(list(again.audit("model:m1")["evidence"]))
    rep = again.verify()
    assert not rep.ok and any("000000000010-000000000019.json" in p["problem"] for p in rep.problems)


def test_a_pack_whose_index_was_edited_is_named_by_verify(tmp_path):
    r = _registry(tmp_path)

    def drop_from_index(head, lines):
        head["index"]["model:m1"] = head["index"]["model:m1"][1:]
        return head, lines

    _edit_pack(tmp_path, pack_key(0, 9), drop_from_index)
    rep = lifecycle_ext.open_registry(tmp_path, user="u").verify()
    assert any("index does not match" in p["problem"] for p in rep.problems), rep.problems
    assert r.log.state["seq"] == 34


def test_an_edited_index_hides_no_event_from_an_asset_audit(tmp_path):
    """The index is not covered by the events' hashes; the checkpoints vouch for it. An index edited to drop an
    event (the chain and every event untouched) is not used: the pack is read whole, so audit(ref) still shows
    the event, whether the registry opens from its checkpoint or replays the log."""
    _registry(tmp_path)
    cp = json.loads(sorted((tmp_path / "log" / "checkpoints").iterdir())[-1].read_bytes())
    packs = {p.name: Pack(pack_key(0, 0), p.read_bytes()).index_digest for p in (tmp_path / "log" / "packs").iterdir()}
    assert cp["packs"] == packs and len(packs) == 3  # the newest checkpoint vouches for every pack's index
    hidden = [e["seq"] for e in _singles(tmp_path)[:10] if any(x.startswith("model:m1") for x in refs_of(e))][0]

    def drop_from_index(head, lines):
        head["index"]["model:m1"] = [s for s in head["index"]["model:m1"] if s != hidden]
        for k in [k for k in head["index"] if k.startswith("model:m1@")]:
            head["index"][k] = [s for s in head["index"][k] if s != hidden]
        return head, lines

    _edit_pack(tmp_path, pack_key(0, 9), drop_from_index)
    about = [e["seq"] for e in _singles(tmp_path) if any(x.startswith("model:m1") for x in refs_of(e))]
    for opened in ("from its checkpoint", "by replaying the log"):
        if opened == "by replaying the log":
            _drop_checkpoints(tmp_path)
        reg = lifecycle_ext.open_registry(tmp_path, user="u")
        assert list(reg.audit("model:m1")["seq"]) == about and hidden in about, opened
        assert [e["seq"] for e in reg.log.events_about({"model:m1"})] == about, opened
        assert any("index does not match" in p["problem"] for p in reg.verify().problems), opened


def test_a_missing_pack_falls_back_to_the_single_events(tmp_path):
    _registry(tmp_path)
    (tmp_path / pack_key(10, 19)).unlink()
    _drop_checkpoints(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = lifecycle_ext.open_registry(tmp_path, user="u")
    assert again.state == fold(_singles(tmp_path))
    assert list(again.log.events()) == _singles(tmp_path)
    assert again.verify().ok  # packs are a cache; the single events are the log


def test_gaps_are_still_reported_with_packs(tmp_path):
    r = _registry(tmp_path)
    (tmp_path / event_key(12)).unlink()  # below a pack: the state is intact, verify names the lost file
    rep = r.verify()
    assert not rep.ok and any("000000000012.json" in p["problem"] for p in rep.problems)
    (tmp_path / event_key(31)).unlink()  # in the tail after the packs: opening reports it, writes are refused
    with pytest.warns(IntegrityWarning, match=r"000000000031\.json"):
        lifecycle_ext.open_registry(tmp_path, user="u")


class _Signer:
    fingerprint = "test-key"

    def sign(self, digest_hex: str) -> dict[str, str]:
        return {"key": self.fingerprint, "value": "sig:" + digest_hex[:8]}


def test_pruning_keeps_the_newest_checkpoints_and_the_newest_signed_one(tmp_path):
    _registry(tmp_path, n=3, every=1000)
    log = EventLog(LocalStorage(tmp_path), checkpoint_every=1000)
    cps = tmp_path / "log" / "checkpoints"

    def step(signer=None):
        log.append(lambda st: ("TagAdded", {"asset": "model:m0", "number": 1, "tag": f"t{st['seq']}"}), "u")
        log.write_checkpoint(signer)
        return f"{log.state['seq']:012d}.json"

    signed = step(_Signer())
    later = [step() for _ in range(4)]
    assert sorted(p.name for p in cps.iterdir()) == sorted([signed, later[-1]])
    newest_signed = step(_Signer())
    step()
    assert sorted(p.name for p in cps.iterdir()) == sorted([newest_signed, f"{log.state['seq']:012d}.json"])


def test_checkpoints_stay_within_twice_the_events(tmp_path):
    _registry(tmp_path, n=60, every=10)
    size = lambda folder: sum(p.stat().st_size for p in (tmp_path / "log" / folder).rglob("*") if p.is_file())  # noqa: E731
    assert len(list((tmp_path / "log" / "checkpoints").iterdir())) == 1
    assert size("checkpoints") <= 2 * size("events")


def test_a_registry_written_before_packs_opens_verifies_and_gets_packs(tmp_path):
    _registry(tmp_path, n=25, every=10)
    shutil.rmtree(tmp_path / "log" / "packs")  # as written before packs existed (checkpoints of today's format)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old = lifecycle_ext.open_registry(tmp_path, user="u", checkpoint_every=10)
    assert old.verify().ok and len(old.audit("model:m0")) > 0
    for i in range(5):
        old.save({"late": i}, "model:m0")  # event 29 writes a checkpoint, which seals every run up to it
    assert sorted(p.name for p in (tmp_path / "log" / "packs").iterdir())[-1] == "000000000020-000000000029.json"
    assert list(old.log.events()) == _singles(tmp_path) and old.verify().ok


def test_signed_events_in_packs_are_proved_without_parsing(tmp_path):
    _registry(tmp_path, n=1, every=1000)
    log = EventLog(LocalStorage(tmp_path), checkpoint_every=4)
    for i in range(11):
        log.append(
            lambda st, i=i: ("TagAdded", {"asset": "model:m0", "number": 1, "tag": f"s{i}"}), "u", signer=_Signer()
        )
    reader = EventLog(LocalStorage(tmp_path), checkpoint_every=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        packs = reader.packs()
    assert [(p.first, p.last) for p in packs] == [(0, 3), (4, 7), (8, 11)]
    assert packs[1].event(5)["signature"]["key"] == "test-key"
    problems, state = reader.verify()
    assert problems == [] and state == fold(_singles(tmp_path))


def test_pack_headers_match_their_json_schema(tmp_path):
    from importlib import resources

    import jsonschema

    _registry(tmp_path, n=12, every=5)
    schema = json.loads(resources.files("lifecycle_ext.schemas").joinpath("pack.schema.json").read_text())
    packs = sorted((tmp_path / "log" / "packs").iterdir())
    assert len(packs) == 2
    for p in packs:
        jsonschema.validate(json.loads(p.read_bytes().split(b"\n", 1)[0]), schema)
