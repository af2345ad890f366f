"""The ``lifecycle`` CLI for CI: gates exit codes and JSON, promotion subcommands, policy show/set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lifecycle_ext.cli import main
from tests.support.policy import approvals, build_policy, metric

ROOT = Path(__file__).resolve().parents[2]
POLICY = build_policy(
    stages=None,
    users={"alice": ["data-scientist"], "carol": ["release-manager", "reviewer"]},
    permissions={
        "set_policy": ["release-manager"],
        "rollback": ["release-manager"],
        "retire": ["release-manager"],
        "approve": ["reviewer"],
        "promote.production": ["release-manager"],
    },
    gates={"development": [metric("accuracy >= 0.9", kinds=None)], "staging": [approvals("reviewer", kinds=None)]},
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_registry: Any) -> dict[str, Any]:
    loc = tmp_path / "reg"
    reg = make_registry(loc, user="carol", policy=POLICY, clock=None)
    reg.as_user("alice").save({"w": 1}, "model:m", metrics={"accuracy": 0.95})
    reg.as_user("alice").save({"w": 2}, "model:m", metrics={"accuracy": 0.5})
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    return {"loc": str(loc), "reg": reg, "tmp": tmp_path, "mp": monkeypatch}


def run(env: dict[str, Any], capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["-R", env["loc"], *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_gates_exit_codes_and_json(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(env, capsys, "gates", "model:m@1", "--to", "development", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["passed"] is True and doc["checks"][0]["status"] == "pass"
    assert doc["policy_hash"] == env["reg"].policy().hash
    code, out, _ = run(env, capsys, "--json", "gates", "model:m@2", "--to", "development")
    assert code == 1
    doc = json.loads(out)
    assert doc["passed"] is False and doc["checks"][0]["evidence"]["accuracy >= 0.9"]["value"] == 0.5
    code, out, err = run(env, capsys, "gates", "model:m@2", "--to", "prod")
    assert code == 2 and out == "" and err.count("\n") == 1 and "unknown stage 'prod'" in err
    code, _, err = run(env, capsys, "gates", "model:nope@1")
    assert code == 2 and "NotFound" in err
    code, out, _ = run(env, capsys, "gates", "model:m@1")  # default target: the next stage
    assert code == 0 and "gates model:m@1 -> development: PASS" in out


def test_promote_request_approve_and_refusal(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(env, capsys, "promote", "model:m@2", "--to", "development", "-r", "try")
    assert code == 1 and "FAIL" in out
    assert env["reg"].audit("model:m@2").iloc[-1]["action"] == "PromotionRefused"
    assert run(env, capsys, "promote", "model:m@1", "-r", "first")[0] == 0
    code, out, _ = run(env, capsys, "--json", "request_promotion", "model:m@1", "--to", "staging", "-r", "please")
    assert code == 0 and json.loads(out)["status"] == "open"
    code, out, _ = run(env, capsys, "gates", "model:m@1", "--to", "staging")
    assert code == 1 and "[pending]" in out
    env["mp"].setenv("LIFECYCLE_USER", "carol")
    code, out, _ = run(env, capsys, "approve", "model:m@1", "-r", "fine")
    assert code == 0 and "approvals: carol" in out
    assert run(env, capsys, "gates", "model:m@1", "--to", "staging")[0] == 0
    code, out, _ = run(env, capsys, "pending", "--json")
    assert code == 0 and json.loads(out)[0]["status"] == "ready"
    assert run(env, capsys, "promote", "model:m@1", "--to", "staging")[0] == 0
    assert env["reg"].get("model:m@1").stage == "staging"


def test_forbidden_action_is_one_line_exit_2(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(env, capsys, "retire", "model:m@1", "-r", "old")
    assert code == 2 and err.startswith("error: PermissionDenied: alice may not retire") and err.count("\n") == 1
    code, out, _ = run(env, capsys, "--json", "audit", "model:m@1")
    rows = json.loads(out)
    assert rows[-1]["action"] == "ActionDenied" and rows[-1]["actor"] == "alice"


def test_policy_show_and_set(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(env, capsys, "policy", "show")
    assert code == 0 and 'threshold = "accuracy >= 0.9"' in out and out.startswith("# policy sha256:")
    bad = env["tmp"] / "bad.toml"
    bad.write_text('version = 1\n[permissions]\nset_policy = ["release-manager"]\n[[gates.staging]]\ntype = "x"\n')
    env["mp"].setenv("LIFECYCLE_USER", "carol")
    code, _, err = run(env, capsys, "policy", "set", str(bad))
    assert code == 2 and "PolicyError: line 5: unknown check type 'x'" in err
    good = env["tmp"] / "good.toml"
    good.write_text('version = 1\n[permissions]\nset_policy = ["release-manager"]\n')
    code, out, _ = run(env, capsys, "--json", "policy", "set", str(good), "-r", "drop gates")
    assert code == 0 and json.loads(out)["set_by"] == "carol"
    assert env["reg"].policy().text == good.read_text()


def test_rollback_retire_explain_deployment(env: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    reg = env["reg"]
    reg.set_policy("version = 1\n")
    for n in (1, 2):
        reg.promote(f"model:m@{n}")
        reg.promote(f"model:m@{n}")
        reg.promote(f"model:m@{n}", known_limitations="toy")
    code, out, _ = run(env, capsys, "--json", "deployment", "model:m")
    assert code == 0 and json.loads(out)["rollback_to"] == "model:m@1"
    code, out, _ = run(env, capsys, "rollback", "model:m", "-r", "regression")
    assert code == 0 and "model:m@1 [production]" in out
    code, out, _ = run(env, capsys, "retire", "model:m@2", "-r", "regressed", "--replaced-by", "model:m@1")
    assert code == 0 and "model:m@2" in out
    assert reg.get("model:m@2").retired
    code, out, _ = run(env, capsys, "explain", "model:m@2")
    assert code == 0 and "changes since model:m@1" in out and "metrics.accuracy: 0.95 -> 0.5" in out


def test_real_command_line_process(env: dict[str, Any]) -> None:
    envvars = {**os.environ, "PYTHONPATH": str(ROOT), "LIFECYCLE_USER": "alice"}
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "lifecycle_ext.cli",
            "-R",
            env["loc"],
            "gates",
            "model:m@2",
            "--to",
            "development",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=envvars,
        timeout=120,
    )
    assert p.returncode == 1 and json.loads(p.stdout)["status"] == "fail"
    p = subprocess.run(
        [sys.executable, "-m", "lifecycle_ext.cli", "-R", env["loc"], "gates", "model:m@1", "--to", "development"],
        capture_output=True,
        text=True,
        env=envvars,
        timeout=120,
    )
    assert p.returncode == 0 and "PASS" in p.stdout
