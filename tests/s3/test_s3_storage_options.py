"""Storage options on every surface against a real SeaweedFS, with no ``AWS_*`` variable and no ~/.aws anywhere:
the ``lifecycle`` CLI as a real process (``--endpoint-url`` + ``--storage-option``, or ``$LIFECYCLE_STORAGE_OPTIONS``)
and the ``%lifecycle`` magic in a real IPython shell."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

import lifecycle_ext
from tests.support.seaweed import KEY, SECRET

pytestmark = pytest.mark.s3

ROOT = Path(__file__).resolve().parents[2]


def _lifecycle() -> str:
    exe = shutil.which("lifecycle") or str(Path(sys.executable).parent / "lifecycle")
    assert Path(exe).exists(), "the lifecycle console script is not installed"
    return exe


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """The process environment without any AWS_* variable, any storage-option variable or a home with ~/.aws."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "LIFECYCLE_STORAGE_OPTIONS":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return {**os.environ, "PYTHONPATH": str(ROOT), "LIFECYCLE_USER": "ci"}


@pytest.fixture
def url(s3_server):
    url = f"s3://lifecycle/{uuid.uuid4().hex}"
    reg = lifecycle_ext.open_registry(url, user="alice", **s3_server)  # explicit options, in Python
    reg.save(np.arange(12, dtype=np.float32).reshape(3, 4), "model:churn", metrics={"auc": 0.8})
    reg.save({"rows": [1, 2]}, "dataset:crm")
    return url


def _cli(env, *args):
    return subprocess.run([_lifecycle(), *args], capture_output=True, text=True, env=env, timeout=180)


def test_cli_with_endpoint_url_and_storage_options_writes_and_lists_the_bucket(s3_server, url, clean_env):
    endpoint = s3_server["client_kwargs"]["endpoint_url"]
    creds = ["--endpoint-url", endpoint, "--storage-option", f"key={KEY}", "--storage-option", f"secret={SECRET}"]
    region = ["--storage-option", "client_kwargs.region_name=us-east-1"]
    p = _cli(clean_env, "-R", url, *creds, "tag", "model:churn@1", "reviewed", *region)  # a write: one event
    assert p.returncode == 0, p.stderr
    p = _cli(clean_env, "-R", url, "ls", "--json", *creds)  # options after the subcommand too
    assert p.returncode == 0, p.stderr
    assert sorted(a["asset"] for a in json.loads(p.stdout)) == ["dataset:crm", "model:churn"]
    p = _cli(clean_env, *creds, "-R", url, "info")
    assert p.returncode == 0 and "2 assets, 2 versions" in p.stdout and SECRET not in p.stdout + p.stderr
    # what the CLI wrote is in the bucket
    assert "reviewed" in lifecycle_ext.open_registry(url, **s3_server).get("model:churn@1").tags


