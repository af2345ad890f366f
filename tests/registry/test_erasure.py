"""Erasure across dataset versions (issue 20): redacted successors, one ContentErased event, nothing of the erased
rows left in any stored byte, verify clean, Erased on load, models flagged and gated; retention and legal holds."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lifecycle_ext
from lifecycle_ext.cli import main
from lifecycle_ext.core.errors import Erased, GateFailed
from tests.registry import erasure_scenario as sc

ROOT = Path(__file__).resolve().parents[2]


def files_under(path: Path) -> dict[str, bytes]:
    return {str(f.relative_to(path)): f.read_bytes() for f in path.rglob("*") if f.is_file()}


@pytest.fixture
def populated(tmp_path, make_registry):
    reg = make_registry(tmp_path / "reg", checkpoint_every=3)  # checkpoints (folded state) are scanned too
    frames = sc.populate(reg)
    assert {label for _, label in sc.find_needles(files_under(tmp_path / "reg"))} == set(sc.needles())
    return reg, frames, tmp_path / "reg"


def test_erase_three_keys_across_four_versions(populated):
    reg, frames, path = populated
    assert [reg.resolve(f"dataset:patients@{n}")["changes"]["types"] for n in (2, 3, 4)] == [
        ["additive"],
        ["corrective"],
        ["schema"],
    ]
    plan = reg.erase("dataset:patients", sc.ERASED, reason="erasure request", dry_run=True)
    assert plan.event is None and [v["rows"] for v in plan.versions] == [3, 3, 3, 3]
    assert "would erase: 12 rows" in plan._repr_html_()  # a rich repr that needs no widget JavaScript
    assert reg.resolve("dataset:patients")["number"] == 4  # a dry run writes nothing

    report = reg.erase("dataset:patients", sc.ERASED, reason="erasure request", basis="GDPR Art. 17 request #123")

    # every redacted successor lacks exactly those rows
    assert [(v["number"], v["rows"], v["successor"]) for v in report.versions] == [
        (1, 3, 5),
        (2, 3, 6),
        (3, 3, 7),
        (4, 3, 8),
    ]
    for original, n in zip(frames, (5, 6, 7, 8)):
        got = reg.load(f"dataset:patients@{n}")
        pd.testing.assert_frame_equal(got, sc.expected_successor(original))
        rec = reg.resolve(f"dataset:patients@{n}")
        assert rec["changes"]["types"] == ["erasure"] and rec["record"]["erasure_of"] == f"dataset:patients@{n - 4}"
        assert rec["baseline"]["rows"] == len(original) - 3  # the monitoring baseline is recomputed
    # the erased rows' bytes appear nowhere under the registry folder (compressed content decompressed)
    assert sc.find_needles(files_under(path)) == []
    # verify is clean and names the erased blobs, by the event
    v = reg.verify()
    assert v.ok, v.problems
    assert v.erased and {e["event"] for e in v.erased} == {report.event}
    assert {e["blob"] for e in v.erased} <= set(report.blobs)
    assert "erased by event" in repr(v)
    # the model trained on v2 is flagged, with its stage
    assert report.models == [
        {
            "model": "model:risk@1",
            "trained_on": ["dataset:patients@2"],
            "stage": "staging",
            "live": False,
            "accepted": False,
        }
    ]
    assert reg.erasure_impact("dataset:patients") == report.models
    # loading an erased version raises Erased naming the event, reason and successor
    for n in (1, 2, 3, 4):
        with pytest.raises(Erased) as err:
            reg.load(f"dataset:patients@{n}")
        assert err.value.seq == report.event and err.value.successor == f"dataset:patients@{n + 4}"
        assert "erasure request" in str(err.value) and f"dataset:patients@{n + 4}" in str(err.value)
    with pytest.raises(Erased):
        reg.diff("dataset:patients@1", "dataset:patients@5")
    with pytest.raises(Erased):
        reg.open_zarr("dataset:patients@3")
    assert reg.open_zarr("dataset:patients@7") is not None
    assert reg.diff("dataset:patients@5", "dataset:patients@6").sections  # successors diff as usual
    # the audit shows the event, without the erased values; lineage keeps the erased versions as records
    audit = reg.audit()
    text = audit.to_json()
    assert "ContentErased" in set(audit["action"])
    assert not any(needle.decode(errors="ignore") in text for needle in sc.needles().values())
    # the erased version's own audit, its successor's and the asset's show the erasure too (read through the
    # packs' per-asset index, and again from the single events)
    for ref in ("dataset:patients@2", "dataset:patients@6", "dataset:patients"):
        assert "ContentErased" in set(reg.audit(ref)["action"]), ref
    assert reg._svc.ctx.log.packs()  # noqa: SLF001 - the index was used
    event = reg._svc.ctx.event(report.event)  # noqa: SLF001 - the stored event itself
    assert event["data"]["basis"] == "GDPR Art. 17 request #123"
    assert len(event["data"]["key_hashes"]) == 3 and all(
        h.startswith("hmac-sha256:") for h in event["data"]["key_hashes"]
    )
    assert "dataset:patients@2" in reg.lineage("model:risk@1", "up").upstream
    # a later request can be checked against the keyed hashes
    assert set(reg._svc.erasure.erased_keys([*sc.ERASED, "P00001"])) == set(sc.ERASED)  # noqa: SLF001
    # corrections: the successor of the corrective version keeps the other corrections, not the erased key's
    corr = reg.corrections("dataset:patients@7")
    assert set(corr["key"]) == {"P00010", "Q00003"}
    # monitoring the model trained on v2 uses the baseline of v2's redacted successor (v2's went with its rows)
    from lifecycle_ext.registry.monitoring.baselines import find_baseline

    svc = reg._svc  # noqa: SLF001
    assert find_baseline(svc, reg.resolve("model:risk@1"), svc.ctx.state)[0] == "dataset:patients@6"
    # explain keeps the erased version as a record
    assert "dataset:patients@2" in repr(reg.explain("dataset:patients@2"))
    # the registry reopens from its checkpoints and still agrees
    again = lifecycle_ext.open_registry(path, user="alice")
    assert again.verify().ok and len(again.resolve("dataset:patients@2")["erased"]) > 0


def test_erasure_gate_blocks_promotion_until_accepted(populated):
    reg, _, _ = populated
    reg.erase("dataset:patients", sc.ERASED[:1], reason="erasure request")
    reg.set_policy(
        'version = 1\n[stages]\ndefault = ["development", "staging", "production"]\n'
        'dataset = ["draft", "validated", "production"]\n'
        '[[gates.production]]\ntype = "erasure"\n'
    )
    with pytest.raises(GateFailed, match="trained on erased data: dataset:patients@2"):
        reg.promote("model:risk@1", to="production", known_limitations="none known")
    reg.accept_erasure("model:risk@1", reason="the erased rows were 3 of 460; retraining scheduled")
    assert reg.promote("model:risk@1", to="production", known_limitations="none known").stage == "production"


def test_a_chunk_stored_as_a_delta_against_an_erased_chunk_is_rematerialised(reg):
    blobs = reg._svc.ctx.blobs  # noqa: SLF001
    base = np.arange(4096, dtype=np.float64)
    kept = base + 1e-9
    bid, _ = blobs.put(base.tobytes(), itemsize=8)
    kid, _ = blobs.put(kept.tobytes(), itemsize=8, base=bid)
    assert blobs.base_of(kid) == bid
    blobs.rematerialize(kid)
    blobs.delete(bid)
    blobs.forget(bid)
    assert blobs.base_of(kid) is None and blobs.get(kid) == kept.tobytes()


_CHILD = """
import sys, lifecycle_ext
from tests.registry import erasure_scenario as sc
reg = lifecycle_ext.open_registry(sys.argv[1], user="alice", checkpoint_every=3)
print("ready", flush=True)
reg.erase("dataset:patients", sc.ERASED, reason="erasure request", basis="GDPR Art. 17")
print("done", flush=True)
"""


def _run_child(path: Path, kill_after: float | None) -> tuple[int, float]:
    """Run an erasure in a child process, SIGKILLed ``kill_after`` seconds after it opened the registry; return
    (exit code, seconds from open to exit)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, env=env, cwd=ROOT)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    t0 = time.perf_counter()
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=120)
    return proc.returncode, time.perf_counter() - t0


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_sigkill_during_erasure_leaves_a_registry_that_verifies_and_resumes(tmp_path, make_registry, seed):
    template = tmp_path / "template"
    sc.populate(make_registry(template, checkpoint_every=3))
    timed = tmp_path / "timed"
    shutil.copytree(template, timed)
    code, whole = _run_child(timed, None)
    assert code == 0
    path = tmp_path / "reg"
    shutil.copytree(template, path)
    # a random point within the time a whole erasure took (the child's timing varies on a busy machine, so a
    # late kill may find it finished: both outcomes must leave a registry that verifies)
    code, _ = _run_child(path, random.Random(seed).uniform(0.0, 0.8 * whole))
    assert code in (0, -signal.SIGKILL)
    reg = lifecycle_ext.open_registry(path, user="alice")
    v = reg.verify()
    assert v.ok, v.problems  # opens and verifies wherever the kill landed
    report = reg.erase("dataset:patients", sc.ERASED, reason="erasure request", basis="GDPR Art. 17")
    assert reg.verify().ok
    assert sc.find_needles(files_under(path)) == []
    versions = reg._svc.ctx.state["assets"]["dataset:patients"]["versions"]  # noqa: SLF001
    assert [w["number"] for w in versions] == list(range(1, 9)), "a re-run reuses the successors a killed run wrote"
    for n in (1, 2, 3, 4):
        assert reg.resolve(f"dataset:patients@{n}").get("erased"), report


