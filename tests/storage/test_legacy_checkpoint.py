"""A registry written before checkpoints carried digests: the first open replays the log (the old checkpoint is
not trusted) and writes a checkpoint with a digest, so later opens start from it again."""

import json

import numpy as np

import lifecycle_ext


def test_digestless_checkpoint_is_replaced_by_one_with_a_digest_on_first_open(tmp_path):
    reg = lifecycle_ext.open_registry(tmp_path, checkpoint_every=5)
    for i in range(7):
        reg.save(np.full(3, i), "model:m")
    [cp_path] = sorted((tmp_path / "log" / "checkpoints").iterdir())
    cp = json.loads(cp_path.read_text())
    del cp["digest"]  # as an older release wrote it
    cp_path.write_text(json.dumps(cp))

    again = lifecycle_ext.open_registry(tmp_path)
    assert again.get("model:m").number == 7 and again.verify().ok
    newest = sorted((tmp_path / "log" / "checkpoints").iterdir())[-1]
    migrated = json.loads(newest.read_text())
    assert "digest" in migrated and migrated["seq"] == again.state["seq"]

    calls = []
    real = lifecycle_ext.storage.eventlog.EventLog._replay_after

    def counting(self, state):
        calls.append(state["seq"])
        return real(self, state)

    lifecycle_ext.storage.eventlog.EventLog._replay_after = counting
    try:
        third = lifecycle_ext.open_registry(tmp_path)
    finally:
        lifecycle_ext.storage.eventlog.EventLog._replay_after = real
    assert calls == [third.state["seq"]]  # started from the migrated checkpoint, not from the beginning
