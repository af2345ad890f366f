import json
from importlib import resources

import jsonschema
import numpy as np
import pytest

import lifecycle_ext
from lifecycle_ext.core.errors import IntegrityWarning
from lifecycle_ext.core.state import decode_checkpoint_state, fold


def _schema(name):
    return json.loads(resources.files("lifecycle_ext.schemas").joinpath(name).read_text())


def test_checkpoint_equals_full_replay_and_opens_from_it(tmp_path):
    r = lifecycle_ext.open_registry(tmp_path, user="u", checkpoint_every=10)
    for i in range(35):
        r.save({"i": i}, f"model:m{i % 3}", tags=["t"] if i % 5 == 0 else None)
    cps = sorted((tmp_path / "log" / "checkpoints").iterdir())
    # the newest is kept (older ones pruned); every run of 10 events is sealed in a pack
    assert [p.name for p in cps] == ["000000000029.json"]
    packs = sorted(p.name for p in (tmp_path / "log" / "packs").iterdir())
    assert packs == [
        "000000000000-000000000009.json",
        "000000000010-000000000019.json",
        "000000000020-000000000029.json",
    ]
    replay = fold(r.log.events())
    assert lifecycle_ext.open_registry(tmp_path).state == replay
    for p in cps:
        cp = json.loads(p.read_text())
        assert decode_checkpoint_state(cp["state"]) == fold(e for e in r.log.events() if e["seq"] <= cp["seq"])
    assert r.verify().ok


def test_damaged_checkpoint_is_only_a_cache(tmp_path):
    r = lifecycle_ext.open_registry(tmp_path, user="u", checkpoint_every=5)
    for i in range(12):
        r.save([i], "dataset:d")
    newest = sorted((tmp_path / "log" / "checkpoints").iterdir())[-1]
    newest.write_text("{not json")
    again = lifecycle_ext.open_registry(tmp_path)
    assert len(again.state["assets"]["dataset:d"]["versions"]) == 12
    rep = again.verify()
    assert not rep.ok and any("checkpoint" in p["problem"] for p in rep.problems)


def test_tampered_checkpoint_is_caught_by_verify(tmp_path):
    r = lifecycle_ext.open_registry(tmp_path, user="u", checkpoint_every=5)
    for i in range(6):
        r.save([i], "dataset:d")
    cp_path = tmp_path / "log" / "checkpoints" / "000000000004.json"
    cp = json.loads(cp_path.read_text())
    asset = json.loads(cp["state"]["assets"]["dataset:d"])
    asset["versions"][0]["author"] = "mallory"
    cp["state"]["assets"]["dataset:d"] = json.dumps(asset)
    cp_path.write_text(json.dumps(cp))
    with pytest.warns(IntegrityWarning, match="digest"):
        again = lifecycle_ext.open_registry(tmp_path)
    rep = again.verify()
    assert any("differs from a full replay" in p["problem"] for p in rep.problems)


def test_events_and_checkpoints_match_their_json_schemas(tmp_path):
    r = lifecycle_ext.open_registry(tmp_path, user="u", checkpoint_every=4)
    d = r.save(np.arange(3), "dataset:d", metadata={"source": "gen"})
    r.save({"w": 1}, "model:m", inputs=[d.ref], params={"a": 1}, metrics={"acc": 0.5}, tags=["x"])
    r.tag("model:m@1", "gold")
    r.untag("model:m@1", "gold")
    ev_schema, cp_schema = _schema("event.schema.json"), _schema("checkpoint.schema.json")
    events = list(r.log.events())
    assert len(events) == 4
    for e in events:
        jsonschema.validate(e, ev_schema)
    for p in (tmp_path / "log" / "checkpoints").iterdir():
        cp = json.loads(p.read_text())
        jsonschema.validate(cp, cp_schema)
        for text in cp["state"]["assets"].values():
            jsonschema.validate(json.loads(text), {**cp_schema["$defs"]["asset"], "$defs": cp_schema["$defs"]})
    bad = dict(events[0], data={"kind": "model"})
    try:
        jsonschema.validate(bad, ev_schema)
        raise AssertionError("schema must reject a VersionCreated without its fields")
    except jsonschema.ValidationError:
        pass