RETENTION = """version = 1
[stages]
default = ["development", "staging", "production"]
dataset = ["draft", "validated", "production"]

[retention]
hold_tags = ["legal-hold"]

[[retention.rules]]
name = "pii kept a year"
where = { pii = true }
days = 365
"""


def test_retention_lists_then_erases_past_due_and_a_legal_hold_keeps(tmp_path, make_registry, clock, monkeypatch):
    reg = make_registry(tmp_path / "reg", policy=RETENTION)
    df = pd.DataFrame({"id": ["a", "b"], "v": [1.5, 2.5]})
    reg.save(df, "dataset:visits", key="id", metadata={"pii": True})
    reg.save(df.assign(v=[7.0, 8.0]), "dataset:held", key="id", metadata={"pii": True}, tags=["legal-hold"])
    reg.save(df, "dataset:public", key="id")
    assert reg.retention().due == []
    clock.advance(days=400)
    report = reg.retention()
    assert [d["ref"] for d in report.due] == ["dataset:visits@1"]
    assert [(d["ref"], d["hold"]) for d in report.held] == [("dataset:held@1", "legal-hold")]

    real_open = lifecycle_ext.open_registry
    monkeypatch.setattr(lifecycle_ext, "open_registry", lambda loc, **kw: real_open(loc, clock=clock, **kw))
    assert main(["--registry", str(tmp_path / "reg"), "retention", "--apply"]) == 0
    reg = real_open(tmp_path / "reg", clock=clock)
    with pytest.raises(Erased, match="no successor"):
        reg.load("dataset:visits@1")
    pd.testing.assert_frame_equal(reg.load("dataset:held@1"), df.assign(v=[7.0, 8.0]))
    assert reg.retention().due == [] and reg.verify().ok
    ev = reg._svc.ctx.event(reg._svc.ctx.state["seq"])  # noqa: SLF001
    assert ev["type"] == "ContentErased" and ev["data"]["rule"] == "pii kept a year"


