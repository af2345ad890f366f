"""examples/04-ci-gates.md: every bash block runs, in order, against a prepared registry, with the exit code the
page documents (``# exits N`` on the block's command; 0 otherwise)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lifecycle_ext

from .conftest import EXAMPLES, ROOT, doc_blocks

DOC = EXAMPLES / "04-ci-gates.md"


def blocks(lang: str) -> list[str]:
    return doc_blocks(DOC, lang)


def expected_exit(block: str) -> int:
    codes = {int(m) for m in re.findall(r"#\s*exits\s+(\d)", block)}
    assert len(codes) <= 1, f"one documented exit code per block: {block}"
    return codes.pop() if codes else 0


@pytest.fixture
def ci_env(tmp_path: Path) -> dict[str, str]:
    """A registry like the page describes, a `lifecycle` command on PATH, and the CI environment variables."""
    location = tmp_path / "registry"
    alice = lifecycle_ext.open_registry(location, user="alice")
    data = alice.save(
        pd.DataFrame({"id": range(20), "y": ["stay", "churn"] * 10}),
        "dataset:churn",
        metadata={"source": "crm export", "licence": "internal"},
    )
    alice.promote(data.ref, to="draft", reason="import")
    alice.promote(data.ref, to="validated", reason="checked")
    alice.save(np.arange(4.0), "model:churn", inputs=[data.ref], metrics={"accuracy": 0.95})
    alice.save(np.arange(5.0), "model:churn", inputs=[data.ref], metrics={"accuracy": 0.81})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "lifecycle"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lifecycle_ext.cli "$@"\n')
    shim.chmod(0o755)
    text = blocks("text")[0]
    assert "LIFECYCLE_USER=ci-bot" in text and "LIFECYCLE_REGISTRY=" in text
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "LIFECYCLE_REGISTRY": str(location),
        "LIFECYCLE_USER": "ci-bot",
    }


def test_every_command_on_the_ci_page_runs_with_its_documented_exit_code(tmp_path: Path, ci_env) -> None:
    work = tmp_path / "repo"
    work.mkdir()
    (toml,) = blocks("toml")
    (work / "lifecycle.toml").write_text(toml)
    ran = []
    for block in blocks("bash"):
        p = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", block],
            cwd=work,
            env=ci_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert p.returncode == expected_exit(block), f"{block}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
        ran.append((block, p.stdout, p.stderr))
    assert len(ran) >= 8

    out = {b.strip().splitlines()[0]: (o, e) for b, o, e in ran}
    assert "PASS" in out["lifecycle gates model:churn@1 --to staging"][0]
    failing = out["lifecycle gates model:churn@2 --to staging    # exits 1: accuracy 0.81 is below 0.9"][0]
    assert "FAIL" in failing and "accuracy = 0.81 (needs >= 0.9)" in failing
    assert (
        out[next(k for k in out if k.startswith("lifecycle gates model:churn@2 --to staging --json"))][0]
        .strip()
        .endswith("fail ['metric']")
    )
    assert "no version 7" in out["lifecycle gates model:churn@7 --to staging    # exits 2: there is no version 7"][1]

    reg = lifecycle_ext.open_registry(ci_env["LIFECYCLE_REGISTRY"])
    assert reg.get("model:churn@staging").ref == "model:churn@1"
    trail = reg.audit("model:churn")
    refused = trail[trail.action == "PromotionRefused"]
    assert list(refused.ref) == ["model:churn@2"] and set(refused.actor) == {"ci-bot"}
    assert reg.policy().text == toml and not reg.policy().is_default

    # the workflow snippet runs only commands the page runs
    commands = {line.strip() for b in blocks("bash") for line in b.splitlines()}
    for run in re.findall(r"- run: (.+)", blocks("yaml")[0]):
        assert run.strip() == "pip install ." or run.strip() in commands, run
