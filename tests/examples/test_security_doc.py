"""docs/security.md: every bash block runs, in order, in one folder against a prepared registry (keys in a
temporary config folder, `lifecycle` and `model_signing` on PATH) and succeeds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

import lifecycle_ext

from .conftest import ROOT, doc_blocks

DOC = ROOT / "docs" / "security.md"


def test_every_bash_block_of_the_security_page_runs(tmp_path: Path) -> None:
    location = tmp_path / "registry"
    reg = lifecycle_ext.open_registry(location, user="alice")
    for i in range(3):
        reg.save(np.arange(1000.0) * i, "model:churn", metrics={"accuracy": 0.9})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lifecycle").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lifecycle_ext.cli "$@"\n')
    (bin_dir / "lifecycle").chmod(0o755)
    signer = shutil.which("model_signing") or str(Path(sys.executable).with_name("model_signing"))
    os.symlink(signer, bin_dir / "model_signing")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "LIFECYCLE_REGISTRY": str(location),
        "LIFECYCLE_USER": "alice",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env.pop("LIFECYCLE_KEY", None)
    blocks = doc_blocks(DOC, "bash")
    assert len(blocks) >= 3
    for block in blocks:
        done = subprocess.run(["bash", "-e", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{block}\n{done.stdout}\n{done.stderr}"
    assert (tmp_path / "registry-anchor.json").exists() and (tmp_path / "release" / "model.sig").exists()