def test_erasure_is_guarded_and_its_event_is_signed_under_require_signatures(tmp_path, clock, monkeypatch):
    from lifecycle_ext.core.errors import PermissionDenied
    from lifecycle_ext.registry.keys import create_key
    from tests.support.policy import build_policy

    monkeypatch.delenv("LIFECYCLE_USER", raising=False)
    monkeypatch.delenv("LIFECYCLE_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    people = {"alice": ["data-scientist"], "dpo": ["privacy-officer", "admin"]}
    keys = {n: create_key(n, tmp_path / "keys" / f"{n}.key") for n in people}
    path = tmp_path / "registry"

    def as_(name):
        return lifecycle_ext.open_registry(path, clock=clock, signing_key=keys[name].path)

    policy = build_policy(
        users=people,
        permissions={"set_policy": ["admin"], "erase": ["privacy-officer"]},
        keys={n: k.public for n, k in keys.items()},
        require_signatures=True,
    )
    as_("dpo").set_policy(policy, reason="signed team policy")
    alice = as_("alice")
    df = pd.DataFrame({"id": ["x1", "ERASE-KEY-A1"], "v": [1.0, 2.0]})
    alice.save(df, "dataset:d", key="id")
    with pytest.raises(PermissionDenied, match="alice may not erase"):
        alice.erase("dataset:d", ["ERASE-KEY-A1"], reason="request")
    assert alice.resolve("dataset:d")["number"] == 1  # nothing written
    report = as_("dpo").erase("dataset:d", ["ERASE-KEY-A1"], reason="request", basis="GDPR Art. 17")
    event = as_("dpo")._svc.ctx.event(report.event)  # noqa: SLF001
    assert event["type"] == "ContentErased" and event["actor"] == "dpo" and "signature" in event
    check = as_("dpo").verify()
    # every event after the trust root (the first policy, set before signatures were required) is signed
    assert check.ok and check.unsigned == "0", check


def test_datasets_derived_through_lineage_are_erased_too(reg):
    base = pd.DataFrame({"id": ["a", "ERASE-KEY-B2", "c"], "v": [1.0, 2.0, 3.0]})
    b1 = reg.save(base, "dataset:raw", key="id")
    reg.save(base.assign(v=base["v"] * 10), "dataset:features", key="id", inputs=[b1.ref])
    reg.save(pd.DataFrame({"id": ["z"], "v": [0.0]}), "dataset:other", key="id")
    plan = reg.erase("dataset:raw", ["ERASE-KEY-B2"], reason="request", dry_run=True)
    assert plan.derived == ["dataset:features"]  # listed first, for confirmation
    report = reg.erase("dataset:raw", ["ERASE-KEY-B2"], reason="request")
    assert [(v["asset"], v["number"], v["successor"]) for v in report.versions] == [
        ("dataset:raw", 1, 2),
        ("dataset:features", 1, 2),
    ]
    assert list(reg.load("dataset:features@2")["id"]) == ["a", "c"]
    assert reg.resolve("dataset:other@1").get("erased") is None
    assert reg.verify().ok


def test_cli_erase_lists_then_erases(tmp_path, make_registry, capsys):
    reg = make_registry(tmp_path / "reg")
    reg.save(pd.DataFrame({"id": ["k1", "k2"], "v": [1.0, 2.0]}), "dataset:d", key="id")
    args = ["-R", str(tmp_path / "reg"), "erase", "dataset:d", "--keys", "k2", "--reason", "request"]
    assert main([*args, "--dry-run"]) == 0
    assert "would erase: 1 rows from 1 version(s)" in capsys.readouterr().out
    assert main([*args, "--basis", "GDPR Art. 17"]) == 0
    assert "dataset:d@1: 1 rows -> dataset:d@2" in capsys.readouterr().out
    assert list(lifecycle_ext.open_registry(tmp_path / "reg").load("dataset:d")["id"]) == ["k1"]
    assert main(["-R", str(tmp_path / "reg"), "erase", "dataset:d", "--keys", "k2"]) == 2  # --reason is required


def test_row_records_of_kept_versions_are_filtered(tmp_path, make_registry):
    """A kept version whose removed-key list names an erased key keeps its rows; the list is replaced."""
    reg = make_registry(tmp_path / "reg")
    df = pd.DataFrame({"id": ["k1", "ERASE-KEY-C3", "k3", "k4"], "v": [1.0, 2.0, 3.0, 4.0]})
    reg.save(df, "dataset:d", key="id")
    v2 = reg.save(df[~df["id"].isin(["ERASE-KEY-C3", "k4"])], "dataset:d", reason="two rows removed")
    old = reg.resolve(v2.ref)["changes"]["removal"]["keys_blob"]
    report = reg.erase("dataset:d", ["ERASE-KEY-C3"], reason="request")
    assert [v["number"] for v in report.versions] == [1]  # v2 does not hold the key: it stays loadable
    rec = reg.resolve(v2.ref)
    new = rec["changes"]["removal"]["keys_blob"]
    assert new != old and old in report.blobs and new in rec["blobs"] and old not in rec["blobs"]
    assert reg._svc.ctx.blobs.get(new) and b"k4" in reg._svc.ctx.blobs.get(new)  # noqa: SLF001
    assert b"ERASE-KEY-C3" not in b"".join(sc.expanded(b"".join(files_under(tmp_path / "reg").values())))
    assert reg.verify().ok and len(reg.load(v2.ref)) == 2


@pytest.mark.parametrize(
    "section, message",
    [
        ("[retention]\nkeep = 1\n", "takes rules"),
        ("[[retention.rules]]\nwhere = { pii = true }\n", "days must be a number"),
        ("[[retention.rules]]\ndays = 30\nwhen = 1\n", "takes days, kind, name, where"),
        ('[retention]\nhold_tags = "legal-hold"\n', "hold_tags must be a list"),
    ],
)
def test_a_bad_retention_section_is_refused_naming_the_problem(reg, section, message):
    from lifecycle_ext.core.errors import PolicyError

    with pytest.raises(PolicyError, match=message):
        reg.set_policy("version = 1\n" + section)
    assert reg._svc.ctx.state["policy"] is None  # noqa: SLF001 - nothing was recorded