def test_cli_with_the_env_variable_alone(s3_server, url, clean_env):
    env = {**clean_env, "LIFECYCLE_STORAGE_OPTIONS": json.dumps(s3_server), "LIFECYCLE_REGISTRY": url}
    p = _cli(env, "tag", "dataset:crm@1", "from-env")
    assert p.returncode == 0, p.stderr
    p = _cli(env, "versions", "dataset:crm", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["versions"][0]["ref"] == "dataset:crm@1" and "from-env" in p.stdout
    assert "from-env" in lifecycle_ext.open_registry(url, **s3_server).get("dataset:crm@1").tags


def test_cli_errors_name_the_problem_and_never_the_secret(s3_server, url, clean_env):
    endpoint = s3_server["client_kwargs"]["endpoint_url"]
    wrong = "not-the-secret-4711"
    p = _cli(clean_env, "-R", url, "--endpoint-url", endpoint, "--storage-option", f"key={KEY}",
             "--storage-option", f"secret={wrong}", "ls")  # fmt: skip
    assert p.returncode == 2 and p.stderr.startswith("error:") and wrong not in p.stderr + p.stdout
    p = _cli(clean_env, "-R", url, "--endpoint-url", endpoint, "ls")  # no credentials anywhere
    assert p.returncode == 2 and "NoCredentialsError" in p.stderr and "--storage-option key=" in p.stderr
    assert "Traceback" not in p.stderr
    p = _cli({**clean_env, "LIFECYCLE_STORAGE_OPTIONS": '{"secret": "' + wrong}, "-R", url, "ls")
    assert p.returncode == 2 and "$LIFECYCLE_STORAGE_OPTIONS is not valid JSON" in p.stderr and wrong not in p.stderr
    p = _cli(clean_env, "-R", url, "--storage-option", "endpoint.url=x", "ls")
    assert p.returncode == 2 and "unknown storage option 'endpoint'" in p.stderr and "'endpoint_url'" in p.stderr


def test_magic_opens_the_bucket_with_options_and_with_the_env_variable(
    s3_server, url, clean_env, tmp_path, monkeypatch
):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    real_main = sys.modules["__main__"]
    ip = InteractiveShell.instance()
    sys.modules["__main__"] = real_main
    try:
        ip.run_line_magic("load_ext", "lifecycle_ext")
        endpoint = s3_server["client_kwargs"]["endpoint_url"]
        with capture_output() as cap:
            ip.run_line_magic(
                "lifecycle",
                f"registry {url} --endpoint-url {endpoint} --storage-option key={KEY} --storage-option secret={SECRET}",
            )
            ip.run_line_magic("lifecycle", "ls --json")
        assert "model:churn" in cap.stdout and SECRET not in cap.stdout
        # the %load_ext path: a fresh session opens $LIFECYCLE_REGISTRY with $LIFECYCLE_STORAGE_OPTIONS
        monkeypatch.setenv("LIFECYCLE_REGISTRY", url)
        monkeypatch.setenv("LIFECYCLE_STORAGE_OPTIONS", json.dumps(s3_server))
        ip.run_line_magic("unload_ext", "lifecycle_ext")
        ip.run_line_magic("load_ext", "lifecycle_ext")
        with capture_output() as cap:
            ip.run_line_magic("lifecycle", "versions model:churn --json")
        assert [v["ref"] for v in json.loads(cap.stdout)["versions"]] == ["model:churn@1"]
    finally:
        ip.run_line_magic("unload_ext", "lifecycle_ext")
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = real_main


def test_the_storage_options_section_of_docs_storage_runs(s3_server, clean_env, tmp_path, monkeypatch):
    """docs/storage.md "Storage options": its python and bash blocks run in order against SeaweedFS (the page's
    endpoint replaced by the test server's, the credentials in $S3_KEY/$S3_SECRET), and the server config block
    opens the same registry through the server's own config class."""
    import re

    from traitlets.config import Config

    from lifecycle_ext.server.config import LifecycleConfig

    text = (ROOT / "docs" / "storage.md").read_text().split("## Storage options", 1)[1].split("\n## ", 1)[0]
    endpoint = s3_server["client_kwargs"]["endpoint_url"]
    bucket = f"lifecycle/{uuid.uuid4().hex}"
    blocks = [
        (lang, body.replace("http://127.0.0.1:8333", endpoint).replace("lifecycle/team", bucket))
        for lang, body in re.findall(r"^```(\w+)\n(.*?)^```", text, flags=re.S | re.M)
    ]
    assert [lang for lang, _ in blocks] == ["python", "bash", "bash", "python"]
    monkeypatch.setenv("S3_KEY", KEY)
    monkeypatch.setenv("S3_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)
    env = {**os.environ, "PATH": f"{Path(_lifecycle()).parent}:{os.environ['PATH']}"}
    exec(compile(blocks[0][1], "docs/storage.md", "exec"), {})  # noqa: S102 - the documentation's own example
    for _, body in blocks[1:3]:
        p = subprocess.run(["bash", "-ec", body], capture_output=True, text=True, env=env, timeout=300)
        assert p.returncode == 0, p.stderr
        assert SECRET not in p.stdout + p.stderr
    assert "dataset:crm@1" in p.stdout and "reviewed" in p.stdout  # the last block lists what the first tagged
    c = Config()
    exec(compile(blocks[3][1], "docs/storage.md", "exec"), {"c": c})  # noqa: S102
    cfg = LifecycleConfig(config=c)
    monkeypatch.setenv("LIFECYCLE_STORAGE_OPTIONS", json.dumps({"key": KEY, "secret": SECRET}))
    reg = lifecycle_ext.open_registry(cfg.registry, **cfg.storage_options)
    assert "reviewed" in reg.get("dataset:crm@1").tags
