"""Issue 14: `lifecycle key`, anchors (`lifecycle anchor`, `lifecycle verify --anchor`), SHA-256 digests in
manifests, and `lifecycle release` verified by the OpenSSF `model_signing` command line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lifecycle_ext
from lifecycle_ext.cli import main
from lifecycle_ext.core.events import canonical, event_hash
from lifecycle_ext.storage.eventlog import event_key

MODEL_SIGNING = shutil.which("model_signing") or str(Path(os.sys.executable).with_name("model_signing"))


@pytest.fixture
def keyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    monkeypatch.delenv("LIFECYCLE_KEY", raising=False)
    assert main(["key", "create", "--name", "alice"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("ecdsa-p256:")
    keyfile = tmp_path / "config" / "lifecycle" / "keys" / "alice.key"
    assert keyfile.stat().st_mode & 0o777 == 0o600
    loc = tmp_path / "reg"
    reg = lifecycle_ext.open_registry(loc)  # the only key in the keys folder is the default key
    for i in range(20):
        reg.save({"w": i}, "model:m", metrics={"acc": i / 20})
    return {"loc": loc, "reg": reg, "key": keyfile, "public": line, "tmp": tmp_path}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_key_show_prints_the_key_in_use(keyed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "key", "show")
    assert code == 0 and out.splitlines()[0] == keyed["public"] and "fingerprint: sha256:" in out
    code, _, err = run(capsys, "key", "create", "--name", "alice")
    assert code == 2 and "never overwritten" in err
    assert keyed["reg"].log.read_event(3)["signature"]["key"] in out  # events are signed with it


def _anchor(keyed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> Path:
    path = keyed["tmp"] / "anchor.json"
    assert run(capsys, "-R", str(keyed["loc"]), "anchor", "--output", str(path))[0] == 0
    doc = json.loads(path.read_text())
    assert doc["seq"] == 19 and doc["public_key"] == keyed["public"]
    return path


def test_verify_against_an_anchor_passes_then_catches_truncation(
    keyed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = _anchor(keyed, capsys)
    keyed["reg"].save({"w": 99}, "model:m")  # history after the anchor is fine
    code, out, _ = run(capsys, "-R", str(keyed["loc"]), "verify", "--anchor", str(anchor))
    assert code == 0, out
    for seq in (20, 19):  # delete the newest events: today this verifies clean
        (keyed["loc"] / event_key(seq)).unlink()
    code, out, _ = run(capsys, "-R", str(keyed["loc"]), "verify", "--anchor", str(anchor))
    assert code == 1 and "truncated: event 19" in out


def test_verify_against_an_anchor_names_the_first_rewritten_event(
    keyed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = _anchor(keyed, capsys)
    loc = keyed["loc"]
    # rewrite the tail from event 17 on: edit a metric, recompute every hash and prev (a clean chain again)
    prev = json.loads((loc / event_key(16)).read_text())["hash"]
    for seq in (17, 18, 19):
        ev = json.loads((loc / event_key(seq)).read_text())
        ev.pop("signature", None)
        if seq == 17:
            ev["data"]["metrics"]["acc"] = 0.99
        ev["prev"] = prev
        ev["hash"] = prev = event_hash(ev)
        (loc / event_key(seq)).write_bytes(canonical(ev))
    assert lifecycle_ext.open_registry(loc).verify().problems == []  # the chain alone is consistent
    code, out, _ = run(capsys, "-R", str(loc), "verify", "--anchor", str(anchor))
    assert code == 1 and "first divergent event is event 17" in out


def test_an_edited_anchor_is_refused(keyed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    anchor = _anchor(keyed, capsys)
    doc = json.loads(anchor.read_text())
    doc["seq"], doc["head"] = 18, doc["marks"]["18"]
    anchor.write_text(json.dumps(doc))
    code, out, _ = run(capsys, "-R", str(keyed["loc"]), "verify", "--anchor", str(anchor))
    assert code == 1 and "signature does not verify" in out


def test_manifest_digests_are_checked_by_verify(reg: Any) -> None:
    v = reg.save(np.arange(1000, dtype="int64"), "dataset:d")
    manifest = reg.manifest(v.ref)
    assert set(manifest["digests"]) == set(manifest["entries"])
    assert all(d.startswith("blake3:") and len(d) == 71 for d in manifest["digests"].values())
    assert reg.content_hash(np.arange(1000, dtype="int64")) == v.content_hash
    assert reg.verify().ok


def test_release_verifies_with_the_model_signing_cli_and_a_changed_byte_fails(
    keyed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    keyed["reg"].save(np.linspace(0, 1, 5000), "model:weights", metrics={"acc": 0.9})
    out_dir = keyed["tmp"] / "release"
    code, out, _ = run(
        capsys, "-R", str(keyed["loc"]), "--json", "release", "model:weights@1", "--output", str(out_dir)
    )
    assert code == 0, out
    info = json.loads(out)
    cmd = [MODEL_SIGNING, "verify", "key", str(out_dir), "--signature", info["signature"]]
    cmd += ["--public_key", info["public_key"]]
    ok = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    about = json.loads((out_dir / "lifecycle-version.json").read_text())
    assert about["ref"] == "model:weights@1" and about["signer"]["public_key"] == keyed["public"]
    chunk = max(
        (p for p in out_dir.rglob("*") if p.is_file() and p.name != "model.sig"), key=lambda p: p.stat().st_size
    )
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 1
    chunk.write_bytes(bytes(data))
    bad = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
