"""The provenance commands are in the shared table: the CLI runs reproduce and environment too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lifecycle_ext import open_registry
from lifecycle_ext.cli import main
from lifecycle_ext.provenance.tracker import TrackedRun, TrackSpec


def _tracked(reg, source: str, seed: int | None) -> str:
    ns: dict = {"np": np}
    run = TrackedRun(source, TrackSpec(outputs={"out": "dataset:out"}, seed=seed))
    run.start(ns, lambda o: None)
    exec(source, ns)
    run.finish(None)
    cid, _ = reg.blobs.put(b'{"python": "3"}')
    return run.save(reg, ns, env_blob=cid, env_summary={}, remember=lambda o, r: None)[0]["ref"]


def test_cli_reproduce_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reg = open_registry(tmp_path)
    seeded = _tracked(reg, "out = np.random.rand(3)\n", seed=4)
    unseeded = _tracked(reg, "out = np.random.rand(3)\n", seed=None)
    assert main(["-R", str(tmp_path), "reproduce", seeded]) == 0
    assert "MATCH" in capsys.readouterr().out
    assert main(["-R", str(tmp_path), "reproduce", unseeded]) == 1
    assert "MISMATCH" in capsys.readouterr().out
    assert main(["-R", str(tmp_path), "--json", "environment", seeded]) == 0
    assert json.loads(capsys.readouterr().out) == {"python": "3"}
    assert main(["-R", str(tmp_path), "reproduce", "dataset:nope@1"]) == 2
